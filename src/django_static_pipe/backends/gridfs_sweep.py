"""Finishing what failed uploads left behind: chunks no file owns, and uploads that never completed.

A process killed in the middle of an upload, or a server lost before the failed upload could clean
up, leaves chunks behind (and, if the file document's fate was unknown, maybe the document). Nothing
here is touched until it is older than the longest possible upload (``max_upload_seconds``, after
which an upload sends no write, plus the socket timeout): an upload still running is never touched.

Two kinds of remains are found: uploads the name registry still marks as in progress past that age
(their document is removed by ``_id`` first, then their chunks, and the name is kept as a
tombstone), and chunks whose ``files_id`` has no file document, whatever wrote them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId

from .gridfs import GridFSStorage

ID_BATCH = 500


class SweepTooEarlyError(ValueError):
    """The sweep was asked to treat uploads as over before they certainly are."""


@dataclass(frozen=True)
class Orphan:
    files_id: Any
    chunks: int
    newest: datetime


@dataclass(frozen=True)
class StaleUpload:
    name: str
    files_id: Any
    started: datetime
    chunks: int


def check_age(storage: GridFSStorage, older_than: timedelta) -> None:
    """Refuse an age at which an upload might still be running."""
    floor = storage.sweep_floor_seconds
    if older_than.total_seconds() < floor:
        raise SweepTooEarlyError(
            f"--older-than {older_than.total_seconds() / 3600:g} hours is shorter than the longest possible "
            f"upload ({floor / 3600:g} hours: the storage's max_upload_seconds plus its socket timeout); "
            "an upload still running would lose its chunks. Use a longer age, or lower max_upload_seconds."
        )


def _batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def find_stale_uploads(storage: GridFSStorage, older_than: timedelta) -> list[StaleUpload]:
    """Uploads marked in progress that started before the cut-off: over, but never finished or cleaned."""
    check_age(storage, older_than)
    cutoff = datetime.now(UTC) - older_than
    return [
        StaleUpload(
            name=str(mark["_id"]),
            files_id=mark.get("files_id"),
            started=mark["at"],
            chunks=storage.chunks.count_documents({"files_id": mark.get("files_id")}),
        )
        for mark in storage.registry.stale_uploads(cutoff)
    ]


def remove_stale_uploads(storage: GridFSStorage, stale: list[StaleUpload]) -> tuple[int, int]:
    """Remove each one's document (by ``_id``, first), then its chunks; keep its name as a tombstone.

    Returns (documents removed, chunks removed).
    """
    documents = chunks = 0
    for upload in stale:
        documents += int(storage.files.delete_one({"_id": upload.files_id}).deleted_count)
        chunks += int(storage.chunks.delete_many({"files_id": upload.files_id}).deleted_count)
        storage.registry.bury(upload.name, upload.files_id)
    return documents, chunks


def find_orphans(
    storage: GridFSStorage, older_than: timedelta, *, besides: frozenset[Any] = frozenset()
) -> list[Orphan]:
    """Every ``files_id`` (other than ``besides``) whose chunks have no file document and whose newest
    chunk is old enough.

    Uses ``distinct`` and plain finds rather than ``$lookup``/``$max``: FerretDB lacks those, and the
    orphan case is rare enough that a second look per orphan costs nothing.
    """
    check_age(storage, older_than)
    cutoff = datetime.now(UTC) - older_than
    owners = storage.chunks.distinct("files_id")
    orphans: list[Orphan] = []
    for batch in _batches(owners, ID_BATCH):
        present = {document["_id"] for document in storage.files.find({"_id": {"$in": batch}}, {"_id": 1})}
        for files_id in batch:
            if files_id in present or files_id in besides:
                continue
            newest = storage.chunks.find_one({"files_id": files_id}, {"_id": 1}, sort=[("_id", -1)])
            if newest is None or not isinstance(newest["_id"], ObjectId):
                continue
            written = newest["_id"].generation_time
            if written < cutoff:
                count = storage.chunks.count_documents({"files_id": files_id})
                orphans.append(Orphan(files_id=files_id, chunks=count, newest=written))
    return orphans


def remove_orphans(storage: GridFSStorage, orphans: list[Orphan]) -> int:
    """Delete the orphans' chunks (only those already old at the time they were found)."""
    removed = 0
    for orphan in orphans:
        limit = ObjectId.from_datetime(orphan.newest + timedelta(seconds=1))
        result = storage.chunks.delete_many({"files_id": orphan.files_id, "_id": {"$lt": limit}})
        removed += int(result.deleted_count)
    return removed


@dataclass(frozen=True)
class Plan:
    """What one sweep removes."""

    stale: list[StaleUpload]
    orphans: list[Orphan]

    @property
    def uploads(self) -> int:
        return len(self.stale) + len(self.orphans)

    @property
    def chunks(self) -> int:
        return sum(upload.chunks for upload in self.stale) + sum(orphan.chunks for orphan in self.orphans)


def plan(storage: GridFSStorage, older_than: timedelta) -> Plan:
    """Find both kinds of remains (:class:`SweepTooEarlyError` for too short an age)."""
    stale = find_stale_uploads(storage, older_than)
    besides = frozenset(upload.files_id for upload in stale)
    return Plan(stale=stale, orphans=find_orphans(storage, older_than, besides=besides))


def carry_out(storage: GridFSStorage, planned: Plan) -> tuple[int, int]:
    """Remove what :func:`plan` found; returns (file documents removed, chunks removed)."""
    documents, chunks = remove_stale_uploads(storage, planned.stale)
    return documents, chunks + remove_orphans(storage, planned.orphans)
