"""Names in a GridFS bucket: which are valid, and which this storage has ever handed out.

One check (:func:`clean_name`) serves the storage and the view alike, so the storage never accepts
a name its view cannot serve. The registry (``<bucket>.static_pipe_names``, one document per name,
keyed by the name itself) does three jobs with the only index every MongoDB-wire server enforces,
``_id``: it keeps concurrent saves of one name apart (the second insert of a name fails), it marks
uploads in progress for the sweep, and it keeps a tombstone for every deleted name, so a name once
deleted is never handed out again and no cache can serve an old file at the URL of a new one.
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.utils import validate_file_name

REGISTRY_SUFFIX = "static_pipe_names"
UPLOADING, STORED, DELETED = "uploading", "stored", "deleted"
#: MongoDB before 4.2 refuses index keys over 1,024 bytes, and both the name index and ``_id`` hold it.
MAX_NAME_BYTES = 1000
#: Bidirectional controls: they make ``gpj.exe`` look like ``exe.jpg`` in a download dialog.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
_UNSERVABLE_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})  # controls, lone surrogates, line breaks


def _unservable_character(name: str) -> str | None:
    for character in name:
        if character in _BIDI_CONTROLS or unicodedata.category(character) in _UNSERVABLE_CATEGORIES:
            return character
    return None


def clean_name(name: object) -> str:
    """A stored name in its one canonical form, or :class:`SuspiciousFileOperation` if it has none.

    Backslashes count as separators; absolute names, ``..`` segments, names that reduce to nothing,
    control characters (a newline cannot even reach the view: URL patterns do not match it), lone
    surrogates, bidirectional controls and names over :data:`MAX_NAME_BYTES` are refused.
    """
    if not isinstance(name, str):
        raise TypeError(f"GridFSStorage needs a file name as a string, not {type(name).__name__} ({name!r}).")
    name = name.replace("\\", "/")
    bad = _unservable_character(name)
    if bad is not None:
        raise SuspiciousFileOperation(
            f"GridFSStorage refuses the file name {name!r}: it holds the character U+{ord(bad):04X}, "
            "which no URL of the media view can carry safely."
        )
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise SuspiciousFileOperation(
            f"GridFSStorage refuses a file name of {len(name.encode('utf-8'))} bytes (at most {MAX_NAME_BYTES})."
        )
    if not name.strip("/. "):
        raise SuspiciousFileOperation(f"GridFSStorage refuses the file name {name!r}.")
    cleaned = posixpath.normpath(name)
    if name.startswith("/") or ".." in name.split("/") or cleaned.startswith("/"):
        raise SuspiciousFileOperation(f"GridFSStorage refuses the file name {name!r}: it leaves the storage.")
    validate_file_name(cleaned, allow_relative_path=True)
    return cleaned


def variants_pattern(folder: str, root: str, short_root: str, ext: str) -> str:
    """A regular expression for ``root.ext`` and every ``short_root_XXXXXXX.ext`` in ``folder``.

    The common start stays outside the group, so MongoDB can bound an index scan with it.
    """
    prefix = (folder + "/" if folder else "") + short_root
    return f"^{re.escape(prefix)}(?:{re.escape(root[len(short_root) :] + ext)}|_[A-Za-z0-9]{{7}}{re.escape(ext)})$"


class NameRegistry:
    """The registry collection of one bucket: reservations, uploads in progress, tombstones."""

    def __init__(self, collection: Any) -> None:
        self.collection = collection

    def taken(self, pattern: str) -> set[str]:
        """Every registered name (live, uploading or deleted) that matches ``pattern``."""
        return {str(document["_id"]) for document in self.collection.find({"_id": {"$regex": pattern}}, {"_id": 1})}

    def reserve(self, name: str, files_id: Any) -> None:
        """Claim ``name`` for one upload; ``DuplicateKeyError`` if anyone ever claimed it before."""
        self.collection.insert_one({"_id": name, "state": UPLOADING, "files_id": files_id, "at": _now()})

    def finish(self, name: str, files_id: Any) -> bool:
        """Mark the upload stored; False if the name was deleted (tombstoned) meanwhile."""
        result = self.collection.update_one(
            {"_id": name, "files_id": files_id, "state": UPLOADING}, {"$set": {"state": STORED, "at": _now()}}
        )
        return bool(result.matched_count)

    def release(self, name: str, files_id: Any) -> None:
        """Give back the name of an upload whose file document was never sent (nothing was visible)."""
        self.collection.delete_one({"_id": name, "files_id": files_id, "state": UPLOADING})

    def bury(self, name: str, files_id: Any = None) -> None:
        """Leave a tombstone: the name stays taken for good."""
        query: dict[str, Any] = {"_id": name}
        if files_id is not None:
            query["files_id"] = files_id
        update = {"$set": {"state": DELETED, "at": _now()}}
        self.collection.update_one(query, update, upsert=files_id is None)

    def stale_uploads(self, before: datetime) -> list[dict[str, Any]]:
        """Uploads marked in progress since before ``before``: their save is over, one way or another."""
        return list(self.collection.find({"state": UPLOADING, "at": {"$lt": before}}))


def _now() -> datetime:
    return datetime.now(UTC)
