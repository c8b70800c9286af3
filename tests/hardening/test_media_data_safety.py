"""GridFS data safety: applied-but-unanswered writes, the sweep against running uploads, revisions
written by other GridFS tools, and names that never come back (issue 11, items 5, 6 and 7)."""

from __future__ import annotations

import io
import threading
from io import StringIO

import gridfs
import pymongo
import pytest
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from pymongo.errors import AutoReconnect

from devservers.faultproxy import FaultProxy
from django_static_pipe.backends.gridfs import GridFSStorage
from django_static_pipe.backends.gridfs_document import CorruptFileError
from django_static_pipe.backends.gridfs_upload import UploadTooSlowError
from tests.hardening.figures import record
from tests.media.conftest import gridfs_storages

pytestmark = pytest.mark.mongo


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


class Paused(File):
    """``pieces`` chunks of ``size`` bytes, pausing after the first ``pause_after`` until released."""

    def __init__(self, pieces: int, size: int, pause_after: int) -> None:
        super().__init__(None, "paused.bin")
        self.pieces, self.piece_size, self.pause_after = pieces, size, pause_after
        self.paused = threading.Event()
        self.release = threading.Event()

    def chunks(self, chunk_size=None):
        for number in range(self.pieces):
            if number == self.pause_after:
                self.paused.set()
                assert self.release.wait(60)
            yield bytes([number % 256]) * self.piece_size


def upload_in_thread(storage: GridFSStorage, name: str, content: File) -> tuple[threading.Thread, list, list]:
    names: list[str] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            names.append(storage.save(name, content))
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, names, errors


# -- item 5: a file-document insert that the server applied but never answered -----------------------


def test_an_applied_but_unanswered_document_insert_leaves_no_file(mongo_server, gridfs_database, settings, client):
    host, port = mongo_server.uri.split("//", 1)[1].rstrip("/").rsplit(":", 1)
    fault = FaultProxy(host, int(port)).start()
    held = fault.hold_reply("insert", "fs.files", seconds=4)
    storage = GridFSStorage(  # no retried write: on a replica set the retry would hide the lost reply
        uri=f"mongodb://{fault.endpoint}/?directConnection=true&retryWrites=false",
        database=gridfs_database,
        socket_timeout_ms=1000,
        chunk_size_bytes=1000,
    )
    direct = pymongo.MongoClient(mongo_server.uri, serverSelectionTimeoutMS=5000)
    try:
        with pytest.raises(AutoReconnect):  # pymongo's NetworkTimeout: the reply never came in time
            storage.save("late.bin", ContentFile(b"x" * 5000))
        assert held.held == 1  # the server did answer (late): it had applied the insert
        files = direct[gridfs_database]["fs.files"]
        chunks = direct[gridfs_database]["fs.chunks"]
        # The document went first, then the chunks: no file that exists() but cannot be read.
        assert (files.count_documents({}), chunks.count_documents({})) == (0, 0)
        assert not storage.exists("late.bin")
        settings.STORAGES = gridfs_storages(**storage._explicit)
        assert client.get("/media/late.bin").status_code == 404
        # A reader may have seen the file in between: its name is never handed out again.
        assert storage.get_available_name("late.bin") != "late.bin"
    finally:
        direct.close()
        fault.stop()
    record("gridfs_data_safety", unanswered_document_insert="server applied it, reply held 4 s: 0 documents, "
           "0 chunks left, name kept as a tombstone")  # fmt: skip


# -- item 6: the sweep and a running upload ------------------------------------------------------------


def test_the_sweep_refuses_an_age_shorter_than_the_longest_upload(media):
    with pytest.raises(CommandError, match=r"shorter than the longest possible upload \(6\.00\d* hours"):
        call_command("static_pipe_gridfs_sweep", "--older-than", "0", stdout=StringIO())
    with pytest.raises(CommandError, match="max_upload_seconds"):
        call_command("static_pipe_gridfs_sweep", "--older-than", "5", "--dry-run", stdout=StringIO())


CHUNK = 64 * 1024  # 64 chunks make one 4 MiB batch: a pause after 128 has two batches written


@pytest.fixture
def batched(storage_factory, settings):
    """The default storage with chunks small enough that a few MiB are written in several batches."""
    storage = storage_factory(chunk_size_bytes=CHUNK)
    settings.STORAGES = gridfs_storages(**storage._explicit)
    return storage


def test_a_sweep_during_an_upload_leaves_it_whole(batched):
    media = batched
    content = Paused(pieces=160, size=CHUNK, pause_after=128)
    thread, names, errors = upload_in_thread(media, "running.bin", content)
    assert content.paused.wait(30)
    written = media.chunks.count_documents({})
    assert written == 128
    with pytest.raises(CommandError):
        call_command("static_pipe_gridfs_sweep", "--older-than", "0", stdout=StringIO())
    out = StringIO()
    call_command("static_pipe_gridfs_sweep", "--older-than", "24", stdout=out)
    assert out.getvalue() == "Removed 0 orphaned chunks of 0 interrupted uploads.\n"
    assert media.chunks.count_documents({}) == written
    content.release.set()
    thread.join(60)
    assert errors == [] and names == ["running.bin"]
    with media.open("running.bin") as opened:
        assert b"".join(opened.chunks()) == b"".join(bytes([n]) * CHUNK for n in range(160))
    record("gridfs_data_safety", sweep_during_upload=f"--older-than 0 refused; {written} chunks of a paused "
           "upload kept by --older-than 24; the file reads back whole")  # fmt: skip


def test_an_upload_whose_chunks_vanish_writes_no_document(batched):
    media = batched
    content = Paused(pieces=80, size=CHUNK, pause_after=64)
    thread, names, errors = upload_in_thread(media, "robbed.bin", content)
    assert content.paused.wait(30)
    # What an older sweep (or a hand in the database) did to a running upload.
    media.chunks.delete_many({"n": {"$lt": 10}})
    content.release.set()
    thread.join(60)
    assert names == [] and len(errors) == 1 and isinstance(errors[0], CorruptFileError)
    assert "only 70 of the 80 chunks" in str(errors[0])
    assert media.files.count_documents({}) == 0 and media.chunks.count_documents({}) == 0
    assert not media.exists("robbed.bin")


def test_an_upload_past_max_upload_seconds_stops_and_leaves_nothing(storage_factory):
    storage = storage_factory(chunk_size_bytes=CHUNK, max_upload_seconds=0.5)
    content = Paused(pieces=100, size=CHUNK, pause_after=70)  # one batch written, then too long a pause
    timer = threading.Timer(1.0, content.release.set)
    timer.start()
    try:
        with pytest.raises(UploadTooSlowError, match="max_upload_seconds"):
            storage.save("slow.bin", content)
    finally:
        timer.cancel()
        content.release.set()
    assert storage.files.count_documents({}) == 0 and storage.chunks.count_documents({}) == 0
    assert storage.get_available_name("slow.bin") == "slow.bin"  # never visible: the name is given back


def test_the_sweep_finishes_an_upload_whose_clean_up_failed(storage_factory, settings):
    """A save that died with the server away leaves its mark, its chunks and maybe its document: once it
    is certainly over, the sweep removes the document by _id, then the chunks, and keeps the name."""
    import time

    from bson import ObjectId

    storage = storage_factory(chunk_size_bytes=4, max_upload_seconds=0.2, socket_timeout_ms=300)
    settings.STORAGES = gridfs_storages(**storage._explicit)
    file_id = ObjectId()
    storage.registry.reserve("ghost.bin", file_id)
    storage.chunks.insert_many([{"files_id": file_id, "n": n, "data": b"abcd"} for n in range(3)])
    storage.files.insert_one({"_id": file_id, "filename": "ghost.bin", "length": 12, "chunkSize": 4,
                              "uploadDate": ObjectId().generation_time})  # fmt: skip
    kept = storage.save("kept.bin", ContentFile(b"kept"))
    time.sleep(1.6)  # past the floor (0.5 s), and ObjectIds count whole seconds
    out = StringIO()
    call_command("static_pipe_gridfs_sweep", "--older-than", str(0.6 / 3600), stdout=out)
    assert out.getvalue() == (
        "Removed 3 orphaned chunks of 1 interrupted uploads (1 unfinished file documents removed first).\n"
    )
    assert not storage.exists("ghost.bin") and storage.chunks.count_documents({"files_id": file_id}) == 0
    assert storage.get_available_name("ghost.bin") != "ghost.bin"
    with storage.open(kept) as opened:
        assert opened.read() == b"kept"


# -- item 7: revisions and shared buckets --------------------------------------------------------------


def test_other_gridfs_writers_add_revisions_and_the_newest_is_served(media, client):
    bucket = gridfs.GridFSBucket(media._database(), bucket_name=media.bucket)
    assert media.save("shared.txt", ContentFile(b"ours")) == "shared.txt"
    bucket.upload_from_stream("shared.txt", b"theirs, first")  # a spec-conforming writer adds revisions
    bucket.upload_from_stream("shared.txt", b"theirs, second")
    assert bucket.open_download_stream_by_name("shared.txt").read() == b"theirs, second"
    response = client.get("/media/shared.txt")
    assert (response.status_code, body(response)) == (200, b"theirs, second")
    with media.open("shared.txt") as opened:
        assert opened.read() == b"theirs, second"
    assert media.save("shared.txt", ContentFile(b"again")) != "shared.txt"  # our saves add none
    media.delete("shared.txt")
    assert media.files.count_documents({"filename": "shared.txt"}) == 0
    assert list(bucket.find({"filename": "shared.txt"})) == []
    assert media.chunks.count_documents({}) == 2  # "again"'s one chunk of 4 bytes and its last byte
    assert client.get("/media/shared.txt").status_code == 404


def test_a_bucket_that_already_holds_revisions_is_used_as_it_is(storage):
    bucket = gridfs.GridFSBucket(storage._database(), bucket_name=storage.bucket)
    bucket.upload_from_stream("before.txt", b"1")
    bucket.upload_from_stream("before.txt", b"2")
    assert storage.save("new.txt", ContentFile(b"n")) == "new.txt"
    assert storage.save("before.txt", ContentFile(b"3")) != "before.txt"
    with storage.open("before.txt") as opened:
        assert opened.read() == b"2"


def test_the_unique_name_index_of_earlier_versions_is_dropped(storage):
    storage.files.create_index([("filename", 1)], unique=True, name="static_pipe_filename_unique")
    storage.save("a.txt", ContentFile(b"a"))
    assert "static_pipe_filename_unique" not in storage.files.index_information()
    bucket = gridfs.GridFSBucket(storage._database(), bucket_name=storage.bucket)
    bucket.upload_from_stream("a.txt", b"revision")
    assert storage.files.count_documents({"filename": "a.txt"}) == 2


# -- names that never come back (the cache contract) ---------------------------------------------------


def test_a_deleted_name_is_never_handed_out_again(media, client):
    first = media.save("avatar.png", ContentFile(b"old picture"))
    assert client.get("/media/" + first).status_code == 200
    media.delete(first)
    assert not media.exists(first)
    second = media.save("avatar.png", ContentFile(b"new picture"))
    assert second != first and second.startswith("avatar_")
    # A cache that kept the old body at /media/avatar.png never serves it for the new file.
    assert client.get("/media/" + first).status_code == 404
    assert body(client.get("/media/" + second)) == b"new picture"
    media.delete(second)
    assert media.get_available_name(second) != second


def test_concurrent_saves_of_one_name_stay_distinct_without_a_unique_index(storage):
    names: list[str] = []
    barrier = threading.Barrier(6)

    def upload(index: int) -> None:
        barrier.wait()
        names.append(storage.save("race.txt", File(io.BytesIO(b"u%d" % index), "race.txt")))

    threads = [threading.Thread(target=upload, args=(index,)) for index in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(names)) == 6
    for name in names:
        assert storage.files.count_documents({"filename": name}) == 1
    indexes = storage.files.index_information().values()
    assert not [index for index in indexes if index.get("unique") and index["key"] == [("filename", 1)]]
