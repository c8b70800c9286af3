"""A GridFS file document, checked before anything is served from it.

Any GridFS writer may share the bucket, and a document may be damaged, so every field the reader and
the view rely on is checked here once: a negative or non-integral ``length``, a missing
``chunkSize``, a missing ``uploadDate`` or a ``sha256`` that is not a digest make the file corrupt,
never a header or a wrong byte.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import bson
from bson import ObjectId

from ..exceptions import StaticPipeError

MAX_CHUNK_SIZE = 16 * 1024 * 1024  # a chunk is one BSON document, and those are at most 16 MiB
MAX_LENGTH = 2**63 - 1  # what a BSON int64 holds
_SHA256 = re.compile(r"[0-9a-f]{64}", re.ASCII)


class CorruptFileError(StaticPipeError, OSError):
    """A GridFS file's document or chunks are not a valid GridFS file."""


def _integer(document: dict[str, Any], field: str) -> int:
    """An integral field: other drivers store lengths as int32, int64 or even a whole double."""
    value = document.get(field)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CorruptFileError(f"GridFS file {document.get('_id')!r} has no valid {field!r} ({value!r}).")
    if isinstance(value, float) and not value.is_integer():
        raise CorruptFileError(f"GridFS file {document.get('_id')!r} has a fractional {field!r} ({value!r}).")
    return int(value)


@dataclass(frozen=True)
class FileDocument:
    """The checked fields of one stored revision."""

    id: Any
    filename: str
    length: int
    chunk_size: int
    upload_date: datetime
    content_type: object  # as stored: media_types.served() decides what of it may be sent
    sha256: str | None

    @property
    def chunk_count(self) -> int:
        return -(-self.length // self.chunk_size)

    def chunk_length(self, number: int) -> int:
        """How long chunk ``number`` must be: full, except the last."""
        if number < self.chunk_count - 1:
            return self.chunk_size
        return self.length - (self.chunk_count - 1) * self.chunk_size

    @property
    def etag(self) -> str:
        """A strong entity tag: the content's digest when stored, else the revision's own ``_id``."""
        if self.sha256:
            return f'"{self.sha256}"'
        if isinstance(self.id, ObjectId):
            return f'"{self.id}"'
        return '"id-' + hashlib.sha256(bson.encode({"_id": self.id})).hexdigest()[:40] + '"'


def check_document(document: dict[str, Any]) -> FileDocument:
    """The document's fields, or :class:`CorruptFileError` naming the first bad one."""
    file_id = document.get("_id")
    length = _integer(document, "length")
    if not 0 <= length <= MAX_LENGTH:
        raise CorruptFileError(f"GridFS file {file_id!r} has an impossible length {length}.")
    chunk_size = _integer(document, "chunkSize") if length else 1  # an empty file has no chunks to cut
    if not 0 < chunk_size <= MAX_CHUNK_SIZE:
        raise CorruptFileError(f"GridFS file {file_id!r} has an impossible chunkSize {chunk_size}.")
    uploaded = document.get("uploadDate")
    if not isinstance(uploaded, datetime):
        raise CorruptFileError(f"GridFS file {file_id!r} has no valid uploadDate ({uploaded!r}).")
    filename = document.get("filename")
    if not isinstance(filename, str):
        raise CorruptFileError(f"GridFS file {file_id!r} has no valid filename ({filename!r}).")
    metadata = document.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    sha256 = metadata.get("sha256")
    return FileDocument(
        id=file_id,
        filename=filename,
        length=length,
        chunk_size=chunk_size,
        upload_date=uploaded if uploaded.tzinfo else uploaded.replace(tzinfo=UTC),
        content_type=metadata.get("contentType") or document.get("contentType"),
        sha256=sha256 if isinstance(sha256, str) and _SHA256.fullmatch(sha256) else None,
    )
