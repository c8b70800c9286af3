"""What the proxy asks of S3, counted in moto's request log: nothing sent twice, nothing read twice."""

from __future__ import annotations

import logging

import pytest

from django_static_pipe.backends.cloudfront import CloudFrontProxy
from tests.conftest import T0

pytestmark = pytest.mark.moto

NAMES = ["/js/a.js", "/js/b.js", "/css/layout.css", "/css/print.css", "/img/bg.png", "/img/photo.png", "/img/logo.svg"]


def methods(requests) -> dict[str, int]:
    counts: dict[str, int] = {}
    for request in requests:
        kind = "LIST" if request.method == "GET" and "list-type=2" in request.target else request.method
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def build(site, settings) -> list[tuple[str, str]]:
    """Build every name without a proxy; the ``(uri, filepath)`` pairs a deploy uploads."""
    settings.DJANGO_STATIC_FILE_PROXY = None
    urls = site.render("".join(f'{{% staticfile "{name}" %}}\n' for name in NAMES)).split("\n")[:-1]
    return [(url, str(site.output(url))) for url in urls]


def test_upload_all_lists_once_and_sends_only_what_is_missing(site, cdn, settings):
    files = build(site, settings)
    mark = cdn.mark()
    first = CloudFrontProxy(clock=cdn.clock).upload_all(files)
    assert (len(first.uploaded), first.present, first.failed) == (len(NAMES), [], {})
    assert methods(cdn.requests(mark)) == {"LIST": 1, "PUT": len(NAMES)}  # no HEAD before, none after

    mark = cdn.mark()
    # The next deploy (a new process), told not to trust the upload record (test_upload_record.py).
    again = CloudFrontProxy(clock=cdn.clock).upload_all(files, recheck=True)
    assert (again.uploaded, len(again.present), again.failed) == ([], len(NAMES), {})
    assert methods(cdn.requests(mark)) == {"LIST": 1}  # no byte sent, no object read

    cdn.s3.delete_object(Bucket=cdn.bucket, Key=f"assets/img/bg.{T0}.png")
    mark = cdn.mark()
    third = CloudFrontProxy(clock=cdn.clock).upload_all(files, recheck=True)
    assert third.uploaded == [f"assets/img/bg.{T0}.png"]
    assert methods(cdn.requests(mark)) == {"LIST": 1, "PUT": 1}


def test_a_listing_cut_short_falls_back_to_one_head_per_key_after_it(site, cdn, settings):
    files = build(site, settings)
    for number in range(1001):  # more than one page, all before "assets/css/" in S3's order
        cdn.s3.put_object(Bucket=cdn.bucket, Key=f"assets/0/{number:04}", Body=b"")
    mark = cdn.mark()
    report = CloudFrontProxy(clock=cdn.clock).upload_all(files)  # 7 keys: a budget of one page
    assert (len(report.uploaded), report.failed) == (len(NAMES), {})
    assert methods(cdn.requests(mark)) == {"LIST": 1, "HEAD": len(NAMES), "PUT": len(NAMES)}


def test_the_render_worker_looks_once_and_sends_once(site, cdn):
    mark = cdn.mark()
    site.render('{% slimfile "/js/a.js" %}')
    assert cdn.proxy.wait_idle(30)
    assert methods(cdn.requests(mark)) == {"HEAD": 1, "PUT": 1}  # S3's answer to the PUT is the verification


def test_a_verified_key_is_never_sent_to_s3_again_even_when_the_cache_forgets(site, cdn, settings, caplog):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    settings.DJANGO_STATIC_CLOUDFRONT = cdn.settings_block(SLOWMAP="cache", PROPAGATION_SECONDS=0)
    template = '{% slimfile "/js/a.js" %}{% staticfile "/img/bg.png" %}'
    with caplog.at_level(logging.ERROR, logger="django_static_pipe"):
        site.render(template)
        assert cdn.proxy.wait_idle(30)
        mark = cdn.mark()
        for _ in range(5):
            site.render(template)
            assert cdn.proxy.wait_idle(30)
    assert cdn.requests(mark) == []
    assert cdn.proxy._queue is not None and cdn.proxy._queue.unfinished_tasks == 0
    assert caplog.text.count("keeps nothing") == 1
