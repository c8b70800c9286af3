"""GridFSStorage against a real MongoDB-wire server: every Storage method, sizes, races, failures."""

from __future__ import annotations

import hashlib
import io
import os
import threading
import tracemalloc
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ImproperlyConfigured, SuspiciousFileOperation
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from django_static_pipe.backends.gridfs import GridFSStorage

pytestmark = pytest.mark.mongo


def test_save_and_read_back_a_small_file(storage):
    name = storage.save("docs/hello.txt", ContentFile(b"hello world"))
    assert name == "docs/hello.txt"
    with storage.open(name) as handle:
        assert handle.read() == b"hello world"
    assert storage.exists(name)
    assert storage.size(name) == 11
    document = storage.file_document(name)
    assert document["metadata"] == {"contentType": "text/plain", "sha256": hashlib.sha256(b"hello world").hexdigest()}
    assert document["chunkSize"] == storage.chunk_size


def test_empty_file_round_trip(storage):
    name = storage.save("empty.bin", ContentFile(b""))
    assert storage.size(name) == 0
    with storage.open(name) as handle:
        assert handle.read() == b""
    assert storage.chunks.count_documents({}) == 0


def test_multi_chunk_round_trip_with_exact_chunks(storage_factory):
    storage = storage_factory(chunk_size_bytes=1000)
    data = os.urandom(4500)

    class OddChunks(File):
        def chunks(self, chunk_size=None):  # pieces that do not line up with GridFS chunks
            for start in range(0, len(data), 777):
                yield data[start : start + 777]

    name = storage.save("blob.bin", OddChunks(io.BytesIO(data), "blob.bin"))
    stored = list(storage.chunks.find({}, {"n": 1, "data": 1}).sort("n", 1))
    assert [len(chunk["data"]) for chunk in stored] == [1000, 1000, 1000, 1000, 500]
    with storage.open(name) as handle:
        assert b"".join(handle.chunks()) == data
        handle.seek(2500)
        assert handle.read(1000) == data[2500:3500]


def test_large_file_streams_in_flat_memory(storage, tmp_path):
    size = 50 * 1024 * 1024
    path = tmp_path / "big.bin"
    digest = hashlib.sha256()
    with open(path, "wb") as handle:
        block = os.urandom(1024 * 1024)
        for _ in range(size // len(block)):
            handle.write(block)
            digest.update(block)
    tracemalloc.start()
    try:
        with open(path, "rb") as handle:
            name = storage.save("big.bin", File(handle, "big.bin"))
        _current, save_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        check = hashlib.sha256()
        with storage.open(name) as opened:
            for piece in opened.chunks():
                check.update(piece)
        _current, read_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert check.hexdigest() == digest.hexdigest() == storage.file_document(name)["metadata"]["sha256"]
    assert storage.size(name) == size
    # A 50 MB file moves through a few MB of buffers at most: the batch of chunks and one chunk on read.
    assert save_peak < 12 * 1024 * 1024, save_peak
    assert read_peak < 4 * 1024 * 1024, read_peak


def test_existing_name_gets_a_fresh_name(storage):
    first = storage.save("a/photo.png", ContentFile(b"1"))
    second = storage.save("a/photo.png", ContentFile(b"2"))
    assert first == "a/photo.png"
    assert second.startswith("a/photo_") and second.endswith(".png") and len(second) == len("a/photo_1234567.png")
    with storage.open(first) as one, storage.open(second) as two:
        assert (one.read(), two.read()) == (b"1", b"2")


def test_available_name_respects_max_length(storage):
    storage.save("abcdefghij.txt", ContentFile(b"x"))
    name = storage.get_available_name("abcdefghij.txt", max_length=16)
    assert len(name) <= 16 and name.endswith(".txt") and name != "abcdefghij.txt"
    with pytest.raises(SuspiciousFileOperation, match="max_length"):
        storage.get_available_name("abcdefghij.txt", max_length=8)


def test_available_name_is_two_queries_however_many_names_are_taken(storage, mongo_uri):
    """One query of the name registry (live names, uploads in progress, tombstones), one of the
    bucket's own documents (revisions other GridFS writers added): never one per candidate."""
    from pymongo import monitoring

    class Counter(monitoring.CommandListener):
        def __init__(self):
            self.finds = 0

        def started(self, event):
            if event.command_name == "find":
                self.finds += 1

        def succeeded(self, event):
            pass

        def failed(self, event):
            pass

    for index in range(5):
        storage.save("same.txt", ContentFile(str(index).encode()))
    storage.delete("same.txt")
    import gridfs

    gridfs.GridFSBucket(storage._database(), bucket_name=storage.bucket).upload_from_stream("same_Abcdefg.txt", b"x")
    counter = Counter()
    import pymongo

    client = pymongo.MongoClient(mongo_uri, event_listeners=[counter])
    try:
        probe = GridFSStorage(uri=mongo_uri, database=storage.option("database"))
        probe._database = lambda: client[storage.option("database")]  # count this storage's own queries
        name = probe.get_available_name("same.txt")
    finally:
        client.close()
    assert name.startswith("same_") and name != "same_Abcdefg.txt" and not storage.exists(name)
    assert counter.finds == 2


def test_concurrent_saves_of_one_name_all_survive(storage):
    names: list[str] = []
    errors: list[BaseException] = []

    def upload(index: int) -> None:
        try:
            names.append(storage.save("race.txt", ContentFile(f"upload {index}".encode())))
        except BaseException as exc:  # pragma: no cover - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=upload, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(names)) == 8
    contents = set()
    for name in names:
        with storage.open(name) as handle:
            contents.add(handle.read())
    assert contents == {f"upload {index}".encode() for index in range(8)}


def test_interrupted_upload_leaves_nothing(storage_factory):
    storage = storage_factory(chunk_size_bytes=100)

    class Breaks(File):
        def chunks(self, chunk_size=None):
            for _ in range(5):
                yield b"x" * 100
            raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        storage.save("broken.bin", Breaks(io.BytesIO(), "broken.bin"))
    assert storage.files.count_documents({}) == 0
    assert storage.chunks.count_documents({}) == 0
    assert not storage.exists("broken.bin")


def test_delete_removes_every_revision_and_its_chunks(storage):
    storage.save("gone.txt", ContentFile(b"data"))
    # A second revision written by another GridFS tool, as GridFS allows.
    import gridfs

    gridfs.GridFSBucket(storage._database(), bucket_name=storage.bucket).upload_from_stream("gone.txt", b"more")
    assert storage.files.count_documents({"filename": "gone.txt"}) == 2
    storage.delete("gone.txt")
    assert storage.files.count_documents({}) == 0
    assert storage.chunks.count_documents({}) == 0
    storage.delete("gone.txt")  # deleting what is not there is not an error


def test_listdir(storage):
    for name in ["top.txt", "a/one.txt", "a/two.txt", "a/b/three.txt", "ab/four.txt"]:
        storage.save(name, ContentFile(b"x"))
    assert storage.listdir("") == (["a", "ab"], ["top.txt"])
    assert storage.listdir("a") == (["b"], ["one.txt", "two.txt"])
    assert storage.listdir("a/b/") == ([], ["three.txt"])
    assert storage.listdir("missing") == ([], [])


def test_url(storage, settings):
    settings.MEDIA_URL = "/media/"
    assert storage.url("a b/ü.png") == "/media/a%20b/%C3%BC.png"
    assert GridFSStorage(base_url="https://media.test/u", uri="mongodb://x", database="d").url("x.png") == (
        "https://media.test/u/x.png"
    )


def test_times_are_aware_with_use_tz(storage, settings):
    before = datetime.now(UTC).replace(microsecond=0)
    storage.save("t.txt", ContentFile(b"x"))
    modified = storage.get_modified_time("t.txt")
    assert modified.tzinfo is not None and before <= modified <= datetime.now(UTC)
    assert storage.get_created_time("t.txt") == modified
    settings.USE_TZ = False
    assert storage.get_modified_time("t.txt").tzinfo is None


def test_missing_files(storage):
    assert not storage.exists("nope.txt")
    for call in (storage.open, storage.size, storage.get_modified_time, storage.get_created_time):
        with pytest.raises(FileNotFoundError, match=r"nope\.txt"):
            call("nope.txt")


def test_path_is_not_implemented(storage):
    with pytest.raises(NotImplementedError):
        storage.path("x.txt")


def test_open_for_writing_is_refused(storage):
    with pytest.raises(ValueError, match="reading only"):
        storage.open("x.txt", "wb")


def test_uploaded_content_type_is_used_when_the_name_says_nothing(storage):
    name = storage.save("noextension", SimpleUploadedFile("noextension", b"%PDF-", content_type="application/pdf"))
    assert storage.file_document(name)["metadata"]["contentType"] == "application/pdf"


# Django's own lists of dangerous names (tests/file_storage) and a few of ours.
DANGEROUS_NAMES = ["/tmp/..", "\\tmp\\..", "/tmp/.", "\\tmp\\.", "..", ".", "", "../path", "..\\path", "tmp/../path",
                   "tmp\\..\\path", "/tmp/../path", "\\tmp\\..\\path", "/tmp/path", "a/\x00b.txt", "///"]  # fmt: skip


@pytest.mark.parametrize("name", DANGEROUS_NAMES)
def test_dangerous_names_are_refused_everywhere(storage, name):
    for call in (
        lambda: storage.save(name, ContentFile(b"x")),
        lambda: storage.get_available_name(name),
        lambda: storage.exists(name),
        lambda: storage.open(name),
        lambda: storage.delete(name),
        lambda: storage.url(name),
    ):
        with pytest.raises(SuspiciousFileOperation):
            call()
    assert storage.files.count_documents({}) == 0


def test_unknown_options_name_the_valid_ones():
    with pytest.raises(ImproperlyConfigured, match=r"unknown option\(s\) buckett; valid options are base_url, bucket"):
        GridFSStorage(buckett="x")


def test_settings_supply_missing_options(settings, mongo_uri, gridfs_database):
    settings.DJANGO_STATIC_GRIDFS = {"URI": mongo_uri, "DATABASE": gridfs_database, "BUCKET": "uploads"}
    storage = GridFSStorage()
    storage.save("x.txt", ContentFile(b"x"))
    assert storage.files.full_name == f"{gridfs_database}.uploads.files"
    assert storage.exists("x.txt")


def test_no_uri_is_a_clear_error(settings):
    settings.DJANGO_STATIC_GRIDFS = {}
    with pytest.raises(ImproperlyConfigured, match="no MongoDB URI"):
        GridFSStorage().exists("x")


def test_deconstruct_keeps_only_explicit_options():
    path, args, kwargs = GridFSStorage(bucket="avatars").deconstruct()
    assert path == "django_static_pipe.backends.gridfs.GridFSStorage"
    assert (args, kwargs) == ((), {"bucket": "avatars"})
