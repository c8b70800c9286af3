"""A Django storage that keeps files in MongoDB GridFS.

``STORAGES = {"default": {"BACKEND": "django_static_pipe.backends.gridfs.GridFSStorage",
"OPTIONS": {"uri": "mongodb://localhost:27017", "database": "media"}}}``

Files are written in the standard GridFS layout (``<bucket>.files`` and ``<bucket>.chunks``), so
any GridFS tool reads them. Chunks are written first and the file document last: a file is visible
only once it is complete, and an upload that fails removes its chunks. One name holds one file; a
unique index on ``filename`` makes concurrent saves of one name end with different names, never
with one overwriting the other.
"""

from __future__ import annotations

import hashlib
import mimetypes
import posixpath
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import IO, Any
from urllib.parse import quote

from bson import ObjectId
from bson.binary import Binary
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, SuspiciousFileOperation
from django.core.files import File
from django.core.files.storage import Storage
from django.core.files.utils import validate_file_name
from django.utils import timezone as django_timezone
from django.utils.crypto import get_random_string
from django.utils.deconstruct import deconstructible
from pymongo.errors import DuplicateKeyError, OperationFailure

from ..conf import pipe_settings
from .gridfs_file import GridFSFile
from .gridfs_options import OPTIONS
from .mongo import get_client

UNIQUE_NAME_INDEX = "static_pipe_filename_unique"
BATCH_BYTES = 4 * 1024 * 1024  # chunks are inserted in batches of about this much


_indexed: set[tuple[int, str, str, str]] = set()
_indexed_guard = threading.Lock()


def clean_name(name: str) -> str:
    """A stored name in its one canonical form, or :class:`SuspiciousFileOperation` if it has none.

    Backslashes count as separators; absolute names, ``..`` segments, NUL and names that reduce to
    nothing are refused, as Django's own storages refuse them.
    """
    name = str(name).replace("\\", "/")
    if "\x00" in name or not name.strip("/. "):
        raise SuspiciousFileOperation(f"GridFSStorage refuses the file name {name!r}.")
    cleaned = posixpath.normpath(name)
    if name.startswith("/") or ".." in name.split("/") or cleaned.startswith("/"):
        raise SuspiciousFileOperation(f"GridFSStorage refuses the file name {name!r}: it leaves the storage.")
    validate_file_name(cleaned, allow_relative_path=True)
    return cleaned


@deconstructible(path="django_static_pipe.backends.gridfs.GridFSStorage")
class GridFSStorage(Storage):
    """Django's Storage API over a GridFS bucket."""

    def __init__(self, **options: Any) -> None:
        unknown = sorted(set(options) - set(OPTIONS))
        if unknown:
            raise ImproperlyConfigured(
                f"GridFSStorage got unknown option(s) {', '.join(unknown)}; valid options are "
                f"{', '.join(sorted(OPTIONS))}."
            )
        self._explicit = options

    # -- configuration -------------------------------------------------------------------------------

    def option(self, key: str) -> Any:
        """An option: from OPTIONS, else from ``DJANGO_STATIC_GRIDFS``, else the default."""
        if self._explicit.get(key) is not None:
            return self._explicit[key]
        setting_key, default = OPTIONS[key]
        value = pipe_settings.gridfs.get(setting_key)
        return default if value is None else value

    @property
    def bucket(self) -> str:
        return str(self.option("bucket"))

    @property
    def base_url(self) -> str:
        return str(self.option("base_url") or settings.MEDIA_URL or "/media/")

    @property
    def cache_control(self) -> str:
        return str(self.option("cache_control"))

    @property
    def chunk_size(self) -> int:
        return int(self.option("chunk_size_bytes"))

    def _database(self) -> Any:
        uri = self.option("uri")
        if not uri:
            raise ImproperlyConfigured(
                "GridFSStorage has no MongoDB URI: set STORAGES[...]['OPTIONS']['uri'] or DJANGO_STATIC_GRIDFS['URI']."
            )
        client = get_client(
            str(uri),
            selection_timeout_ms=int(self.option("server_selection_timeout_ms")),
            socket_timeout_ms=int(self.option("socket_timeout_ms")),
        )
        database = self.option("database")
        if database:
            return client[str(database)]
        try:
            return client.get_default_database()
        except Exception as exc:
            raise ImproperlyConfigured(
                "GridFSStorage has no database: set STORAGES[...]['OPTIONS']['database'], "
                "DJANGO_STATIC_GRIDFS['DATABASE'], or name one in the URI."
            ) from exc

    @property
    def files(self) -> Any:
        return self._database()[f"{self.bucket}.files"]

    @property
    def chunks(self) -> Any:
        return self._database()[f"{self.bucket}.chunks"]

    def ensure_indexes(self) -> None:
        """Create the GridFS indexes and the unique name index, once per process and bucket."""
        database = self._database()
        key = (id(database.client), database.name, self.bucket, str(self.option("uri")))
        if key in _indexed:
            return
        with _indexed_guard:
            if key in _indexed:
                return
            self.chunks.create_index([("files_id", 1), ("n", 1)], unique=True)
            self.files.create_index([("filename", 1), ("uploadDate", 1)])
            try:
                self.files.create_index([("filename", 1)], unique=True, name=UNIQUE_NAME_INDEX)
            except (DuplicateKeyError, OperationFailure) as exc:
                raise ImproperlyConfigured(
                    f"GridFS bucket {self.bucket!r} in database {database.name!r} holds several revisions of some "
                    "names; GridFSStorage keeps one file per name. Delete the older revisions "
                    f"(storage.delete(name) removes them all) and try again. ({exc})"
                ) from exc
            _indexed.add(key)

    # -- reading -------------------------------------------------------------------------------------

    def file_document(self, name: str) -> dict[str, Any] | None:
        """The newest file document stored under ``name``, or None."""
        document: dict[str, Any] | None = self.files.find_one(
            {"filename": clean_name(name)}, sort=[("uploadDate", -1), ("_id", -1)]
        )
        return document

    def _require(self, name: str) -> dict[str, Any]:
        document = self.file_document(name)
        if document is None:
            raise FileNotFoundError(f"GridFSStorage: no file named {name!r} in bucket {self.bucket!r}.")
        return document

    def _open(self, name: str, mode: str = "rb") -> GridFSFile:
        if any(flag in mode for flag in "wax+"):
            raise ValueError(f"GridFSStorage opens files for reading only (mode {mode!r}); save with storage.save().")
        document = self._require(name)
        return GridFSFile(self.chunks, document)

    def open(self, name: str, mode: str = "rb") -> GridFSFile:
        return self._open(name, mode)

    def exists(self, name: str) -> bool:
        return self.files.find_one({"filename": clean_name(name)}, {"_id": 1}) is not None

    def size(self, name: str) -> int:
        return int(self._require(name)["length"])

    def url(self, name: str | None) -> str:
        if name is None:
            raise ValueError("GridFSStorage.url() needs a file name.")
        base = self.base_url
        return base + ("" if base.endswith("/") else "/") + quote(clean_name(name))

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        prefix = "" if path in ("", ".", "/") else clean_name(path).rstrip("/") + "/"
        names = self.files.distinct("filename", {"filename": {"$regex": "^" + re.escape(prefix)}})
        folders: set[str] = set()
        files: set[str] = set()
        for stored in names:
            rest = stored[len(prefix) :]
            head, separator, _tail = rest.partition("/")
            (folders if separator else files).add(head)
        return sorted(folders), sorted(files)

    def _datetime(self, value: datetime) -> datetime:
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware if settings.USE_TZ else django_timezone.make_naive(aware)

    def get_modified_time(self, name: str) -> datetime:
        return self._datetime(self._require(name)["uploadDate"])

    def get_created_time(self, name: str) -> datetime:
        oldest = self.files.find_one({"filename": clean_name(name)}, sort=[("uploadDate", 1), ("_id", 1)])
        if oldest is None:
            raise FileNotFoundError(f"GridFSStorage: no file named {name!r} in bucket {self.bucket!r}.")
        return self._datetime(oldest["uploadDate"])

    # -- writing -------------------------------------------------------------------------------------

    def delete(self, name: str) -> None:
        """Remove every revision stored under ``name``: file documents first, then their chunks."""
        ids = [document["_id"] for document in self.files.find({"filename": clean_name(name)}, {"_id": 1})]
        if ids:
            self.files.delete_many({"_id": {"$in": ids}})
            self.chunks.delete_many({"files_id": {"$in": ids}})

    def _taken_names(self, folder: str, root: str, short_root: str, ext: str) -> set[str]:
        """One query for the name and every ``root_XXXXXXX.ext`` variant of it."""
        prefix = folder + "/" if folder else ""
        pattern = (
            f"^(?:{re.escape(prefix + root + ext)}|{re.escape(prefix + short_root)}_[A-Za-z0-9]{{7}}{re.escape(ext)})$"
        )
        return {
            document["filename"] for document in self.files.find({"filename": {"$regex": pattern}}, {"filename": 1})
        }

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        """``name`` if free, else ``root_XXXXXXX.ext`` free of every name now stored (one round trip)."""
        name = clean_name(name)
        folder, basename = posixpath.split(name)
        validate_file_name(basename)
        root, ext = posixpath.splitext(basename)
        suffixed_length = len(name) + 8  # "_" and seven random characters
        short_root = root
        if max_length is not None and suffixed_length > max_length:
            short_root = root[: max(len(root) - (suffixed_length - max_length), 0)]
            if not short_root:
                raise SuspiciousFileOperation(
                    f'Storage can not find an available filename for "{name}". Please make sure that the '
                    'corresponding file field allows sufficient "max_length".'
                )
        taken = self._taken_names(folder, root, short_root, ext)
        if name not in taken and (max_length is None or len(name) <= max_length):
            return name
        while True:
            candidate = posixpath.join(folder, f"{short_root}_{get_random_string(7)}{ext}")
            if candidate not in taken:
                return candidate

    def save(self, name: str | None, content: Any, max_length: int | None = None) -> str:
        if name is None:
            name = content.name
        if not hasattr(content, "chunks"):
            content = File(content, name)
        validate_file_name(str(name), allow_relative_path=True)
        name = self.get_available_name(str(name), max_length=max_length)
        return self._store(name, content, max_length)

    def _save(self, name: str, content: Any) -> str:
        return self._store(clean_name(name), content, None)

    def _store(self, name: str, content: Any, max_length: int | None) -> str:
        """Write the chunks, then the file document; on any failure remove the chunks and re-raise."""
        self.ensure_indexes()
        file_id = ObjectId()
        try:
            length, sha256 = self._write_chunks(file_id, content)
            content_type = _content_type(name, content)
            document = {
                "_id": file_id,
                "length": length,
                "chunkSize": self.chunk_size,
                "uploadDate": datetime.now(UTC).replace(microsecond=0),
                "metadata": {"contentType": content_type, "sha256": sha256},
            }
            for _attempt in range(20):
                try:
                    self.files.insert_one({**document, "filename": name})
                    return name
                except DuplicateKeyError:  # another upload took the name meanwhile: pick another
                    name = self.get_available_name(name, max_length=max_length)
            raise FileExistsError(f"GridFSStorage could not find a free name for {name!r}.")
        except BaseException:
            self._discard_chunks(file_id)
            raise

    def _discard_chunks(self, file_id: ObjectId) -> None:
        try:
            self.chunks.delete_many({"files_id": file_id})
        except Exception:  # the server may be the reason we failed; the sweep command finishes the job
            import logging

            logging.getLogger("django_static_pipe").warning(
                "GridFSStorage: could not remove the chunks of failed upload %s; "
                "`manage.py static_pipe_gridfs_sweep` will.",
                file_id,
            )

    def _write_chunks(self, file_id: ObjectId, content: Any) -> tuple[int, str]:
        digest = hashlib.sha256()
        length = 0
        batch: list[dict[str, Any]] = []
        for number, piece in enumerate(_exact_pieces(content, self.chunk_size)):
            digest.update(piece)
            length += len(piece)
            batch.append({"files_id": file_id, "n": number, "data": Binary(piece)})
            if len(batch) * self.chunk_size >= BATCH_BYTES:
                self.chunks.insert_many(batch, ordered=True)
                batch = []
        if batch:
            self.chunks.insert_many(batch, ordered=True)
        return length, digest.hexdigest()


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


def _content_type(name: str, content: IO[Any] | Any) -> str:
    guessed, _encoding = mimetypes.guess_type(name, strict=False)
    declared = getattr(content, "content_type", None)
    return guessed or (declared if isinstance(declared, str) and declared else "application/octet-stream")
