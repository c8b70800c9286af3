"""A stored GridFS file opened for reading: streams chunk by chunk, never loads the whole file.

pymongo's own ``GridOut`` lets the server choose the cursor's batch size, and a server may send a
whole file's chunks in one batch; here every cursor asks for a few chunks at a time, so memory stays
flat whatever the file's size. Every chunk is checked against the document (its number, its type,
its exact length) before a byte of it is handed on.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.core.files import File

from .gridfs_document import CorruptFileError, FileDocument, check_document

CHUNKS_PER_BATCH = 4  # about 1 MB of data per round trip with the default chunk size

__all__ = ["CHUNKS_PER_BATCH", "CorruptFileError", "GridFSFile"]


def _checked_data(document: FileDocument, chunk: dict[str, Any]) -> bytes:
    data = chunk.get("data")
    number = chunk.get("n")
    if not isinstance(data, bytes) or not isinstance(number, int):
        raise CorruptFileError(f"GridFS file {document.id!r} has a chunk without binary data ({number!r}).")
    if len(data) != document.chunk_length(number):
        raise CorruptFileError(
            f"GridFS file {document.id!r}: chunk {number} holds {len(data)} bytes where the document's "
            f"length and chunkSize say {document.chunk_length(number)}."
        )
    return data


class _ChunkReader(io.RawIOBase):
    """Random access over a GridFS file's chunks, one chunk fetched (and kept) at a time."""

    def __init__(self, chunks: Any, document: FileDocument) -> None:
        self._chunks = chunks
        self._document = document
        self._position = 0
        self._cached: tuple[int, bytes] | None = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._document.length}[whence]
        self._position = max(0, base + offset)
        return self._position

    def _chunk(self, number: int) -> bytes:
        if self._cached is None or self._cached[0] != number:
            found = self._chunks.find_one({"files_id": self._document.id, "n": number}, {"data": 1, "n": 1})
            if found is None:
                raise CorruptFileError(f"GridFS file {self._document.id!r} has no chunk {number}.")
            self._cached = (number, _checked_data(self._document, found))
        return self._cached[1]

    def readinto(self, buffer: Any) -> int:
        if self._position >= self._document.length:
            return 0
        number, offset = divmod(self._position, self._document.chunk_size)
        data = self._chunk(number)[offset : offset + len(buffer)]
        buffer[: len(data)] = data
        self._position += len(data)
        return len(data)

    def _cursor(self, first: int, last: int, *, ordered: bool) -> Any:
        cursor = self._chunks.find(
            {"files_id": self._document.id, "n": {"$gte": first, "$lte": last}}, {"data": 1, "n": 1}
        )
        return (cursor.sort("n", 1) if ordered else cursor).batch_size(CHUNKS_PER_BATCH)

    def iter_range(self, start: int, end: int) -> Iterator[bytes]:
        """Bytes ``start`` to ``end`` inclusive, read with a cursor a few chunks at a time.

        The cursor asks for no sort: MongoDB walks its ``files_id, n`` index in order anyway, and a
        server that would sort in memory (FerretDB sorts the whole result first) streams instead.
        Chunks are checked to come in order; if they do not, the rest is read with a sort.
        """
        if end < start:
            return
        chunk_size = self._document.chunk_size
        expected, offset = divmod(start, chunk_size)
        last = end // chunk_size
        remaining = end - start + 1
        ordered = False
        while remaining > 0:
            cursor = self._cursor(expected, last, ordered=ordered)
            try:
                for chunk in cursor:
                    if chunk.get("n") != expected:
                        if ordered:
                            raise CorruptFileError(f"GridFS file {self._document.id!r} is missing chunk {expected}.")
                        break  # out of order: read the rest sorted
                    data = _checked_data(self._document, chunk)
                    whole = offset == 0 and len(data) <= remaining
                    piece = data if whole else data[offset : offset + remaining]
                    offset = 0
                    expected += 1
                    remaining -= len(piece)
                    yield piece
                    if remaining <= 0:
                        return
                else:
                    if remaining > 0:
                        raise CorruptFileError(
                            f"GridFS file {self._document.id!r} ends {remaining} bytes before its recorded length."
                        )
            finally:
                cursor.close()
            ordered = True


class GridFSFile(File):  # type: ignore[type-arg]
    """A Django ``File`` over a stored GridFS file, with the checked document at hand.

    Opening checks the document (:class:`CorruptFileError` if it is not a valid GridFS file);
    reading checks every chunk.
    """

    def __init__(self, chunks: Any, document: dict[str, Any]) -> None:
        self.document = document
        self.checked = check_document(document)
        self._reader = _ChunkReader(chunks, self.checked)
        super().__init__(io.BufferedReader(self._reader, buffer_size=self.checked.chunk_size if self.size else 8192))
        self.name = self.checked.filename
        self.mode = "rb"

    @property
    def size(self) -> int:
        return self.checked.length

    @property
    def content_type(self) -> object:
        """The type as stored (unchecked): ``media_types.served()`` decides what may be sent."""
        return self.checked.content_type

    @property
    def sha256(self) -> str | None:
        return self.checked.sha256

    @property
    def upload_date(self) -> datetime:
        return self.checked.upload_date

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        """The stored chunks as they are (``chunk_size`` is ignored: GridFS already cut the file)."""
        return self.iter_range(0, self.size - 1)

    def iter_range(self, start: int, end: int) -> Iterator[bytes]:
        return self._reader.iter_range(start, end)
