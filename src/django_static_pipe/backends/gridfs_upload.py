"""Writing one file into GridFS so that, whatever fails and whenever, no reader sees a broken file.

The order is: claim the name in the registry (marked as an upload in progress), write the chunks,
count them back, write the file document, mark the name stored. A file is visible only once its
document exists, and the document is written only over a complete set of chunks.

A failure before the document was sent removes the chunks and gives the name back. A failure after
it was sent (a timeout may hide a write the server applied) removes the document by its ``_id``
first, then the chunks, and keeps the name as a tombstone, because a reader may have seen it; if the
document cannot be removed, the chunks stay too, so no document is ever left without them, and the
registry's mark lets ``static_pipe_gridfs_sweep`` finish the job once the upload is certainly over.
No write is sent after ``max_upload_seconds``, which is what makes "certainly over" a time.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pymongo
from bson import ObjectId
from bson.binary import Binary

from ..exceptions import StaticPipeError
from .gridfs_document import CorruptFileError

if TYPE_CHECKING:
    from .gridfs_names import NameRegistry

logger = logging.getLogger("django_static_pipe")

BATCH_BYTES = 4 * 1024 * 1024  # chunks are inserted in batches of about this much


class UploadTooSlowError(StaticPipeError, TimeoutError):
    """An upload ran past ``max_upload_seconds``: nothing more is written, what was written is removed."""


class Upload:
    """One save of ``content`` under the claimed ``name``; :meth:`run` writes it or leaves nothing."""

    def __init__(self, *, files: Any, chunks: Any, registry: NameRegistry, chunk_size: int, max_seconds: float) -> None:
        self.files = files
        self.chunks = chunks
        self.registry = registry
        self.chunk_size = chunk_size
        self.deadline = time.monotonic() + max_seconds  # no write is sent after it
        self.file_id = ObjectId()

    def _before_write(self) -> None:
        if time.monotonic() > self.deadline:
            raise UploadTooSlowError(
                f"GridFSStorage: the upload of file {self.file_id} ran past max_upload_seconds; raise that "
                "option if uploads this long are expected (and the sweep's --older-than with it)."
            )

    def run(self, name: str, content: Any, content_type: str) -> None:
        """Write chunks and document for ``name`` (already reserved with :attr:`file_id`)."""
        document_sent = False
        try:
            length, sha256 = self._write_chunks(content)
            self._verify_chunks(length)
            self._before_write()
            document = {
                "_id": self.file_id,
                "filename": name,
                "length": length,
                "chunkSize": self.chunk_size,
                # BSON dates hold milliseconds: the newest revision sorts first, as GridFS readers expect.
                "uploadDate": _now_to_milliseconds(),
                "metadata": {"contentType": content_type, "sha256": sha256},
            }
            document_sent = True
            self.files.insert_one(document)
            if not self.registry.finish(name, self.file_id):
                raise FileNotFoundError(f"GridFSStorage: {name!r} was deleted while it was being saved.")
        except BaseException:
            self._undo(name, document_sent)
            raise

    def _write_chunks(self, content: Any) -> tuple[int, str]:
        digest = hashlib.sha256()
        length = 0
        batch: list[dict[str, Any]] = []
        for number, piece in enumerate(_exact_pieces(content, self.chunk_size)):
            digest.update(piece)
            length += len(piece)
            batch.append({"files_id": self.file_id, "n": number, "data": Binary(piece)})
            if len(batch) * self.chunk_size >= BATCH_BYTES:
                self._insert(batch)
                batch = []
        if batch:
            self._insert(batch)
        return length, digest.hexdigest()

    def _insert(self, batch: list[dict[str, Any]]) -> None:
        self._before_write()
        self.chunks.insert_many(batch, ordered=True)

    def _verify_chunks(self, length: int) -> None:
        """Count the chunks back before the document goes in: one query, on the ``files_id, n`` index.

        A server without that index (FerretDB) scans the whole collection, so the count may take until
        the upload's deadline rather than one socket timeout.
        """
        expected = -(-length // self.chunk_size)
        self._before_write()
        with pymongo.timeout(max(self.deadline - time.monotonic(), 0.001)):
            found = self.chunks.count_documents({"files_id": self.file_id})
        if found != expected:
            raise CorruptFileError(
                f"GridFSStorage: only {found} of the {expected} chunks of file {self.file_id} ({length} bytes) "
                "are still stored (was static_pipe_gridfs_sweep run with too short an --older-than?); the upload "
                "is abandoned."
            )

    def _undo(self, name: str, document_sent: bool) -> None:
        """Remove what was written, document first; on any failure leave the rest to the sweep."""
        try:
            if document_sent:
                self.files.delete_one({"_id": self.file_id})
            self.chunks.delete_many({"files_id": self.file_id})
            if document_sent:
                self.registry.bury(name, self.file_id)
            else:
                self.registry.release(name, self.file_id)
        except Exception:  # the server may be the reason we failed; the sweep command finishes the job
            logger.warning(
                "GridFSStorage: could not remove the remains of the failed upload %s of %r; "
                "`manage.py static_pipe_gridfs_sweep` will once max_upload_seconds have passed.",
                self.file_id,
                name,
            )


def _now_to_milliseconds() -> datetime:
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _exact_pieces(content: Any, size: int) -> Iterator[bytes]:
    """Re-cut ``content.chunks()`` into pieces of exactly ``size`` bytes (the last may be shorter):
    GridFS readers rely on every chunk but the last being full."""
    buffer = bytearray()
    for piece in content.chunks(size):
        if isinstance(piece, str):
            piece = piece.encode("utf-8")
        buffer += piece
        while len(buffer) >= size:
            yield bytes(buffer[:size])
            del buffer[:size]
    if buffer:
        yield bytes(buffer)
