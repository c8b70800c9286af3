"""Finding and removing GridFS chunks that no file document owns.

A process killed in the middle of an upload, or a server lost before the failed upload could clean
up, leaves chunks behind. They are invisible (no file document points at them) but take space.
A group of chunks counts as orphaned only when its newest chunk is older than the cut-off, so an
upload still in progress is never touched.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId

from .gridfs import GridFSStorage

ID_BATCH = 500


@dataclass(frozen=True)
class Orphan:
    files_id: Any
    chunks: int
    newest: datetime


def _batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def find_orphans(storage: GridFSStorage, older_than: timedelta) -> list[Orphan]:
    """Every ``files_id`` whose chunks have no file document and whose newest chunk is old enough.

    Uses ``distinct`` and plain finds rather than ``$lookup``/``$max``: FerretDB lacks those, and the
    orphan case is rare enough that a second look per orphan costs nothing.
    """
    cutoff = datetime.now(UTC) - older_than
    owners = storage.chunks.distinct("files_id")
    orphans: list[Orphan] = []
    for batch in _batches(owners, ID_BATCH):
        present = {document["_id"] for document in storage.files.find({"_id": {"$in": batch}}, {"_id": 1})}
        for files_id in batch:
            if files_id in present:
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
