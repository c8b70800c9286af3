"""A project on GridFS behind the printed configuration (``--run-dir``, made by the command): media
through nginx's cache, with Range and conditional requests still right, and nothing but a complete
200 ever stored. Its MongoDB-wire server is its own, so stopping it disturbs no other test."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator

import pytest

from devservers.mongo import MongoServer
from tests.deploy.nginx_sites import Served, serve_example

pytestmark = [pytest.mark.nginx, pytest.mark.mongo]


@pytest.fixture(scope="module")
def mongo() -> Iterator[MongoServer]:
    server = MongoServer().start()
    if server.external:
        pytest.skip("MONGODB_URI is a server these tests cannot stop and start")
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="module")
def site(mongo: MongoServer) -> Iterator[Served]:
    served = serve_example(mongo.uri, run_dir=True)
    try:
        yield served
    finally:
        served.stop()


@pytest.fixture
def up(mongo: MongoServer) -> Iterator[MongoServer]:
    """The server, started again if a test stopped it."""
    yield mongo
    if mongo.process is None:
        mongo.start()


def picture(size: int = 30 * 1024) -> bytes:
    return bytes.fromhex("89504e470d0a1a0a") + os.urandom(size - 8)


def test_the_run_dir_is_made_by_the_command_and_holds_the_cache(site):
    run = site.var / "nginx-run"
    assert f"created the run-time folder {run}" in site.command_stderr
    assert f'proxy_cache_path "{run}/media-cache"' in site.config
    url = site.store("photos/cached.png", picture())
    assert site.get(url).status == 200
    assert any(path.is_file() for path in (run / "media-cache").rglob("*"))


def test_first_request_is_a_miss_then_hits(site):
    data = picture()
    url = site.store("photos/first.png", data)
    first, second = site.get(url), site.get(url)
    assert (first.status, first.header("X-Cache-Status"), first.body) == (200, "MISS", data)
    assert (second.status, second.header("X-Cache-Status"), second.body) == (200, "HIT", data)
    for answer in (first, second):
        assert answer.header("ETag") == f'"{hashlib.sha256(data).hexdigest()}"'
        assert answer.header("Content-Type") == "image/png"
        assert answer.header("X-Content-Type-Options") == "nosniff"
        assert answer.all("Cache-Control") == ["public, max-age=86400"]
    # The query string names no other file: no second entry, no way around the cache.
    assert site.get(url + "?v=2").header("X-Cache-Status") == "HIT"


def test_range_requests_are_right_on_a_miss_and_on_a_hit(site):
    data = picture(200_000)
    url = site.store("videos/clip.png", data)
    miss = site.get(url, Range="bytes=100-199")
    assert (miss.status, miss.header("X-Cache-Status")) == (206, "MISS")
    assert miss.body == data[100:200] and miss.header("Content-Range") == f"bytes 100-199/{len(data)}"
    for wanted, expected in [
        ("bytes=100-199", data[100:200]),
        ("bytes=-10", data[-10:]),
        ("bytes=199990-", data[199990:]),
    ]:
        hit = site.get(url, Range=wanted)
        assert (hit.status, hit.header("X-Cache-Status"), hit.body) == (206, "HIT", expected), wanted
    assert site.get(url, Range=f"bytes={len(data)}-").status == 416
    etag = site.get(url).header("ETag")
    assert site.get(url, Range="bytes=0-9", If_Range=etag).body == data[:10]
    stale = site.get(url, Range="bytes=0-9", If_Range='"another-version"')
    assert (stale.status, stale.body) == (200, data)


def test_conditional_requests_are_answered_from_the_cache(site):
    data = picture()
    url = site.store("photos/conditional.png", data)
    first = site.get(url, If_None_Match='"not-this-one"')
    assert (first.status, first.header("X-Cache-Status")) == (200, "MISS")
    etag, modified = first.header("ETag"), first.header("Last-Modified")
    for headers in ({"If_None_Match": etag}, {"If_Modified_Since": modified}):
        answer = site.get(url, **headers)
        assert (answer.status, answer.header("X-Cache-Status"), answer.body) == (304, "HIT", b""), headers
        assert answer.header("ETag") == etag
    assert site.get(url, If_None_Match='"changed"').status == 200


def test_head_is_served_from_the_same_entry(site):
    data = picture()
    url = site.store("photos/head.png", data)
    head = site.get(url, "HEAD")
    assert (head.status, head.header("Content-Length"), head.body) == (200, str(len(data)), b"")
    assert site.get(url).header("X-Cache-Status") == "HIT"


def test_a_404_is_never_cached_so_a_later_upload_is_seen(site):
    missing = site.get("/media/photos/later.png")
    assert (missing.status, missing.header("X-Cache-Status")) == (404, "MISS")
    assert missing.all("Expires") == [] and "max-age" not in (missing.header("Cache-Control") or "")
    assert site.get("/media/photos/later.png").header("X-Cache-Status") == "MISS"
    data = picture()
    assert site.store("photos/later.png", data) == "/media/photos/later.png"
    assert site.get("/media/photos/later.png").body == data


def test_mongodb_away_a_503_is_never_cached_and_cached_files_are_still_served(site, up):
    cached, never_asked = picture(), picture()
    cached_url = site.store("photos/kept.png", cached)
    new_url = site.store("photos/not-yet-asked.png", never_asked)
    assert site.get(cached_url).header("X-Cache-Status") == "MISS"
    up.stop()
    for _ in range(2):
        away = site.get(new_url)
        assert (away.status, away.header("X-Cache-Status")) == (503, "MISS")
    kept = site.get(cached_url)  # no database round trip for a cached file
    assert (kept.status, kept.header("X-Cache-Status"), kept.body) == (200, "HIT", cached)
    up.start()
    back = site.get(new_url)
    assert (back.status, back.header("X-Cache-Status"), back.body) == (200, "MISS", never_asked)
    assert site.get(new_url).header("X-Cache-Status") == "HIT"


def test_a_large_file_is_cached_whole_and_served_in_ranges(site):
    data = os.urandom(6 * 1024 * 1024)
    url = site.store("videos/large.bin", data)
    first = site.get(url)
    assert (first.status, first.header("X-Cache-Status"), first.body) == (200, "MISS", data)
    tail = site.get(url, Range="bytes=6000000-")
    assert (tail.status, tail.header("X-Cache-Status"), tail.body) == (206, "HIT", data[6000000:])


def test_a_name_freed_by_a_delete_never_serves_the_old_cached_file(site):
    # The cache keys on the URL: it is right because the storage never hands out a deleted name again.
    old, new = picture(), picture()
    url = site.store("photos/replaced.png", old)
    assert site.get(url).body == old
    site.delete(url.removeprefix("/media/"))
    new_url = site.store("photos/replaced.png", new)
    assert new_url != url
    assert site.get(new_url).body == new and site.get(new_url).header("X-Cache-Status") == "HIT"
