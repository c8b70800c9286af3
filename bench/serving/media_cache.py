"""GridFS media through the generated configuration's cache, against the same files served by nginx
from disk (the generated MEDIA_ROOT location of the same configuration), and the first, uncached
request against Django's FileResponse."""

from __future__ import annotations

import shutil
import urllib.error
from pathlib import Path
from typing import Any

from bench import harness
from bench.serving import tools
from devservers.nginx import Nginx
from devservers.ports import free_port
from django_static_pipe.nginx_config import NginxOptions, full_config

CACHED = "GridFS through nginx's cache (HIT)"
DISK = "nginx from disk (generated MEDIA_ROOT location)"
MISS = "GridFS through nginx's cache, first request (MISS)"
VIEW = "GridFS view under gunicorn, no nginx"
FILE_RESPONSE = "FileResponse from disk under gunicorn"


class CachingNginx:
    """nginx with the generated configuration: ``/media/`` the GridFS view behind the cache,
    ``/disk/`` the same files from a MEDIA_ROOT folder. ``restart()`` empties the cache."""

    def __init__(self, base: Path, name: str, disk: Path, app_port: int, save: Path) -> None:
        self.port = free_port()
        self.run_dir = base / f"nginx-{name}"
        self.options = NginxOptions(
            save_folder=str(save),
            name_prefix="/cache-forever",
            media_url="/disk/",
            media_root=str(disk),
            gridfs_url="/media/",
            listen=f"127.0.0.1:{self.port}",
            upstream=f"127.0.0.1:{app_port}",
            run_dir=str(self.run_dir),
        )
        self.server: Nginx | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> CachingNginx:
        self.run_dir.mkdir(mode=0o755, exist_ok=True)
        self.server = Nginx(full_config(self.options), self.port, run_dir=str(self.run_dir)).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.stop()
            self.server = None

    def restart_empty(self) -> None:
        """Stop, remove the cache from disk, start: the next request of every file is a MISS. A few
        requests of a name that is not stored wake every worker, so the timing is the file's alone."""
        self.stop()
        shutil.rmtree(self.run_dir / "media-cache", ignore_errors=True)
        self.start()
        for _ in range(8):
            try:
                tools.latency(self.url("/media/not-stored-warm-up"))
            except urllib.error.HTTPError as exc:
                if exc.code != 404:
                    raise


def cached_small(small: CachingNginx, rounds: int, seconds: float) -> dict[str, Any]:
    """req/s of a 30 KB image: GridFS through the cache (warmed) against nginx from disk."""
    cached, disk = small.url("/media/image30k.png"), small.url("/disk/image30k.png")
    tools.latency(cached)
    if tools.headers(small.port, "/media/image30k.png").get("X-Cache-Status") != "HIT":
        raise RuntimeError("the 30 KB image is not served from nginx's cache")
    samples: dict[str, list[dict[str, float]]] = {CACHED: [], DISK: []}
    for url in (cached, disk):  # warm up each once
        tools.wrk(url, 1)
    contenders = {name: (lambda url=url, name=name: samples[name].append(tools.wrk(url, seconds)))
                  for name, url in ((CACHED, cached), (DISK, disk))}  # fmt: skip
    harness.interleave(contenders, rounds=rounds)
    return samples


def cached_large(big: CachingNginx, rounds: int) -> dict[str, list[float]]:
    """MB/s of a 50 MB file: the second request through the cache against nginx from disk."""
    cached, disk = big.url("/media/big50m.bin"), big.url("/disk/big50m.bin")
    tools.download(cached)
    if tools.headers(big.port, "/media/big50m.bin").get("X-Cache-Status") != "HIT":
        raise RuntimeError("the 50 MB file is not served from nginx's cache")
    speeds: dict[str, list[float]] = {CACHED: [], DISK: []}
    contenders = {name: (lambda url=url, name=name: speeds[name].append(tools.download(url) / 1e6))
                  for name, url in ((CACHED, cached), (DISK, disk))}  # fmt: skip
    harness.interleave(contenders, rounds=rounds)
    return speeds


def first_requests(nginx: CachingNginx, app_port: int, name: str, rounds: int) -> dict[str, list[float]]:
    """Seconds to the last byte of one request of ``name``: the first through an emptied cache, the
    GridFS view alone, and FileResponse from disk; interleaved round by round."""
    times: dict[str, list[float]] = {MISS: [], VIEW: [], FILE_RESPONSE: []}
    for round_number in range(rounds):
        nginx.restart_empty()
        order = [MISS, VIEW, FILE_RESPONSE]
        for contender in order if round_number % 2 == 0 else reversed(order):
            if contender == MISS:
                times[MISS].append(tools.latency(nginx.url(f"/media/{name}"), ("X-Cache-Status", "MISS")))
            elif contender == VIEW:
                times[VIEW].append(tools.latency(f"http://127.0.0.1:{app_port}/media/{name}"))
            else:
                times[FILE_RESPONSE].append(tools.latency(f"http://127.0.0.1:{app_port}/disk/{name}"))
    return times
