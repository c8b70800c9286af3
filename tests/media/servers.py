"""The media view under real servers (gunicorn for WSGI, uvicorn for ASGI), with the memory they hold."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from devservers.ports import free_port, terminate, wait_for_port

REPO = Path(__file__).resolve().parents[2]


def _command(kind: str, port: int) -> list[str]:
    if kind == "wsgi":
        return [sys.executable, "-m", "gunicorn", "tests.media.server_app:wsgi", "--bind", f"127.0.0.1:{port}",
                "--workers", "1", "--log-level", "warning"]  # fmt: skip
    return [sys.executable, "-m", "uvicorn", "tests.media.server_app:asgi", "--host", "127.0.0.1", "--port",
            str(port), "--lifespan", "off", "--log-level", "warning"]  # fmt: skip


@contextmanager
def media_server(kind: str, mongo_uri: str, database: str, log: Path) -> Iterator[tuple[str, int]]:
    """(base URL, pid of the process that runs the view) of a server of ``kind`` (``wsgi``/``asgi``)."""
    port = free_port()
    env = {**os.environ, "MEDIA_TEST_MONGODB_URI": mongo_uri, "MEDIA_TEST_DATABASE": database,
           "DJANGO_SETTINGS_MODULE": "tests.media.server_settings"}  # fmt: skip
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(REPO / "src")])
    with open(log, "wb") as output:
        process = subprocess.Popen(_command(kind, port), cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        assert wait_for_port("127.0.0.1", port, timeout=60, process=process), log.read_text()
        yield f"http://127.0.0.1:{port}", _serving_pid(process.pid, kind)
    finally:
        terminate(process, timeout=20)


def _serving_pid(pid: int, kind: str) -> int:
    """gunicorn serves from a worker it forked; uvicorn (one process) from itself."""
    if kind == "asgi":
        return pid
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.05)
    raise AssertionError("gunicorn started no worker within 30 s")


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (the peak resident size so far) of a process, in KiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _colon, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values
