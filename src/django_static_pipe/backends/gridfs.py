"""A Django storage that keeps files in MongoDB GridFS.

``STORAGES = {"default": {"BACKEND": "django_static_pipe.backends.gridfs.GridFSStorage",
"OPTIONS": {"uri": "mongodb://localhost:27017", "database": "media"}}}``

Files are written in the standard GridFS layout (``<bucket>.files`` and ``<bucket>.chunks``), so
any GridFS tool reads them and may write revisions into the same bucket; the newest revision of a
name is the one served, as ``GridFSBucket.open_download_stream_by_name`` does. Our own saves never
add a revision: each claims a name no one has used before in the bucket's name registry (see
:mod:`.gridfs_names`), and a deleted name stays claimed as a tombstone. How one file is written so
that no reader sees it broken is in :mod:`.gridfs_upload`.
"""

from __future__ import annotations

import contextlib
import mimetypes
import posixpath
import re
import threading
from datetime import UTC, datetime
from typing import IO, Any
from urllib.parse import quote

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
from ..media_types import normalise
from .gridfs_document import FileDocument, check_document
from .gridfs_file import GridFSFile
from .gridfs_names import REGISTRY_SUFFIX, NameRegistry, clean_name, variants_pattern
from .gridfs_options import OPTIONS
from .gridfs_upload import Upload
from .mongo import get_client

__all__ = ["GridFSStorage", "clean_name"]

#: The unique index on ``filename`` that earlier versions created: it breaks every writer of revisions.
LEGACY_UNIQUE_NAME_INDEX = "static_pipe_filename_unique"
RESERVE_ATTEMPTS = 20

_indexed: set[tuple[int, str, str, str]] = set()
_indexed_guard = threading.Lock()


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

    @property
    def registry(self) -> NameRegistry:
        return NameRegistry(self._database()[f"{self.bucket}.{REGISTRY_SUFFIX}"])

    @property
    def max_upload_seconds(self) -> float:
        """No upload sends a write after this many seconds (what lets the sweep know one is over)."""
        return float(self.option("max_upload_seconds"))

    @property
    def sweep_floor_seconds(self) -> float:
        """The shortest age at which chunks without a file can be an upload that is certainly over."""
        return self.max_upload_seconds + int(self.option("socket_timeout_ms")) / 1000

    def ensure_indexes(self) -> None:
        """Create the GridFS indexes once per process and bucket; drop the unique name index of old versions.

        GridFS allows several revisions of a name, so a unique index on ``filename`` makes other
        writers fail (and cannot be built on a bucket that holds revisions).
        """
        database = self._database()
        key = (id(database.client), database.name, self.bucket, str(self.option("uri")))
        if key in _indexed:
            return
        with _indexed_guard:
            if key in _indexed:
                return
            self.chunks.create_index([("files_id", 1), ("n", 1)], unique=True)
            self.files.create_index([("filename", 1), ("uploadDate", 1)])
            if LEGACY_UNIQUE_NAME_INDEX in self.files.index_information():
                with contextlib.suppress(OperationFailure):  # another process dropped it first
                    self.files.drop_index(LEGACY_UNIQUE_NAME_INDEX)
            _indexed.add(key)

    # -- reading -------------------------------------------------------------------------------------

    def file_document(self, name: str) -> dict[str, Any] | None:
        """The newest revision's file document stored under ``name``, or None (as GridFS readers choose it)."""
        document: dict[str, Any] | None = self.files.find_one(
            {"filename": clean_name(name)}, sort=[("uploadDate", -1), ("_id", -1)]
        )
        return document

    def _require(self, name: str) -> dict[str, Any]:
        document = self.file_document(name)
        if document is None:
            raise FileNotFoundError(f"GridFSStorage: no file named {name!r} in bucket {self.bucket!r}.")
        return document

    def _checked(self, name: str) -> FileDocument:
        return check_document(self._require(name))

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
        return self._checked(name).length

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
        return self._datetime(self._checked(name).upload_date)

    def get_created_time(self, name: str) -> datetime:
        oldest = self.files.find_one({"filename": clean_name(name)}, sort=[("uploadDate", 1), ("_id", 1)])
        if oldest is None:
            raise FileNotFoundError(f"GridFSStorage: no file named {name!r} in bucket {self.bucket!r}.")
        return self._datetime(check_document(oldest).upload_date)

    # -- writing -------------------------------------------------------------------------------------

    def delete(self, name: str) -> None:
        """Remove every revision of ``name`` (documents first, then chunks) and keep the name as a tombstone.

        The tombstone comes first: if the rest fails, the name is still never handed out again.
        """
        name = clean_name(name)
        self.registry.bury(name)
        ids = [document["_id"] for document in self.files.find({"filename": name}, {"_id": 1})]
        if ids:
            self.files.delete_many({"_id": {"$in": ids}})
            self.chunks.delete_many({"files_id": {"$in": ids}})

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        """``name`` if free, else ``root_XXXXXXX.ext``: free of every stored name and every name this storage
        ever handed out, deleted ones included (two queries, however many variants are taken)."""
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
        pattern = variants_pattern(folder, root, short_root, ext)
        taken = self.registry.taken(pattern)
        stored = self.files.find({"filename": {"$regex": pattern}}, {"filename": 1})
        taken |= {document["filename"] for document in stored}
        if name not in taken and (max_length is None or len(name) <= max_length):
            return name
        while True:
            candidate = posixpath.join(folder, f"{short_root}_{get_random_string(7)}{ext}")
            if candidate not in taken:
                return candidate

    def save(self, name: str | None, content: Any, max_length: int | None = None) -> str:
        if name is None:
            name = getattr(content, "name", None)
        if not isinstance(name, str):
            raise TypeError(
                f"GridFSStorage.save() needs a file name: got {name!r} and content without a name of its own."
            )
        if not hasattr(content, "chunks"):
            content = File(content, name)
        validate_file_name(name, allow_relative_path=True)
        name = self.get_available_name(name, max_length=max_length)
        return self._store(name, content, max_length)

    def _save(self, name: str, content: Any) -> str:
        return self._store(clean_name(name), content, None)

    def _store(self, name: str, content: Any, max_length: int | None) -> str:
        """Claim a name no one ever had, then write the file (see :mod:`.gridfs_upload`)."""
        self.ensure_indexes()
        upload = Upload(
            files=self.files,
            chunks=self.chunks,
            registry=self.registry,
            chunk_size=self.chunk_size,
            max_seconds=self.max_upload_seconds,
        )
        for _attempt in range(RESERVE_ATTEMPTS):
            try:
                upload.registry.reserve(name, upload.file_id)
                break
            except DuplicateKeyError:  # another upload took the name meanwhile: pick another
                name = self.get_available_name(name, max_length=max_length)
        else:
            raise FileExistsError(f"GridFSStorage could not find a free name for {name!r}.")
        upload.run(name, content, _content_type(name, content))
        return name


def _content_type(name: str, content: IO[Any] | Any) -> str:
    """The type guessed from the name, else the one the upload declared, checked and normalised."""
    guessed, _encoding = mimetypes.guess_type(name, strict=False)
    return normalise(guessed or getattr(content, "content_type", None))
