"""S3 and MongoDB misbehaving behind a loopback fault proxy: renders never wait, nothing is lost.

The budgets asserted here are behaviour, not speed: a render that waited on the network would take
at least one connect timeout (configured well above the budget).
"""

from __future__ import annotations

import io
import threading
import time
from io import StringIO

import boto3
import pymongo
import pytest
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.management import call_command

from devservers.faultproxy import FaultProxy
from django_static_pipe.backends.gridfs import GridFSStorage
from tests.cdn.conftest import DOMAIN
from tests.conftest import T0
from tests.hardening.figures import record
from tests.media.conftest import gridfs_storages

RENDER_BUDGET_SECONDS = 0.5
PRODUCED = [f"css/imports_layout.min.{T0}.css", f"js/a_b.min.{T0}.js", f"img/photo.{T0}.png", f"img/bg.{T0}.png",
            f"css/unicode.min.{T0}.css"]  # fmt: skip
PAGE = """{% slimall %}<link rel="stylesheet" href="/css/imports.css"><link rel="stylesheet" href="/css/layout.css">
<script src="/js/a.js"></script><script src="/js/b.js"></script><img src="/img/photo.png">{% endslimall %}
{% staticfile "/img/bg.png" %}{% slimfile "/css/unicode.css" %}"""


@pytest.mark.slow
@pytest.mark.moto
def test_s3_faults_never_block_a_render_and_leave_no_bad_object(site, cdn, settings):
    fault = FaultProxy("127.0.0.1", int(cdn.endpoint_url.rsplit(":", 1)[1])).start()
    slowest = 0.0
    renders = 0
    try:
        settings.DJANGO_STATIC_CLOUDFRONT = cdn.settings_block(
            ENDPOINT_URL=f"http://{fault.endpoint}", PROPAGATION_SECONDS=0, CONNECT_TIMEOUT=2, READ_TIMEOUT=1
        )
        for mode in ("blackhole", "reset", "http_status", "drip", "down"):
            fault.set_mode(mode)
            fault.status = 503 if mode == "http_status" else 500
            cdn.proxy.forget_failures()
            for _ in range(10):
                started = time.monotonic()
                page = site.render(PAGE)
                slowest = max(slowest, time.monotonic() - started)
                renders += 1
                # Every asset named, by its local URL or (a drip still gets through) its verified CDN URL.
                for produced in PRODUCED:
                    assert (
                        f'"/{produced}"' in page
                        or f"https://{DOMAIN}/assets/{produced}" in page
                        or f"/{produced}" in page
                    )
            cdn.proxy.wait_idle(60)
        fault.status = 500
        fault.set_mode("http_status")
        cdn.proxy.forget_failures()
        site.render(PAGE)
        cdn.proxy.wait_idle(60)
        # A drip cut off in the middle of an upload must not leave half an object behind.
        fault.set_mode("drip")
        cdn.proxy.forget_failures()
        site.render(PAGE)
        time.sleep(0.3)
        fault.set_mode("down")
        cdn.proxy.wait_idle(60)
        fault.set_mode("pass")
        cdn.proxy.forget_failures()
        site.render(PAGE)
        assert cdn.proxy.wait_idle(60)
        page = site.render(PAGE)
    finally:
        fault.stop()
    assert slowest < RENDER_BUDGET_SECONDS, slowest
    assert f"https://{DOMAIN}/assets/" in page  # full recovery
    objects = cdn.s3.list_objects_v2(Bucket=cdn.bucket)["Contents"]
    wrong = []
    for item in objects:
        body = cdn.s3.get_object(Bucket=cdn.bucket, Key=item["Key"])["Body"].read()
        local = site.output("/" + item["Key"].removeprefix("assets/")).read_bytes()
        if body != local or not body:
            wrong.append(item["Key"])
    assert wrong == []
    record("s3_faults", modes="blackhole, reset, 500, 503 SlowDown, drip, down, drip cut mid-upload",
           renders=renders, slowest_render_seconds=round(slowest, 4), objects=len(objects),
           zero_byte_or_wrong_objects=len(wrong))  # fmt: skip


@pytest.fixture
def mongo_behind_fault(mongo_server, gridfs_database):
    host, port = mongo_server.uri.split("//", 1)[1].rstrip("/").rsplit(":", 1)
    fault = FaultProxy(host, int(port)).start()
    storage = GridFSStorage(
        uri=f"mongodb://{fault.endpoint}/?directConnection=true",
        database=gridfs_database,
        server_selection_timeout_ms=500,
        socket_timeout_ms=1000,
        chunk_size_bytes=64 * 1024,
    )
    yield fault, storage
    fault.stop()


@pytest.mark.slow
@pytest.mark.mongo
def test_mongodb_faults_are_503_and_leave_no_orphans(mongo_behind_fault, mongo_server, settings, client):
    fault, storage = mongo_behind_fault
    settings.STORAGES = gridfs_storages(**storage._explicit)
    settings.ROOT_URLCONF = "tests.urls"
    storage.save("kept.bin", ContentFile(b"k" * 200_000))
    held = 0.0
    statuses: dict[str, int] = {}
    for mode in ("blackhole", "reset", "down"):
        fault.set_mode(mode)
        for _ in range(3):
            started = time.monotonic()
            status = client.get("/media/kept.bin").status_code
            held = max(held, time.monotonic() - started)
            statuses[f"{mode} {status}"] = statuses.get(f"{mode} {status}", 0) + 1
            assert status == 503, mode
    # socketTimeoutMS 1000 + serverSelectionTimeoutMS 500: no request thread is held longer.
    assert held < 3.0, held

    # An upload cut off half way: its chunks cannot even be cleaned up while the server is away.
    fault.set_mode("drip")
    fault.drip_bytes, fault.drip_delay = 64 * 1024, 0.02
    failure: list[BaseException] = []

    def upload() -> None:
        try:
            storage.save("cut.bin", File(io.BytesIO(b"c" * 8_000_000), "cut.bin"))
        except BaseException as exc:
            failure.append(exc)

    uploader = threading.Thread(target=upload)
    direct = pymongo.MongoClient(mongo_server.uri, serverSelectionTimeoutMS=5000)
    chunks = direct[storage.option("database")][f"{storage.bucket}.chunks"]
    kept_chunks = chunks.count_documents({})
    uploader.start()
    deadline = time.monotonic() + 30
    while chunks.count_documents({}) == kept_chunks and time.monotonic() < deadline:
        time.sleep(0.05)  # wait until the first batch of chunks is in, then cut the server off
    fault.set_mode("down")
    uploader.join(timeout=60)
    assert failure and not storage_has(storage, "cut.bin", fault)
    fault.set_mode("pass")
    orphans_before = chunks.count_documents({}) - kept_chunks
    assert orphans_before > 0  # the failed upload could not clean up after itself: the sweep must
    out = StringIO()
    # The upload is over (it failed): a sweep may now treat anything older than a second as left over.
    # The sweep refuses an age below the longest possible upload, so tell it that is short here.
    settings.STORAGES = gridfs_storages(**{**storage._explicit, "max_upload_seconds": 0.5})
    time.sleep(2.1)  # ObjectIds count whole seconds: let the orphans be older than the 1.5 s floor
    call_command("static_pipe_gridfs_sweep", "--older-than", str(1.6 / 3600), stdout=out)
    orphans_after = chunks.count_documents({}) - kept_chunks
    direct.close()
    assert orphans_after == 0
    response = client.get("/media/kept.bin")  # full recovery
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"k" * 200_000
    record("mongodb_faults", statuses=statuses, longest_request_seconds=round(held, 3),
           orphaned_chunks_after_cut_upload=orphans_before, orphaned_chunks_after_sweep=orphans_after,
           sweep=out.getvalue().strip())  # fmt: skip


def storage_has(storage: GridFSStorage, name: str, fault: FaultProxy) -> bool:
    mode = fault.mode
    fault.set_mode("pass")
    try:
        return storage.exists(name)
    finally:
        fault.set_mode(mode)


def test_a_huge_source_hits_the_size_limit_with_a_clear_error(site, settings):
    from django_static_pipe.exceptions import AssetTooLargeError

    settings.DJANGO_STATIC_MAX_SOURCE_BYTES = 1_000_000
    site.write("/js/huge.js", "var x = 1;\n" * 200_000)
    with pytest.raises(
        AssetTooLargeError, match=r"/js/huge\.js .* is 2200000 bytes, over DJANGO_STATIC_MAX_SOURCE_BYTES"
    ):
        site.render('{% slimfile "/js/huge.js" %}')
    assert not site.out.exists() or not list(site.out.rglob("huge*"))


def test_unterminated_sources_minify_in_linear_time(site):
    import rcssmin
    import rjsmin

    timings = {}
    for name, minifier, text in [
        ("js comment", rjsmin.jsmin, "var a = 1; /* " + "x" * 10_000_000),
        ("js string", rjsmin.jsmin, "var a = '" + "x" * 10_000_000),
        ("css comment", rcssmin.cssmin, "a { b: c } /* " + "x" * 10_000_000),
        ("css string", rcssmin.cssmin, "a { content: '" + "x" * 10_000_000),
    ]:
        started = time.monotonic()
        assert len(minifier(text)) > 9_000_000  # nothing lost, nothing stuck
        timings[name] = round(time.monotonic() - started, 3)
    record("resources", unterminated_10mb_minify_seconds=timings)


@pytest.mark.moto
def test_render_of_t0_assets_is_local_without_a_cdn(site):
    assert site.render('{% staticfile "/img/bg.png" %}') == f"/img/bg.{T0}.png"
    assert boto3  # the CDN tests above used the real client
