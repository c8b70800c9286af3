"""static_pipe_gridfs_sweep: orphaned chunks go, live files and fresh uploads stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from bson import ObjectId
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.mongo


def orphan_chunks(storage, count: int, age: timedelta) -> ObjectId:
    """Chunks as a process killed mid-upload leaves them: no file document, written ``age`` ago."""
    files_id = ObjectId.from_datetime(datetime.now(UTC) - age)
    when = datetime.now(UTC) - age
    storage.chunks.insert_many(
        [
            {"_id": ObjectId.from_datetime(when + timedelta(seconds=n)), "files_id": files_id, "n": n, "data": b"x"}
            for n in range(count)
        ]
    )
    return files_id


def run(*args: str) -> str:
    out = StringIO()
    call_command("static_pipe_gridfs_sweep", *args, stdout=out)
    return out.getvalue()


def test_dry_run_counts_and_removes_nothing(media):
    orphan_chunks(media, 3, timedelta(hours=30))
    assert (
        run("--older-than", "24", "--dry-run") == "Would remove 3 orphaned chunks of 1 interrupted uploads (dry run).\n"
    )
    assert media.chunks.count_documents({}) == 3


def test_sweep_removes_old_orphans_only(media):
    media.save("kept.txt", ContentFile(b"0123456789"))  # 3 chunks of 4 bytes, owned
    old = orphan_chunks(media, 3, timedelta(hours=30))
    fresh = orphan_chunks(media, 2, timedelta(minutes=5))  # an upload that may still be running
    assert run("--older-than", "24") == "Removed 3 orphaned chunks of 1 interrupted uploads.\n"
    assert media.chunks.count_documents({"files_id": old}) == 0
    assert media.chunks.count_documents({"files_id": fresh}) == 2
    with media.open("kept.txt") as handle:
        assert handle.read() == b"0123456789"


def test_negative_age_is_refused(media):
    with pytest.raises(CommandError, match="must not be negative"):
        run("--older-than", "-1")
