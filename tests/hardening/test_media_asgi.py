"""The GridFS view streams in flat memory under WSGI (gunicorn) and ASGI (uvicorn) (issue 11, item 8).

Django reads a synchronous streaming body to the end before an ASGI server sends a byte; the view
gives ASGI an async body instead, each piece read in a worker thread.
"""

from __future__ import annotations

import hashlib
import http.client
from urllib.parse import urlsplit

import pytest
from asgiref.sync import async_to_sync
from django.core.files.base import ContentFile

from tests.hardening.figures import record
from tests.hardening.test_resources import Generated
from tests.media.servers import media_server, memory_kib

pytestmark = pytest.mark.mongo

SIZE = 32 * 1024 * 1024
WARM_UP = 2 * 1024 * 1024  # as many bytes as a few cursor batches, in every thread that reads them


def test_asgi_gets_an_async_body_read_piece_by_piece(media, async_client):
    data = bytes(range(256)) * 64  # 16 KiB in 4,096 chunks of 4 bytes
    media.save("pieces.bin", ContentFile(data))

    async def fetch():
        response = await async_client.get("/media/pieces.bin")
        assert response.is_async  # a synchronous body would be read whole (and warn, an error here)
        pieces = [piece async for piece in response]
        return response, pieces

    response, pieces = async_to_sync(fetch)()
    assert response.status_code == 200
    assert b"".join(pieces) == data and len(pieces) == 4096 and {len(piece) for piece in pieces} == {4}


def _download(base_url: str, path: str) -> tuple[int, str, int]:
    """(status, sha256 of the body, bytes) read 64 KiB at a time."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        digest = hashlib.sha256()
        received = 0
        while piece := response.read(65536):
            digest.update(piece)
            received += len(piece)
        return response.status, digest.hexdigest(), received
    finally:
        connection.close()


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["wsgi", "asgi"])
def test_a_32_mib_download_keeps_server_memory_flat(kind, storage, mongo_uri, gridfs_database, tmp_path):
    name = storage.save("big.bin", Generated(SIZE))
    storage.save("warm-up.bin", Generated(WARM_UP))
    expected = hashlib.sha256()
    for piece in Generated(SIZE).chunks():
        expected.update(piece)
    with media_server(kind, mongo_uri, gridfs_database, tmp_path / f"{kind}.log") as (base_url, pid):
        for _ in range(6):  # imports, the MongoDB client, each worker thread's first batches: before the baseline
            assert _download(base_url, "/media/warm-up.bin")[0] == 200, (tmp_path / f"{kind}.log").read_text()
        before = memory_kib(pid)
        status, digest, received = _download(base_url, "/media/" + name)
        after = memory_kib(pid)
    assert (status, received, digest) == (200, SIZE, expected.hexdigest())
    growth_kib = after["VmHWM"] - before["VmHWM"]
    # A cursor batch of four 255 KiB chunks, and what the server buffers: far below the 32 MiB file.
    assert growth_kib < 8 * 1024, (kind, before, after)
    record("media_streaming", **{f"{kind}_32mib_peak_growth_kib": growth_kib})
