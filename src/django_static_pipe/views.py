"""Serving user media from GridFS: streamed, cacheable, resumable, and safe to open in a browser.

What a cache in front (nginx's ``proxy_cache``, a CDN) may rely on, status by status:

- ``200``, ``206`` and ``304`` carry the storage's ``Cache-Control`` as configured (never made more
  public), a strong ``ETag`` (the content's SHA-256, or the revision's ``_id`` for files written by
  other GridFS tools), ``Last-Modified`` (a weak validator: ``If-Range`` with a date gets the whole
  file), ``X-Content-Type-Options: nosniff`` and, but for PDFs, a sandboxing
  ``Content-Security-Policy``. A body that turns out damaged part-way is cut off, never completed.
- Every other status (``404``, ``405``, ``412``, ``416``, ``503``) carries ``Cache-Control: no-store``;
  ``503`` (MongoDB away, or chunks missing before the first byte) adds ``Retry-After``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured, SuspiciousFileOperation
from django.core.files.storage import storages
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import content_disposition_header, http_date

from .conf import pipe_settings
from .http_ranges import parse_range
from .media_stream import AsyncBody, primed_body
from .media_types import ServedType, served

if TYPE_CHECKING:
    from .backends.gridfs import GridFSStorage
    from .backends.gridfs_file import GridFSFile

logger = logging.getLogger("django_static_pipe")

RETRY_AFTER_SECONDS = 5
NOT_STORED = "no-store"
CACHEABLE_STATUSES = frozenset({200, 206, 304})


def media_storage() -> GridFSStorage:
    """The storage named by ``DJANGO_STATIC_GRIDFS_STORAGE``; it must be a GridFSStorage."""
    from .backends.gridfs import GridFSStorage

    alias = pipe_settings.gridfs_storage_alias
    storage = storages[alias]
    if not isinstance(storage, GridFSStorage):
        raise ImproperlyConfigured(
            f"DJANGO_STATIC_GRIDFS_STORAGE = {alias!r} names a {type(storage).__name__}, not a GridFSStorage."
        )
    return storage


def _error(status: int, text: str) -> HttpResponse:
    response = HttpResponse(text + "\n" if text else "", status=status, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = NOT_STORED
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _not_found() -> HttpResponse:
    return _error(404, "No such file.")


def _unavailable(reason: str, exc: Exception) -> HttpResponse:
    logger.error("django-static-pipe: %s: %s", reason, exc)
    response = _error(503, "Media storage is unavailable; try again shortly.")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def serve_gridfs(request: HttpRequest, name: str) -> HttpResponseBase:
    """Serve ``name`` from GridFS with ETag, Last-Modified, Range and conditional requests."""
    from pymongo.errors import PyMongoError

    from .backends.gridfs_document import CorruptFileError
    from .backends.gridfs_names import clean_name

    if request.method not in ("GET", "HEAD"):
        refused = _error(405, "Only GET and HEAD.")
        refused["Allow"] = "GET, HEAD"
        return refused
    storage = media_storage()
    try:
        if clean_name(name) != name:  # one URL per file: no second spelling to fill a cache with
            return _not_found()
        opened = storage.open(name)
    except (SuspiciousFileOperation, FileNotFoundError):
        return _not_found()
    except CorruptFileError as exc:  # the document itself is not a valid file: nothing to retry
        logger.error("django-static-pipe: GridFS file %r cannot be served: %s", name, exc)
        return _not_found()
    except PyMongoError as exc:
        return _unavailable("MongoDB is unavailable", exc)
    body_owns_file = False
    try:
        answer, body_owns_file = _respond(request, storage, opened)
        return answer
    except CorruptFileError as exc:
        return _unavailable(f"GridFS file {name!r} cannot be served", exc)
    except PyMongoError as exc:
        return _unavailable("MongoDB is unavailable", exc)
    finally:
        if not body_owns_file:
            opened.close()


def _respond(request: HttpRequest, storage: GridFSStorage, opened: GridFSFile) -> tuple[HttpResponseBase, bool]:
    checked = opened.checked
    kind = served(checked.content_type)
    last_modified = int(checked.upload_date.timestamp())
    response: HttpResponseBase | None = get_conditional_response(
        request, etag=checked.etag, last_modified=last_modified
    )
    body_owns_file = False
    if response is None:
        response, body_owns_file = _full_or_partial(request, opened, kind)
    if response.status_code in CACHEABLE_STATUSES:
        response["ETag"] = checked.etag
        response["Last-Modified"] = http_date(last_modified)
        response["Cache-Control"] = storage.cache_control
        if kind.policy:
            response["Content-Security-Policy"] = kind.policy
    else:  # 412 from If-Match / If-Unmodified-Since, 416
        response["Cache-Control"] = NOT_STORED
    response["X-Content-Type-Options"] = "nosniff"
    return response, body_owns_file


def _full_or_partial(request: HttpRequest, opened: GridFSFile, kind: ServedType) -> tuple[HttpResponseBase, bool]:
    size = opened.size
    etag = opened.checked.etag
    wanted = parse_range(request.headers.get("Range"), size, request.headers.get("If-Range"), etag)
    response: HttpResponseBase
    if wanted == "unsatisfiable":
        refused = _error(416, "")
        refused["Content-Range"] = f"bytes */{size}"
        return refused, False
    start, end = wanted if wanted else (0, size - 1)
    status = 206 if wanted else 200
    body_owns_file = False
    if request.method == "HEAD" or size == 0:
        response = HttpResponse(status=status, content_type=kind.content_type)
    else:
        body = primed_body(opened, start, end, sha256=None if wanted else opened.checked.sha256)
        body_owns_file = True
        streamed = AsyncBody(body) if isinstance(request, ASGIRequest) else body
        response = StreamingHttpResponse(streamed, status=status, content_type=kind.content_type)
    response["Content-Length"] = str(end - start + 1 if size else 0)
    response["Accept-Ranges"] = "bytes"
    if wanted:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    if not kind.inline:
        filename = str(opened.name).rsplit("/", 1)[-1]
        response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response, body_owns_file
