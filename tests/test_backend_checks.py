"""System checks of the CDN proxy and GridFS storage settings, one case per id."""

from __future__ import annotations

import importlib.util

import pytest
from django.core.checks import run_checks

GRIDFS = "django_static_pipe.backends.gridfs.GridFSStorage"
STATICFILES = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}


def ids() -> list[str]:
    return sorted(m.id for m in run_checks() if m.id and m.id.startswith("django_static_pipe"))


def hide(monkeypatch, package: str) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == package else real(name, *a))


@pytest.mark.parametrize(
    ("block", "fragment"),
    [
        ({"BUCKET": "b", "DOMAIN": "d", "BUKET": "x"}, "unknown key(s) BUKET; valid keys are BUCKET"),
        ({"DOMAIN": "d"}, "BUCKET is required"),
        ({"BUCKET": "b"}, "give DOMAIN"),
        ({"BUCKET": "b", "DOMAIN": "d", "EXTENSIONS": "png"}, "EXTENSIONS = 'png'"),
        ({"BUCKET": "b", "DOMAIN": "d", "SLOWMAP": "redis"}, "SLOWMAP = 'redis'"),
        ({"BUCKET": "b", "DOMAIN": "d", "READ_TIMEOUT": "10"}, "READ_TIMEOUT = '10'"),
        ("bucket", "must be a dict"),
    ],
)
def test_e020_bad_cloudfront_block(settings, block, fragment):
    settings.DJANGO_STATIC_CLOUDFRONT = block
    messages = [m for m in run_checks() if m.id == "django_static_pipe.E020"]
    assert len(messages) == 1 and fragment in messages[0].msg


def test_e020_proxy_without_a_block(settings):
    settings.DJANGO_STATIC_FILE_PROXY = "django_static_pipe.backends.cloudfront.file_proxy"
    assert ids() == ["django_static_pipe.E020"]


def test_a_good_cloudfront_block_passes(settings, tmp_path):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(tmp_path)}
    }
    settings.DJANGO_STATIC_FILE_PROXY = "django_static_pipe.backends.cloudfront.file_proxy"
    settings.DJANGO_STATIC_CLOUDFRONT = {"BUCKET": "assets", "DOMAIN": "d1.cloudfront.net"}
    assert ids() == []


DUMMY = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.mark.parametrize(
    ("caches", "expected"), [(DUMMY, "django_static_pipe.E022"), (LOCMEM, "django_static_pipe.W022")]
)
def test_e022_w022_slowmap_cache_that_does_not_persist_or_is_not_shared(settings, caches, expected):
    settings.CACHES = caches
    settings.DJANGO_STATIC_FILE_PROXY = "django_static_pipe.backends.cloudfront.file_proxy"
    settings.DJANGO_STATIC_CLOUDFRONT = {"BUCKET": "assets", "DOMAIN": "d1.cloudfront.net"}  # SLOWMAP: 'cache'
    messages = [m for m in run_checks() if m.id == expected]
    assert ids() == [expected] and "SLOWMAP = 'memory'" in messages[0].hint
    assert caches["default"]["BACKEND"] in messages[0].msg


def test_slowmap_memory_does_not_need_the_cache(settings):
    settings.CACHES = DUMMY
    settings.DJANGO_STATIC_FILE_PROXY = "django_static_pipe.backends.cloudfront.file_proxy"
    settings.DJANGO_STATIC_CLOUDFRONT = {"BUCKET": "assets", "DOMAIN": "d1.cloudfront.net", "SLOWMAP": "memory"}
    assert ids() == []


def test_e021_boto3_missing(settings, monkeypatch):
    hide(monkeypatch, "boto3")
    settings.DJANGO_STATIC_FILE_PROXY = "django_static_pipe.backends.cloudfront.file_proxy"
    settings.DJANGO_STATIC_CLOUDFRONT = {"BUCKET": "assets", "DOMAIN": "d1.cloudfront.net"}
    assert "django_static_pipe.E021" in ids()


def test_e030_view_alias_is_not_gridfs(settings):
    settings.DJANGO_STATIC_GRIDFS_STORAGE = "media"
    assert ids() == ["django_static_pipe.E030"]


def test_gridfs_storage_configured_passes(settings):
    settings.STORAGES = {"default": {"BACKEND": GRIDFS, "OPTIONS": {"uri": "mongodb://x"}}, "staticfiles": STATICFILES}
    settings.DJANGO_STATIC_GRIDFS = {"DATABASE": "media"}
    assert ids() == []


def test_e031_unknown_gridfs_setting_keys(settings):
    settings.STORAGES = {"default": {"BACKEND": GRIDFS}, "staticfiles": STATICFILES}
    settings.DJANGO_STATIC_GRIDFS = {"URI": "mongodb://x", "DATABSE": "typo"}
    assert ids() == ["django_static_pipe.E031"]


def test_e032_pymongo_missing(settings, monkeypatch):
    hide(monkeypatch, "pymongo")
    settings.STORAGES = {"default": {"BACKEND": GRIDFS}, "staticfiles": STATICFILES}
    assert ids() == ["django_static_pipe.E032"]


def test_e033_unknown_storage_options(settings):
    settings.STORAGES = {"default": {"BACKEND": GRIDFS, "OPTIONS": {"url": "mongodb://x"}}, "staticfiles": STATICFILES}
    assert ids() == ["django_static_pipe.E033"]
