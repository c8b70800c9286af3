"""What the serving benchmark drives: wrk, gunicorn, plain downloads, GridFS uploads, worker memory."""

from __future__ import annotations

import http.client
import pickle
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from devservers.ports import wait_for_port

REPO = Path(__file__).resolve().parents[2]


def wrk(url: str, seconds: float, connections: int = 8) -> dict[str, float]:
    """Requests per second and bytes per second of ``seconds`` of load on one URL."""
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", url], capture_output=True, text=True, check=True
    ).stdout
    requests = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    if requests == 0:
        raise RuntimeError(f"wrk got no answer from {url}:\n{output}")
    transfer = re.search(r"Transfer/sec:\s+([\d.]+)([KMG]?B)", output)
    scale = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}[transfer.group(2)]  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise RuntimeError(f"wrk got {errors.group(1)} errors from {url}:\n{output}")
    return {"rps": requests, "bytes_per_s": float(transfer.group(1)) * scale, "errors": 0}  # type: ignore[union-attr]


def headers(port: int, path: str) -> http.client.HTTPMessage:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.msg
    finally:
        connection.close()


def gunicorn(env: dict[str, str], port: int, workers: int = 2) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "bench.serving.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--log-level", "warning"],
        cwd=REPO,
        env=env,
    )  # fmt: skip
    if not wait_for_port("127.0.0.1", port, timeout=60, process=process):
        raise RuntimeError("gunicorn did not start")
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=20)


def worker_peak_rss(master: subprocess.Popen[bytes]) -> int:
    """The largest VmHWM (peak resident memory) among the gunicorn master's workers, in bytes."""
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    peaks = []
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        peaks.append(int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) * 1024)  # type: ignore[union-attr]
    return max(peaks)


def download(url: str) -> float:
    """Bytes per second of one whole download."""
    started = time.perf_counter()
    size = 0
    with urllib.request.urlopen(url, timeout=120) as response:
        while chunk := response.read(1024 * 1024):
            size += len(chunk)
    return size / (time.perf_counter() - started)


def latency(url: str, expect_header: tuple[str, str] | None = None) -> float:
    """Seconds from sending one request to its last byte, on a new connection."""
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as response:
        while response.read(1024 * 1024):
            pass
        if expect_header and response.headers.get(expect_header[0]) != expect_header[1]:
            raise RuntimeError(f"{url}: {expect_header[0]} is {response.headers.get(expect_header[0])!r}")
    return time.perf_counter() - started


def store_in_gridfs(env: dict[str, str], files: dict[str, bytes]) -> None:
    code = (
        "import sys, django; django.setup()\n"
        "from django.core.files.base import ContentFile\n"
        "from django.core.files.storage import storages\n"
        "import pickle\n"
        "for name, data in pickle.load(sys.stdin.buffer).items():\n"
        "    storages['default'].save(name, ContentFile(data))\n"
    )
    subprocess.run(
        [sys.executable, "-c", code],
        input=pickle.dumps(files),
        env={**env, "DJANGO_SETTINGS_MODULE": "bench.serving.settings"},
        cwd=REPO,
        check=True,
    )
