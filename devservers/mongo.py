"""A real MongoDB-wire server for the tests, started by the harness itself.

In order of preference: ``MONGODB_URI`` when set (used as it is, never stopped); a ``mongod`` on PATH
(temporary data folder, free loopback port); else FerretDB, built once from its Go module into a cache
folder and run with its SQLite handler. ``python -m devservers.mongo --build`` builds FerretDB ahead
of time (``.ci/run`` does).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from devservers.ports import free_port, terminate, wait_for_port

FERRETDB_VERSION = "v1.24.2"
MODULE_DIR = Path(__file__).with_name("ferretdb_module")


class NoMongoServer(RuntimeError):
    pass


def cache_dir() -> Path:
    base = os.environ.get("DJANGO_STATIC_PIPE_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "django-static-pipe"
    )
    return Path(base)


def ferretdb_binary() -> Path:
    return cache_dir() / "bin" / f"ferretdb-{FERRETDB_VERSION}"


def build_ferretdb(quiet: bool = False) -> Path:
    """Build FerretDB from its Go module (once; the binary is cached) and return its path.

    ``go install module@version`` cannot be used as it is: FerretDB's build reads a version file that
    only its own build tooling generates, so the module is vendored and that file written first.
    """
    binary = ferretdb_binary()
    if binary.exists():
        return binary
    go = shutil.which("go") or ("/usr/local/go/bin/go" if os.path.exists("/usr/local/go/bin/go") else None)
    if go is None:
        raise NoMongoServer(
            "No MongoDB-wire server: set MONGODB_URI, put mongod on PATH, or install Go "
            f"(https://go.dev/dl) so the tests can build FerretDB {FERRETDB_VERSION}."
        )
    output = None if not quiet else subprocess.DEVNULL
    with tempfile.TemporaryDirectory(prefix="ferretdb-build-") as work:
        for name in ("go.mod", "go.sum", "tools.go"):
            shutil.copy(MODULE_DIR / name, work)
        env = {**os.environ, "GOFLAGS": "-mod=mod", "CGO_ENABLED": "0"}
        subprocess.run([go, "mod", "vendor"], cwd=work, env=env, check=True, stdout=output)
        version_file = Path(work, "vendor/github.com/FerretDB/FerretDB/build/version/version.txt")
        version_file.write_text(FERRETDB_VERSION + "\n")
        binary.parent.mkdir(parents=True, exist_ok=True)
        partial = binary.with_suffix(".partial")
        env["GOFLAGS"] = "-mod=vendor"
        subprocess.run(
            [go, "build", "-o", str(partial), "github.com/FerretDB/FerretDB/cmd/ferretdb"],
            cwd=work,
            env=env,
            check=True,
            stdout=output,
        )
        partial.replace(binary)
    return binary


class MongoServer:
    """One running server; ``uri`` points at it. ``stop()``/``start()`` really stop and start it."""

    def __init__(self) -> None:
        self.kind = ""
        self.uri = ""
        self.process: subprocess.Popen[bytes] | None = None
        self.data_dir: str | None = None
        self.port = 0
        self.external = bool(os.environ.get("MONGODB_URI"))

    def _command(self) -> list[str]:
        assert self.data_dir is not None
        mongod = shutil.which("mongod")
        if mongod:
            self.kind = "mongod"
            return [mongod, "--dbpath", self.data_dir, "--bind_ip", "127.0.0.1", "--port", str(self.port), "--quiet"]
        self.kind = f"ferretdb {FERRETDB_VERSION}"
        return [
            str(build_ferretdb()),
            "--handler=sqlite",
            f"--sqlite-url=file:{self.data_dir}/",
            f"--listen-addr=127.0.0.1:{self.port}",
            f"--state-dir={self.data_dir}",
            f"--debug-addr=127.0.0.1:{free_port()}",
            "--telemetry=disable",
            "--log-level=error",
        ]

    def start(self) -> MongoServer:
        if self.external:
            self.kind, self.uri = "MONGODB_URI", os.environ["MONGODB_URI"]
            return self
        if self.data_dir is None:
            self.data_dir = tempfile.mkdtemp(prefix="static-pipe-mongo-")
            self.port = free_port()
        log = open(os.path.join(self.data_dir, "server.log"), "ab")  # noqa: SIM115 - lives as long as the server
        self.process = subprocess.Popen(self._command(), stdout=log, stderr=subprocess.STDOUT)
        log.close()
        if not wait_for_port("127.0.0.1", self.port, timeout=60, process=self.process):
            raise NoMongoServer(f"{self.kind} did not start; see {self.data_dir}/server.log")
        self.uri = f"mongodb://127.0.0.1:{self.port}/"
        return self

    def stop(self) -> None:
        terminate(self.process, timeout=20)
        self.process = None

    def close(self) -> None:
        self.stop()
        if self.data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            self.data_dir = None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--build", action="store_true", help="build FerretDB into the cache if needed")
    args = parser.parse_args()
    if args.build and not os.environ.get("MONGODB_URI") and not shutil.which("mongod"):
        started = time.monotonic()
        path = build_ferretdb()
        print(f"FerretDB {FERRETDB_VERSION}: {path} ({time.monotonic() - started:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
