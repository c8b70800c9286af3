"""moto in server mode, started by the harness on a loopback port; boto3 reaches it over HTTP."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass

from devservers.ports import free_port, terminate, wait_for_port

#: Credentials for moto only. The user's own AWS configuration is kept out of the test run.
FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}


def isolate_aws_environment() -> None:
    """Point boto3 at fake credentials and away from ~/.aws, for this process and its children."""
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        del os.environ[name]
    os.environ.update(FAKE_AWS_ENV)


#: One line of the server's request log (werkzeug writes it before it sends the response).
_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # werkzeug colours a line by its status when it thinks it may
_REQUEST_LINE = re.compile(r'"(?P<method>[A-Z]+) (?P<target>\S+) HTTP/[0-9.]+" (?P<status>\d{3}) ')


@dataclass(frozen=True)
class Request:
    method: str
    target: str  # the path and query as sent, e.g. /bucket/key?uploads
    status: int

    def in_bucket(self, bucket: str) -> bool:
        return self.target.split("?", 1)[0].rstrip("/") == f"/{bucket}" or self.target.startswith(f"/{bucket}/")


class MotoServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log_dir = tempfile.mkdtemp(prefix="static-pipe-moto-")

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> MotoServer:
        # The moto installed with this interpreter (the pinned one), not whichever moto_server PATH finds first.
        args = [sys.executable, "-m", "moto.server"]
        log = open(self.log_path, "ab")  # noqa: SIM115 - lives as long as the server
        self.process = subprocess.Popen(
            [*args, "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **FAKE_AWS_ENV},
        )
        log.close()
        if not wait_for_port("127.0.0.1", self.port, timeout=60, process=self.process):
            raise RuntimeError(f"moto_server did not start; see {self.log_dir}/moto.log")
        return self

    @property
    def log_path(self) -> str:
        return os.path.join(self.log_dir, "moto.log")

    def log_mark(self) -> int:
        """Where the request log ends now: :meth:`requests` counts from here."""
        return os.path.getsize(self.log_path)

    def requests(self, since: int = 0, bucket: str | None = None, until: int | None = None) -> list[Request]:
        """The requests the server logged after ``since`` (a :meth:`log_mark`; up to ``until``), for one
        bucket if given.

        Each is logged before its response is sent, so every request a client has had an answer to is here.
        """
        with open(self.log_path, "rb") as handle:
            handle.seek(since)
            raw = handle.read() if until is None else handle.read(until - since)
            text = _ANSI.sub("", raw.decode("utf-8", errors="replace"))
        found = [
            Request(match["method"], match["target"], int(match["status"])) for match in _REQUEST_LINE.finditer(text)
        ]
        return [request for request in found if bucket is None or request.in_bucket(bucket)]

    def cpu_seconds(self) -> float:
        """CPU time the server process has used so far (Linux), to tell its work from a busy machine."""
        assert self.process is not None
        with open(f"/proc/{self.process.pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime

    def stop(self) -> None:
        terminate(self.process, timeout=10)
        self.process = None
        shutil.rmtree(self.log_dir, ignore_errors=True)
