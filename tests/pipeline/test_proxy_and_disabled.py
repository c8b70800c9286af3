"""The file proxy's keywords on first and warm renders, its failures, and switched-off mode."""

from __future__ import annotations

import logging

import pytest

import django_static_pipe
from django_static_pipe.exceptions import MissingAssetWarning
from tests import proxies
from tests.conftest import T0


@pytest.fixture
def recorded(settings):
    settings.DJANGO_STATIC_FILE_PROXY = "tests.proxies.recording_proxy"
    proxies.calls.clear()
    yield proxies.calls
    proxies.calls.clear()


def test_first_render_reports_a_new_checked_file(site, recorded):
    assert site.render('{% slimfile "/js/a.js" %}') == f"https://cdn.test/js/a.min.{T0}.js"
    assert recorded == [
        (
            f"/js/a.min.{T0}.js",
            {
                "new": True,
                "changed": False,
                "checked": True,
                "notfound": False,
                "filepath": str(site.output(f"/js/a.min.{T0}.js")),
                "sources": (str(site.root / "js/a.js"),),
                "disabled": False,
            },
        )
    ]


def test_warm_render_with_debug_off_checks_nothing(site, recorded):
    site.render('{% slimfile "/js/a.js" %}')
    recorded.clear()
    site.render('{% slimfile "/js/a.js" %}')
    assert [(uri, kw["new"], kw["changed"], kw["checked"]) for uri, kw in recorded] == [
        (f"/js/a.min.{T0}.js", False, False, False)
    ]


def test_debug_on_reports_checked_and_then_changed(site, recorded, settings):
    settings.DEBUG = True
    site.render('{% slimfile "/js/a.js" %}')
    site.render('{% slimfile "/js/a.js" %}')
    site.touch("/js/a.js", T0 + 7)
    site.render('{% slimfile "/js/a.js" %}')
    flags = [(uri, kw["new"], kw["changed"], kw["checked"]) for uri, kw in recorded]
    assert flags == [
        (f"/js/a.min.{T0}.js", True, False, True),
        (f"/js/a.min.{T0}.js", False, False, True),
        (f"/js/a.min.{T0 + 7}.js", True, True, True),
    ]


def test_a_missing_file_is_reported_notfound(site, recorded):
    with pytest.warns(MissingAssetWarning):
        assert site.render('{% staticfile "/img/none.png" %}') == "https://cdn.test/img/none.png"
    uri, kwargs = recorded[0]
    assert uri == "/img/none.png" and kwargs["notfound"] is True and kwargs["filepath"] is None


def test_bundle_sources_list_members_then_references(site, recorded):
    site.render('{% staticfile "/css/sub/imported.css; /css/layout.css" %}')
    bundle_call = recorded[-1]
    assert bundle_call[1]["sources"] == (
        str(site.root / "css/sub/imported.css"),
        str(site.root / "img/bg.png"),
        str(site.root / "css/layout.css"),
    )


def test_a_failing_proxy_is_logged_and_the_local_url_used(site, settings, caplog):
    settings.DJANGO_STATIC_FILE_PROXY = "tests.proxies.failing_proxy"
    with caplog.at_level(logging.ERROR, logger="django_static_pipe"):
        assert site.render('{% slimfile "/js/a.js" %}') == f"/js/a.min.{T0}.js"
    assert "the CDN is down" in caplog.text


def test_a_proxy_returning_no_url_is_ignored(site, settings, caplog):
    settings.DJANGO_STATIC_FILE_PROXY = "tests.proxies.non_url_proxy"
    with caplog.at_level(logging.ERROR, logger="django_static_pipe"):
        assert site.render('{% slimfile "/js/a.js" %}') == f"/js/a.min.{T0}.js"
    assert "not a URL" in caplog.text


def test_an_unimportable_proxy_does_not_break_the_page(site, settings, caplog):
    settings.DJANGO_STATIC_FILE_PROXY = "tests.proxies.does_not_exist"
    with caplog.at_level(logging.ERROR, logger="django_static_pipe"):
        assert site.render('{% slimfile "/js/a.js" %}') == f"/js/a.min.{T0}.js"
    assert "DJANGO_STATIC_FILE_PROXY" in caplog.text


SWITCHED_OFF_TEMPLATE = (
    '{% staticfile "/img/bg.png" %}|{% slimfile "/js/a.js" as js %}{{ js }}|{% staticfile "css/x.css" %}|'
    '{% slimall %}<script src="/js/a.js"></script><script src="/js/b.js"></script><img src="/img/bg.png">'
    '<script src="https://x.test/y.js"></script>{% endslimall %}|'
    '{% slimcontent "css" %}a { color : red }{% endslimcontent %}'
)


def test_switched_off_everything_renders_unchanged(site, settings, recorded):
    settings.DJANGO_STATIC = False
    out = site.render(SWITCHED_OFF_TEMPLATE)
    assert out == (
        "/img/bg.png|/js/a.js|css/x.css|"
        '<script src="/js/a.js"></script><script src="/js/b.js"></script><img src="/img/bg.png">'
        '<script src="https://x.test/y.js"></script>|'
        "a { color : red }"
    )
    assert recorded == []
    assert not site.out.exists()


def test_switched_off_with_media_url_always(site, settings, recorded):
    settings.DJANGO_STATIC = False
    settings.DJANGO_STATIC_MEDIA_URL = "https://static.test"
    settings.DJANGO_STATIC_MEDIA_URL_ALWAYS = True
    out = site.render(SWITCHED_OFF_TEMPLATE)
    assert out == (
        "https://static.test/img/bg.png|https://static.test/js/a.js|css/x.css|"
        '<script src="https://static.test/js/a.js"></script><script src="https://static.test/js/b.js"></script>'
        '<img src="https://static.test/img/bg.png"><script src="https://x.test/y.js"></script>|'
        "a { color : red }"
    )
    assert recorded == []


def test_python_api_calls_the_proxy_with_disabled_when_switched_off(site, settings, recorded):
    settings.DJANGO_STATIC = False
    assert django_static_pipe.slimfile("/js/a.js") == "https://cdn.test/js/a.js"
    assert recorded == [
        (
            "/js/a.js",
            {
                "new": False,
                "changed": False,
                "checked": False,
                "notfound": False,
                "filepath": None,
                "sources": (),
                "disabled": True,
            },
        )
    ]
