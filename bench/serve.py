"""Scenario 5: serving. nginx with the generated config against a hand-written one and WhiteNoise;
the GridFS view against Django's FileResponse from disk. Loads stay on loopback, bounded in time."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from bench import harness
from devservers.mongo import MongoServer
from devservers.nginx import Nginx
from devservers.ports import free_port, wait_for_port
from django_static_pipe import precompress
from django_static_pipe.nginx_config import NginxOptions, full_config

REPO = Path(__file__).resolve().parent.parent
STAMPED = "js/app.0123456789ab.js"
REFERENCE_LOCATION = """
        location ^~ /cache-forever/ {
            alias @SAVE@/;
            access_log off;
            expires max;
            add_header Cache-Control "public, immutable";
            gzip_static on;
        }
"""


def _wrk(url: str, seconds: float, connections: int = 8) -> dict[str, float]:
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", url], capture_output=True, text=True, check=True
    ).stdout
    requests = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    if requests == 0:
        raise RuntimeError(f"wrk got no answer from {url}:\n{output}")
    transfer = re.search(r"Transfer/sec:\s+([\d.]+)([KMG]?B)", output)
    scale = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}[transfer.group(2)]  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": requests,
        "bytes_per_s": float(transfer.group(1)) * scale,
        "errors": float(errors.group(1)) if errors else 0,
    }  # type: ignore[union-attr]


def _headers(port: int, path: str) -> list[str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.msg.get_all("Cache-Control") or []


def _gunicorn(env: dict[str, str], port: int, workers: int = 2) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "bench.serving.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=REPO,
        env=env,
    )
    if not wait_for_port("127.0.0.1", port, timeout=60, process=process):
        raise RuntimeError("gunicorn did not start")
    return process


def _worker_peak_rss(master: subprocess.Popen[bytes]) -> int:
    """The largest VmHWM (peak resident memory) among the gunicorn master's workers, in bytes."""
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    peaks = []
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        peaks.append(int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) * 1024)  # type: ignore[union-attr]
    return max(peaks)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=20)


def scenario_serving(rounds: int, seconds: float) -> dict[str, Any]:
    base = Path(tempfile.mkdtemp(prefix="bench-serving-"))
    base.chmod(0o755)
    save = base / "cache-forever"
    body = (b"/* a stamped script */\n" + os.urandom(11_000).hex().encode())[: 30 * 1024]
    with precompress.synchronous():
        precompress.write_output(str(save / STAMPED), body, link_to=None, kinds=("gzip",))
    static_root = base / "static"
    shutil.copytree(save, static_root)
    disk = base / "disk"
    disk.mkdir()
    results: dict[str, Any] = {}
    nginx_ports = {"generated": free_port(), "reference": free_port()}
    servers = []
    try:
        for name, port in nginx_ports.items():
            run_dir = base / f"nginx-{name}"
            run_dir.mkdir()
            options = NginxOptions(
                save_folder=str(save),
                name_prefix="/cache-forever",
                media_url="/media/",
                brotli=False,
                listen=f"127.0.0.1:{port}",
                run_dir=str(run_dir),
                upstream=f"127.0.0.1:{free_port()}",
            )
            config = full_config(options)
            if name == "reference":
                start = config.index("        # django-static-pipe: stamped files")
                end = config.index("        # django-static-pipe: user media")
                config = config[:start] + REFERENCE_LOCATION.replace("@SAVE@", str(save)) + config[end:]
            servers.append(Nginx(config, port, run_dir=str(run_dir)).start())
        results["cache_control_headers"] = {
            name: _headers(port, "/cache-forever/" + STAMPED) for name, port in nginx_ports.items()
        }

        mongo = MongoServer().start()
        database = "bench" + uuid.uuid4().hex[:8]
        env = {
            **os.environ,
            "BENCH_STATIC_ROOT": str(static_root),
            "BENCH_MONGODB_URI": mongo.uri,
            "BENCH_MONGODB_DATABASE": database,
            "BENCH_DISK_FOLDER": str(disk),
            "PYTHONPATH": str(REPO),
        }
        env.pop("DJANGO_SETTINGS_MODULE", None)
        image = os.urandom(30 * 1024)
        big = os.urandom(1024 * 1024) * 50
        (disk / "image30k.png").write_bytes(image)
        (disk / "big50m.bin").write_bytes(big)
        # FerretDB reads a bucket by scanning all of it (no index but _id), so the 30 KB image gets a
        # database of its own: with the 50 MB file beside it, every small request would scan 50 MB.
        big_env = {**env, "BENCH_MONGODB_DATABASE": database + "big"}
        _store_in_gridfs(env, {"image30k.png": image})
        _store_in_gridfs(big_env, {"image30k.png": image, "big50m.bin": big})
        app_port = free_port()
        app = _gunicorn(env, app_port)
        try:
            urls = {
                "nginx, generated config": f"http://127.0.0.1:{nginx_ports['generated']}/cache-forever/{STAMPED}",
                "nginx, hand-written reference config": f"http://127.0.0.1:{nginx_ports['reference']}/cache-forever/{STAMPED}",
                "WhiteNoise under gunicorn (2 workers)": f"http://127.0.0.1:{app_port}/static/{STAMPED}",
            }
            results["stamped_30k"] = _wrk_series(urls, rounds, seconds)
            small = {
                "GridFS view, 30 KB image": f"http://127.0.0.1:{app_port}/media/image30k.png",
                "FileResponse from disk, 30 KB image": f"http://127.0.0.1:{app_port}/disk/image30k.png",
            }
            results["media_30k"] = _wrk_series(small, rounds, seconds)
        finally:
            _stop(app)
        results["media_50m"] = _large_file_series(big_env, rounds)
        mongo.close()
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(base, ignore_errors=True)
    return results


def _wrk_series(urls: dict[str, str], rounds: int, seconds: float) -> dict[str, Any]:
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in urls}
    for url in urls.values():  # warm up each once
        _wrk(url, 1)
    contenders = {
        name: (lambda url=url, name=name: samples[name].append(_wrk(url, seconds))) for name, url in urls.items()
    }
    harness.interleave(contenders, rounds=rounds)
    return {name: samples[name] for name in urls}


def _store_in_gridfs(env: dict[str, str], files: dict[str, bytes]) -> None:
    code = (
        "import sys, django; django.setup()\n"
        "from django.core.files.base import ContentFile\n"
        "from django.core.files.storage import storages\n"
        "import pickle\n"
        "for name, data in pickle.load(sys.stdin.buffer).items():\n"
        "    storages['default'].save(name, ContentFile(data))\n"
    )
    import pickle

    subprocess.run(
        [sys.executable, "-c", code],
        input=pickle.dumps(files),
        env={**env, "DJANGO_SETTINGS_MODULE": "bench.serving.settings"},
        cwd=REPO,
        check=True,
    )


def _download(url: str) -> float:
    started = time.perf_counter()
    size = 0
    with urllib.request.urlopen(url, timeout=120) as response:
        while chunk := response.read(1024 * 1024):
            size += len(chunk)
    return size / (time.perf_counter() - started)


def _large_file_series(env: dict[str, str], rounds: int) -> dict[str, Any]:
    """MB/s of a 50 MB download, and the workers' peak memory after 30 KB and after 50 MB requests,
    each kind on a gunicorn of its own so one does not raise the other's peak."""
    out: dict[str, Any] = {}
    for name, prefix in (("GridFS view", "media"), ("FileResponse from disk", "disk")):
        port = free_port()
        app = _gunicorn(env, port, workers=1)
        try:
            for _ in range(20):
                urllib.request.urlopen(f"http://127.0.0.1:{port}/{prefix}/image30k.png").read()
            small_peak = _worker_peak_rss(app)
            speeds = [_download(f"http://127.0.0.1:{port}/{prefix}/big50m.bin") for _ in range(rounds)]
            out[name] = {
                "mb_per_s": [s / 1e6 for s in speeds],
                "peak_rss_after_30k": small_peak,
                "peak_rss_after_50m": _worker_peak_rss(app),
            }
        finally:
            _stop(app)
    return out
