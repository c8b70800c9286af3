"""Resources: a 2 GB GridFS download in flat memory; a thousand ranges do not multiply the work."""

from __future__ import annotations

import hashlib
import time
import tracemalloc

import pymongo
import pytest
from django.core.files import File
from pymongo import monitoring

from django_static_pipe.backends.gridfs import GridFSStorage
from django_static_pipe.backends.gridfs_options import DEFAULT_CHUNK_SIZE
from tests.hardening.figures import record
from tests.media.conftest import gridfs_storages

pytestmark = pytest.mark.mongo


class Generated(File):
    """``size`` bytes made up on the fly: nothing of the file is ever held whole."""

    def __init__(self, size: int) -> None:
        super().__init__(None, "generated.bin")
        self._size = size
        self.block = bytes(range(256)) * 4096  # 1 MiB

    @property
    def size(self) -> int:
        return self._size

    def chunks(self, chunk_size=None):
        remaining = self._size
        while remaining > 0:
            piece = self.block[: min(len(self.block), remaining)]
            remaining -= len(piece)
            yield piece


def _serve(settings, storage: GridFSStorage) -> None:
    settings.STORAGES = gridfs_storages(**storage._explicit)


@pytest.mark.slow
@pytest.mark.timeout(900)  # FerretDB scans 2 GB of chunks when the save counts them back, and again to serve
def test_a_2_gb_download_stays_within_a_few_chunks_of_memory(storage_factory, settings, client):
    size = 2 * 1024**3
    storage = storage_factory()
    started = time.monotonic()
    tracemalloc.start()
    try:
        name = storage.save("two-gigabytes.bin", Generated(size))
        _now, upload_peak = tracemalloc.get_traced_memory()
        upload_seconds = time.monotonic() - started
        _serve(settings, storage)
        tracemalloc.reset_peak()
        started = time.monotonic()
        response = client.get("/media/" + name)
        digest = hashlib.sha256()
        received = 0
        for piece in response.streaming_content:
            digest.update(piece)
            received += len(piece)
        response.close()
        _now, download_peak = tracemalloc.get_traced_memory()
        download_seconds = time.monotonic() - started
    finally:
        tracemalloc.stop()
    expected = hashlib.sha256()
    for piece in Generated(size).chunks():
        expected.update(piece)
    assert received == size and digest.hexdigest() == expected.hexdigest()
    # A cursor batch of 4 chunks as received, decoded and handed on: a few MB, whatever the file's size.
    assert download_peak < 24 * DEFAULT_CHUNK_SIZE, download_peak
    record("resources", gridfs_2gb_download_peak_bytes=download_peak, gridfs_chunk_size=DEFAULT_CHUNK_SIZE,
           gridfs_2gb_upload_peak_bytes=upload_peak, gridfs_2gb_upload_seconds=round(upload_seconds, 1),
           gridfs_2gb_download_seconds=round(download_seconds, 1))  # fmt: skip


class ChunkReads(monitoring.CommandListener):
    def __init__(self) -> None:
        self.active = False
        self.commands = 0
        self.bytes_returned = 0

    def started(self, event) -> None:
        if self.active and event.command_name in ("find", "getMore"):
            self.commands += 1

    def succeeded(self, event) -> None:
        if self.active and event.command_name in ("find", "getMore"):
            for document in event.reply.get("cursor", {}).get("firstBatch", []) + event.reply.get("cursor", {}).get(
                "nextBatch", []
            ):
                if "data" in document:
                    self.bytes_returned += len(document["data"])

    def failed(self, event) -> None:
        pass


LISTENER = ChunkReads()
monitoring.register(LISTENER)


def test_a_thousand_overlapping_ranges_read_the_file_once(mongo_uri, gridfs_database, settings, client):
    # A client of its own (a timeout no other test uses), created after the listener was registered.
    storage = GridFSStorage(uri=mongo_uri, database=gridfs_database, socket_timeout_ms=20001)
    data = bytes(range(256)) * 8192  # 2 MiB: 9 chunks
    from django.core.files.base import ContentFile

    name = storage.save("ranges.bin", ContentFile(data))
    _serve(settings, storage)
    header = "bytes=" + ",".join(f"{i}-{i + 1_000_000}" for i in range(1000))
    LISTENER.active = True
    try:
        response = client.get("/media/" + name, headers={"Range": header})
        body = b"".join(response.streaming_content)
    finally:
        LISTENER.active = False
    assert response.status_code == 200 and body == data  # the whole file, once
    assert LISTENER.bytes_returned == len(data)
    record("resources", ranges_in_header=1000, ranges_status=response.status_code,
           ranges_bytes_read_from_mongodb=LISTENER.bytes_returned, ranges_file_size=len(data),
           ranges_chunk_queries=LISTENER.commands)  # fmt: skip
    assert isinstance(pymongo.version, str)
