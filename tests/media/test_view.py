"""The GridFS view: every header and status, Range vectors, hostile paths, 503 when MongoDB is away."""

from __future__ import annotations

import hashlib
import time

import pytest
from django.core.files.base import ContentFile
from django.utils.http import http_date

from tests.media.conftest import gridfs_storages

pytestmark = pytest.mark.mongo

TEN = b"0123456789"


@pytest.fixture
def ten(media):
    """A 10-byte file stored in 4-byte chunks, so ranges cross chunk boundaries."""
    return media.save("docs/ten.txt", ContentFile(TEN))


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_full_response_headers(client, ten, media):
    response = client.get("/media/docs/ten.txt")
    assert response.status_code == 200
    assert body(response) == TEN
    document = media.file_document(ten)
    assert response["Content-Type"] == "text/plain"
    assert response["Content-Length"] == "10"
    assert response["ETag"] == f'"{hashlib.sha256(TEN).hexdigest()}"'
    assert response["Last-Modified"] == http_date(document["uploadDate"].timestamp())
    assert response["Cache-Control"] == "public, max-age=86400"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Accept-Ranges"] == "bytes"
    assert "Content-Disposition" not in response


def test_cache_control_is_configurable(client, media, ten, settings):
    settings.STORAGES["default"]["OPTIONS"]["cache_control"] = "private, max-age=60"
    from django.core.files.storage import storages

    storages._storages.clear()
    assert client.get("/media/docs/ten.txt")["Cache-Control"] == "private, max-age=60"


def test_if_none_match_gives_304(client, ten):
    etag = client.get("/media/docs/ten.txt")["ETag"]
    response = client.get("/media/docs/ten.txt", headers={"If-None-Match": etag})
    assert response.status_code == 304 and body(response) == b""
    assert response["ETag"] == etag
    assert client.get("/media/docs/ten.txt", headers={"If-None-Match": '"other"'}).status_code == 200


def test_if_modified_since_gives_304(client, ten):
    last_modified = client.get("/media/docs/ten.txt")["Last-Modified"]
    assert client.get("/media/docs/ten.txt", headers={"If-Modified-Since": last_modified}).status_code == 304
    assert client.get("/media/docs/ten.txt", headers={"If-Modified-Since": http_date(0)}).status_code == 200


def test_head_has_headers_and_no_body(client, ten):
    response = client.head("/media/docs/ten.txt")
    assert response.status_code == 200
    assert response["Content-Length"] == "10" and response["ETag"]
    assert body(response) == b""


@pytest.mark.parametrize(
    ("header", "status", "content_range", "expected"),
    [
        ("bytes=0-0", 206, "bytes 0-0/10", b"0"),
        ("bytes=-1", 206, "bytes 9-9/10", b"9"),
        ("bytes=9-", 206, "bytes 9-9/10", b"9"),
        ("bytes=2-6", 206, "bytes 2-6/10", b"23456"),
        ("bytes=3-", 206, "bytes 3-9/10", b"3456789"),
        ("bytes=-4", 206, "bytes 6-9/10", b"6789"),
        ("bytes=0-999", 206, "bytes 0-9/10", TEN),
        ("bytes=-100", 206, "bytes 0-9/10", TEN),
        ("bytes=10-", 416, "bytes */10", b""),
        ("bytes=10-20", 416, "bytes */10", b""),
        ("bytes=-0", 416, "bytes */10", b""),
        ("bytes=0-1,4-5", 200, None, TEN),
        ("bytes=5-2", 200, None, TEN),
        ("bytes=abc", 200, None, TEN),
        ("items=0-1", 200, None, TEN),
    ],
)
def test_range_vectors(client, ten, header, status, content_range, expected):
    response = client.get("/media/docs/ten.txt", headers={"Range": header})
    assert response.status_code == status
    assert response.get("Content-Range") == content_range
    assert body(response) == expected
    if status == 206:
        assert response["Content-Length"] == str(len(expected))


def test_if_range_with_a_stale_etag_sends_the_whole_file(client, ten):
    etag = client.get("/media/docs/ten.txt")["ETag"]
    fresh = client.get("/media/docs/ten.txt", headers={"Range": "bytes=0-0", "If-Range": etag})
    stale = client.get("/media/docs/ten.txt", headers={"Range": "bytes=0-0", "If-Range": '"stale"'})
    assert (fresh.status_code, body(fresh)) == (206, b"0")
    assert (stale.status_code, body(stale)) == (200, TEN)


def test_a_range_on_an_empty_file_is_unsatisfiable(client, media):
    media.save("empty.txt", ContentFile(b""))
    assert client.get("/media/empty.txt").status_code == 200
    response = client.get("/media/empty.txt", headers={"Range": "bytes=0-0"})
    assert (response.status_code, response["Content-Range"]) == (416, "bytes */0")


@pytest.mark.parametrize(
    ("name", "stored_type", "served_type", "attachment"),
    [
        ("a.png", None, "image/png", False),
        ("page.html", None, "text/html", True),
        ("logo.svg", None, "image/svg+xml", True),
        ("data.xml", None, "application/xml", True),
        ("app.js", None, "text/javascript", True),
        ("thing.weird", "application/x-weird", "application/octet-stream", True),
        ("nosuffix", "text/html; charset=utf-8", "text/html", True),
    ],
)
def test_content_type_allowlist_and_disposition(client, media, name, stored_type, served_type, attachment):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(name, b"<x>", content_type=stored_type or "")
    saved = media.save(name, upload)
    response = client.get("/media/" + saved)
    assert response["Content-Type"] == served_type
    assert response["X-Content-Type-Options"] == "nosniff"
    if attachment:
        assert response["Content-Disposition"] == f'attachment; filename="{saved}"'
    else:
        assert "Content-Disposition" not in response


def test_attachment_file_names_are_quoted_safely(client, media):
    saved = media.save('we"ird ü.html', ContentFile(b"<p>"))
    disposition = client.get("/media/" + saved)["Content-Disposition"]
    assert disposition.startswith("attachment; filename*=utf-8''")
    assert '"' not in disposition.split("''", 1)[1]


def test_missing_is_404(client, media):
    assert client.get("/media/nothing.png").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/media/../settings.py",
        "/media/..%2fsecret",
        "/media/a/%2e%2e/%2e%2e/x",
        "/media/x%00.png",
        "/media/" + "a" * 4000,
    ],
)
def test_hostile_paths_are_404(client, media, path):
    assert client.get(path).status_code == 404


def test_post_is_refused(client, ten):
    assert client.post("/media/docs/ten.txt").status_code == 405


def test_closing_a_response_early_closes_the_stream(client, media):
    media.save("long.bin", ContentFile(bytes(range(256)) * 8))
    response = client.get("/media/long.bin")
    iterator = iter(response.streaming_content)
    assert next(iterator) == bytes(range(4))
    response.close()  # what a WSGI server does when the client goes away
    with pytest.raises(StopIteration):
        next(iterator)


def test_mongodb_away_is_503_within_the_selection_timeout(client, settings, gridfs_database):
    from django.core.files.storage import storages

    from devservers.mongo import MongoServer

    own = MongoServer().start()
    try:
        settings.STORAGES = gridfs_storages(uri=own.uri, database=gridfs_database, server_selection_timeout_ms=500)
        storages["default"].save("here.txt", ContentFile(b"here"))
        assert client.get("/media/here.txt").status_code == 200
        own.stop()
        started = time.monotonic()
        response = client.get("/media/here.txt")
        elapsed = time.monotonic() - started
        assert response.status_code == 503
        assert response["Retry-After"] == "5"
        assert elapsed < 3, elapsed
        own.start()
        assert body(client.get("/media/here.txt")) == b"here"
    finally:
        own.close()


def test_a_storage_that_is_not_gridfs_is_a_clear_error(client, settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with pytest.raises(ImproperlyConfigured, match="not a GridFSStorage"):
        client.get("/media/x.png")
