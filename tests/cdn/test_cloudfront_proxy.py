"""The S3 + CloudFront proxy against moto in server mode, with an injected clock and no sleeps."""

from __future__ import annotations

import logging
import time

import pytest
from django.core.exceptions import ImproperlyConfigured

from devservers.faultproxy import FaultProxy
from django_static_pipe.backends.cloudfront import CloudFrontProxy
from tests.cdn.conftest import DOMAIN
from tests.conftest import T0

pytestmark = pytest.mark.moto

JS = f"/js/a.min.{T0}.js"
JS_KEY = f"assets/js/a.min.{T0}.js"


def test_upload_has_the_right_bytes_type_and_cache_headers(site, cdn):
    assert site.render('{% slimfile "/js/a.js" %}') == JS  # local at once: the render never waits
    assert cdn.proxy.wait_idle(30)
    assert cdn.keys() == [JS_KEY]
    stored = cdn.s3.get_object(Bucket=cdn.bucket, Key=JS_KEY)
    assert stored["Body"].read() == site.output(JS).read_bytes()
    assert stored["ContentType"] == "text/javascript; charset=utf-8"
    assert stored["CacheControl"] == "public, max-age=315360000, immutable"


def test_object_key_without_prefix(site, cdn, settings):
    settings.DJANGO_STATIC_CLOUDFRONT = cdn.settings_block(KEY_PREFIX="")
    settings.DJANGO_STATIC_NAME_PREFIX = "/cache-forever"
    site.render('{% slimfile "/js/a.js" %}')
    cdn.proxy.wait_idle(30)
    assert cdn.keys() == [f"cache-forever/js/a.min.{T0}.js"]


def test_local_url_until_released_then_the_cdn_url(site, cdn):
    template = '{% slimfile "/js/a.js" %}'
    assert site.render(template) == JS
    assert cdn.proxy.wait_idle(30)
    assert site.render(template) == JS  # uploaded, not yet propagated
    cdn.clock.advance(3599)
    assert site.render(template) == JS
    cdn.clock.advance(1)
    assert site.render(template) == f"https://{DOMAIN}/{JS_KEY}"


def test_no_reupload_after_a_restart(site, cdn):
    site.render('{% slimfile "/js/a.js" %}')
    cdn.proxy.wait_idle(30)
    first = cdn.s3.head_object(Bucket=cdn.bucket, Key=JS_KEY)
    restarted = CloudFrontProxy(clock=cdn.clock)  # a new process: nothing in memory
    config = restarted.config()
    assert restarted.upload(config, JS_KEY, str(site.output(JS))) is False
    assert cdn.s3.head_object(Bucket=cdn.bucket, Key=JS_KEY)["LastModified"] == first["LastModified"]


def test_different_bytes_under_an_existing_key_are_refused(site, cdn, caplog):
    cdn.s3.put_object(Bucket=cdn.bucket, Key=JS_KEY, Body=b"someone else's bytes")
    with caplog.at_level(logging.ERROR, logger="django_static_pipe"):
        site.render('{% slimfile "/js/a.js" %}')
        cdn.proxy.wait_idle(30)
    assert "write-once" in caplog.text
    assert cdn.s3.get_object(Bucket=cdn.bucket, Key=JS_KEY)["Body"].read() == b"someone else's bytes"
    cdn.clock.advance(10_000)
    assert site.render('{% slimfile "/js/a.js" %}') == JS


def test_only_the_chosen_extensions_go_to_the_cdn(site, cdn, settings):
    settings.DJANGO_STATIC_CLOUDFRONT = cdn.settings_block(EXTENSIONS=[".png"], PROPAGATION_SECONDS=0)
    site.render('{% slimfile "/js/a.js" %}{% staticfile "/img/bg.png" %}')
    cdn.proxy.wait_idle(30)
    assert cdn.keys() == [f"assets/img/bg.{T0}.png"]
    assert site.render('{% staticfile "/img/bg.png" %}') == f"https://{DOMAIN}/assets/img/bg.{T0}.png"
    assert site.render('{% slimfile "/js/a.js" %}') == JS


def test_missing_and_switched_off_files_are_never_uploaded(site, cdn, settings):
    with pytest.warns(Warning):
        assert site.render('{% staticfile "/img/none.png" %}') == "/img/none.png"
    settings.DJANGO_STATIC = False
    import django_static_pipe

    assert django_static_pipe.staticfile("/img/bg.png") == "/img/bg.png"
    cdn.proxy.wait_idle(30)
    assert cdn.keys() == []


def test_a_bad_settings_block_raises_when_called_and_is_logged_once_by_a_render(site, cdn, settings, caplog):
    settings.DJANGO_STATIC_CLOUDFRONT = {"BUCKET": cdn.bucket, "DOMAIN": DOMAIN, "BUKET": "typo"}
    valid = "valid keys are BUCKET, CACHE_CONTROL, CLOUDFRONT_ENDPOINT_URL, CONNECT_TIMEOUT, CREATE_DISTRIBUTION"
    with caplog.at_level(logging.ERROR, logger="django_static_pipe"):
        assert site.render('{% slimfile "/js/a.js" %}') == JS  # a page never breaks
        assert site.render('{% slimfile "/js/a.js" %}{% staticfile "/img/bg.png" %}').startswith(JS)
    assert [r.getMessage().count("unknown key(s) BUKET") for r in caplog.records] == [1]  # once, not per URL
    assert valid in caplog.text
    with pytest.raises(ImproperlyConfigured, match=r"unknown key\(s\) BUKET; " + valid):
        cdn.proxy(JS, filepath=str(site.output(JS)))  # called directly
    with pytest.raises(ImproperlyConfigured, match=r"unknown key\(s\) BUKET"):
        cdn.proxy(JS, notfound=True)
    with pytest.raises(ImproperlyConfigured, match=r"unknown key\(s\) BUKET"):
        cdn.proxy.upload_all([(JS, str(site.output(JS)))])
    cdn.proxy.wait_idle(5)
    assert cdn.keys() == []


def test_settings_changes_take_effect_at_the_next_call(site, cdn, settings):
    site.render('{% slimfile "/js/a.js" %}')
    cdn.proxy.wait_idle(30)
    settings.DJANGO_STATIC_CLOUDFRONT = cdn.settings_block(DOMAIN="other.cloudfront.test", PROPAGATION_SECONDS=0)
    site.render('{% slimfile "/js/a.js" %}')  # a new map for the new block: queued again, found present
    cdn.proxy.wait_idle(30)
    assert site.render('{% slimfile "/js/a.js" %}') == f"https://other.cloudfront.test/{JS_KEY}"


def test_endpoint_down_renders_stay_local_and_uploads_finish_when_it_returns(site, cdn, settings):
    fault = FaultProxy("127.0.0.1", int(cdn.endpoint_url.rsplit(":", 1)[1])).start()
    try:
        settings.DJANGO_STATIC_CLOUDFRONT = cdn.settings_block(
            ENDPOINT_URL=f"http://{fault.endpoint}", PROPAGATION_SECONDS=0, CONNECT_TIMEOUT=5
        )
        fault.set_mode("blackhole")  # connections hang: the worst case for a render that would wait
        started = time.monotonic()
        for _ in range(20):
            assert site.render('{% slimfile "/js/a.js" %}') == JS
        # Twenty renders finish well inside one connect timeout: none of them waited for the CDN.
        assert time.monotonic() - started < 2.0
        fault.set_mode("down")
        assert cdn.proxy.wait_idle(30)
        attempts = fault.connections
        assert site.render('{% slimfile "/js/a.js" %}') == JS  # inside the backoff: not even queued
        assert cdn.proxy.wait_idle(5) and fault.connections == attempts
        fault.set_mode("pass")
        cdn.proxy.forget_failures()  # skip the backoff instead of sleeping through it
        assert site.render('{% slimfile "/js/a.js" %}') == JS
        assert cdn.proxy.wait_idle(30)
        assert cdn.keys() == [JS_KEY]
        assert site.render('{% slimfile "/js/a.js" %}') == f"https://{DOMAIN}/{JS_KEY}"
    finally:
        fault.stop()


def test_throttling_and_server_errors_are_retried_later(site, cdn, settings, caplog):
    fault = FaultProxy("127.0.0.1", int(cdn.endpoint_url.rsplit(":", 1)[1])).start()
    try:
        settings.DJANGO_STATIC_CLOUDFRONT = cdn.settings_block(
            ENDPOINT_URL=f"http://{fault.endpoint}", PROPAGATION_SECONDS=0
        )
        fault.set_mode("http_status")
        with caplog.at_level(logging.WARNING, logger="django_static_pipe"):
            assert site.render('{% slimfile "/js/a.js" %}') == JS
            assert cdn.proxy.wait_idle(30)
        assert "uploading assets/js/a.min" in caplog.text and "retrying after 5s" in caplog.text
        fault.set_mode("pass")
        cdn.proxy.forget_failures()
        site.render('{% slimfile "/js/a.js" %}')
        assert cdn.proxy.wait_idle(30)
        assert site.render('{% slimfile "/js/a.js" %}') == f"https://{DOMAIN}/{JS_KEY}"
    finally:
        fault.stop()


def test_upload_all_uploads_and_waits(site, cdn):
    site.render('{% slimfile "/js/a.js" %}{% staticfile "/img/bg.png" %}')
    cdn.proxy.wait_idle(30)
    image = f"/img/bg.{T0}.png"
    files = [(JS, str(site.output(JS))), (f"/css/x.{T0}.css", str(site.output(JS))), (image, str(site.output(image)))]
    report = cdn.proxy.upload_all(files)
    assert sorted(report.present) == [f"assets/img/bg.{T0}.png", JS_KEY]
    assert report.uploaded == [f"assets/css/x.{T0}.css"]
    assert report.failed == {}
