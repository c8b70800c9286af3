"""Scenario 5: serving. nginx with the generated config against a hand-written one and WhiteNoise;
the GridFS view against Django's FileResponse from disk; GridFS through the generated config's cache
against nginx from disk. Loads stay on loopback, bounded in time."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

from bench import harness
from bench.serving import media_cache, tools
from devservers.mongo import MongoServer
from devservers.nginx import Nginx
from devservers.ports import free_port
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
    servers: list[Any] = []
    mongo = MongoServer()
    try:
        for name, port in nginx_ports.items():
            run_dir = base / f"nginx-{name}"
            run_dir.mkdir()
            options = NginxOptions(
                save_folder=str(save),
                name_prefix="/cache-forever",
                listen=f"127.0.0.1:{port}",
                run_dir=str(run_dir),
                upstream=f"127.0.0.1:{free_port()}",
            )
            config = full_config(options)
            if name == "reference":
                start = config.index("        # django-static-pipe: stamped files")
                end = config.index("        # django-static-pipe:", start + 1)
                config = config[:start] + REFERENCE_LOCATION.replace("@SAVE@", str(save)) + config[end:]
            servers.append(Nginx(config, port, run_dir=str(run_dir)).start())
        results["cache_control_headers"] = {
            name: tools.headers(port, "/cache-forever/" + STAMPED).get_all("Cache-Control") or []
            for name, port in nginx_ports.items()
        }

        mongo.start()
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
        tools.store_in_gridfs(env, {"image30k.png": image})
        tools.store_in_gridfs(big_env, {"image30k.png": image, "big50m.bin": big})
        app_port, big_port = free_port(), free_port()
        app, big_app = tools.gunicorn(env, app_port), tools.gunicorn(big_env, big_port)
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
            small_nginx = media_cache.CachingNginx(base, "media-small", disk, app_port, save).start()
            big_nginx = media_cache.CachingNginx(base, "media-big", disk, big_port, save).start()
            servers += [small_nginx, big_nginx]
            results["cached_30k"] = media_cache.cached_small(small_nginx, rounds, seconds)
            results["cached_50m"] = media_cache.cached_large(big_nginx, rounds)
            results["first_30k"] = media_cache.first_requests(small_nginx, app_port, "image30k.png", rounds)
            results["first_50m"] = media_cache.first_requests(big_nginx, big_port, "big50m.bin", rounds)
        finally:
            tools.stop(app)
            tools.stop(big_app)
        results["media_50m"] = _large_file_series(big_env, rounds)
    finally:
        for server in servers:
            server.stop()
        mongo.close()
        shutil.rmtree(base, ignore_errors=True)
    return results


def _wrk_series(urls: dict[str, str], rounds: int, seconds: float) -> dict[str, Any]:
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in urls}
    for url in urls.values():  # warm up each once
        tools.wrk(url, 1)
    contenders = {
        name: (lambda url=url, name=name: samples[name].append(tools.wrk(url, seconds))) for name, url in urls.items()
    }
    harness.interleave(contenders, rounds=rounds)
    return {name: samples[name] for name in urls}


def _large_file_series(env: dict[str, str], rounds: int) -> dict[str, Any]:
    """MB/s of a 50 MB download, and the workers' peak memory after 30 KB and after 50 MB requests,
    each kind on a gunicorn of its own so one does not raise the other's peak."""
    out: dict[str, Any] = {}
    for name, prefix in (("GridFS view", "media"), ("FileResponse from disk", "disk")):
        port = free_port()
        app = tools.gunicorn(env, port, workers=1)
        try:
            for _ in range(20):
                tools.latency(f"http://127.0.0.1:{port}/{prefix}/image30k.png")
            small_peak = tools.worker_peak_rss(app)
            speeds = [tools.download(f"http://127.0.0.1:{port}/{prefix}/big50m.bin") for _ in range(rounds)]
            out[name] = {
                "mb_per_s": [s / 1e6 for s in speeds],
                "peak_rss_after_30k": small_peak,
                "peak_rss_after_50m": tools.worker_peak_rss(app),
            }
        finally:
            tools.stop(app)
    return out
