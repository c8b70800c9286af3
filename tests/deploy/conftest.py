"""The example site deployed for real: prepared by start.py, gunicorn behind the generated nginx config."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from devservers.nginx import nginx_binary
from devservers.ports import free_port, wait_for_port

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "example_site"


@dataclass
class Deployed:
    base_url: str
    port: int
    var: Path
    env: dict[str, str]
    log: Path

    @property
    def save_folder(self) -> Path:
        return self.var / "cache-forever"


def example_env(var: Path, mongo_uri: str | None, **extra: str) -> dict[str, str]:
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("EXAMPLE_", "MONGODB_URI", "DJANGO_"))
    }
    env.update({"EXAMPLE_VAR_DIR": str(var), "EXAMPLE_ADMIN_PASSWORD": "admin-password", "PYTHONUNBUFFERED": "1"})
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))  # for devservers
    if mongo_uri:
        env["MONGODB_URI"] = mongo_uri
        env["EXAMPLE_MONGODB_DATABASE"] = "ex" + uuid.uuid4().hex[:12]
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def deployed(mongo_server: Any) -> Iterator[Deployed]:
    """start.py run as a deploy would: wait for MongoDB, migrate, admin, build, then gunicorn + nginx."""
    assert nginx_binary(), "nginx is not installed: scripts/test installs Debian's nginx-light"
    # nginx's workers run as 'nobody' when started by root: the folder must be readable by others,
    # which pytest's own temporary folders (mode 0700) are not.
    var = Path(tempfile.mkdtemp(prefix="static-pipe-example-"))
    var.chmod(0o755)
    port = free_port()
    env = example_env(var, mongo_server.uri)
    log = var / "start.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, str(EXAMPLE / "start.py"), "--port", str(port), "--workers", "2"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        if not wait_for_port("127.0.0.1", port, timeout=120, process=process):
            pytest.fail(f"the example site did not start:\n{log.read_text()}")
        yield Deployed(base_url=f"http://127.0.0.1:{port}", port=port, var=var, env=env, log=log)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(var, ignore_errors=True)


@pytest.fixture
def example_copy(tmp_path: Path) -> Path:
    """A private copy of the example site, to break and rebuild at will."""
    target = tmp_path / "example_site"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("var", "__pycache__"))
    return target


def run_manage(site: Path, env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, str(site / "manage.py"), *args], env=env, capture_output=True, text=True, timeout=300, cwd=site
    )
    result.elapsed = time.monotonic() - started  # type: ignore[attr-defined]
    if check and result.returncode != 0:
        raise AssertionError(
            f"manage.py {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result
