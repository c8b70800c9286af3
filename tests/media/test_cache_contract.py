"""What a cache in front of the GridFS view (nginx's proxy_cache, a CDN) may rely on, status by status.

200, 206 and 304 carry the storage's Cache-Control as configured, a strong ETag and Last-Modified;
every other status carries ``Cache-Control: no-store``, so no cache keeps an error.
"""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages

from tests.media.conftest import gridfs_storages

pytestmark = pytest.mark.mongo

SANDBOX = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


@pytest.fixture
def ten(media):
    return media.save("ten.txt", ContentFile(b"0123456789"))


def cacheable(response, cache_control: str = "public, max-age=86400") -> None:
    assert response["Cache-Control"] == cache_control
    assert response["ETag"].startswith('"') and response["ETag"].endswith('"')  # strong: no W/
    assert response["Last-Modified"].endswith(" GMT")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == SANDBOX


def not_stored(response) -> None:
    assert response["Cache-Control"] == "no-store"
    assert "ETag" not in response and "Last-Modified" not in response
    assert response["X-Content-Type-Options"] == "nosniff"


def test_200_206_304_and_head_carry_the_same_validators(client, ten):
    full = client.get("/media/ten.txt")
    assert full.status_code == 200
    cacheable(full)
    partial = client.get("/media/ten.txt", headers={"Range": "bytes=2-4"})
    assert (partial.status_code, partial["Content-Range"]) == (206, "bytes 2-4/10")
    cacheable(partial)
    head = client.head("/media/ten.txt")
    assert head.status_code == 200
    cacheable(head)
    by_tag = client.get("/media/ten.txt", headers={"If-None-Match": full["ETag"]})
    by_date = client.get("/media/ten.txt", headers={"If-Modified-Since": full["Last-Modified"]})
    for revalidated in (by_tag, by_date):
        assert revalidated.status_code == 304
        cacheable(revalidated)
    assert {r["ETag"] for r in (full, partial, head, by_tag, by_date)} == {full["ETag"]}
    assert {r["Last-Modified"] for r in (full, partial, head, by_tag, by_date)} == {full["Last-Modified"]}


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("get", "/media/missing.txt", {}, 404),
        ("get", "/media/../etc/passwd", {}, 404),
        ("get", "/media//ten.txt", {}, 404),
        ("head", "/media/missing.txt", {}, 404),
        ("post", "/media/ten.txt", {}, 405),
        ("delete", "/media/ten.txt", {}, 405),
        ("get", "/media/ten.txt", {"If-Match": '"other"'}, 412),
        ("get", "/media/ten.txt", {"Range": "bytes=50-"}, 416),
    ],
)
def test_errors_are_never_stored(client, ten, method, path, headers, status):
    response = getattr(client, method)(path, headers=headers)
    assert response.status_code == status
    not_stored(response)
    if status == 405:
        assert response["Allow"] == "GET, HEAD"


def test_503_is_never_stored(client, settings, gridfs_database):
    settings.STORAGES = gridfs_storages(uri="mongodb://127.0.0.1:9/", database=gridfs_database,
                                        server_selection_timeout_ms=200)  # fmt: skip
    response = client.get("/media/ten.txt")
    assert (response.status_code, response["Retry-After"]) == (503, "5")
    not_stored(response)


def test_a_private_cache_control_stays_private_on_every_cacheable_status(client, ten, settings):
    settings.STORAGES["default"]["OPTIONS"]["cache_control"] = "private, max-age=60"
    storages._storages.clear()
    etag = client.get("/media/ten.txt")["ETag"]
    for response in (
        client.get("/media/ten.txt"),
        client.get("/media/ten.txt", headers={"Range": "bytes=0-0"}),
        client.get("/media/ten.txt", headers={"If-None-Match": etag}),
    ):
        cacheable(response, "private, max-age=60")
