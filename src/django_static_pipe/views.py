"""Serving user media from GridFS: streamed, cacheable, resumable, and safe to open in a browser."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured, SuspiciousFileOperation
from django.core.files.storage import storages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import content_disposition_header, http_date
from django.views.decorators.http import require_safe

from .conf import pipe_settings
from .http_ranges import parse_range

if TYPE_CHECKING:
    from .backends.gridfs import GridFSStorage
    from .backends.gridfs_file import GridFSFile

logger = logging.getLogger("django_static_pipe")

#: Served inline: types a browser displays but does not run.
INLINE_TYPES = frozenset(
    {
        "image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/bmp", "image/x-icon",
        "image/vnd.microsoft.icon", "audio/mpeg", "audio/ogg", "audio/wav", "audio/webm", "audio/flac",
        "video/mp4", "video/webm", "video/ogg", "application/pdf", "text/plain", "text/csv",
        "font/woff", "font/woff2", "font/ttf", "font/otf",
    }
)  # fmt: skip
#: Allowed, but always as a download: a browser would run or render these with the site's privileges.
ATTACHMENT_TYPES = frozenset(
    {
        "text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml",
        "text/javascript", "application/javascript", "application/json", "text/css", "application/zip",
        "application/gzip", "application/x-tar", "application/octet-stream",
    }
)  # fmt: skip
UNKNOWN_TYPE = "application/octet-stream"
RETRY_AFTER_SECONDS = 5


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


def _served_type(stored: str) -> tuple[str, bool]:
    """The Content-Type to send and whether to send it as an attachment."""
    base = stored.split(";", 1)[0].strip().lower()
    if base in INLINE_TYPES:
        return stored if base.startswith("text/") else base, False
    if base in ATTACHMENT_TYPES:
        return base, True
    return UNKNOWN_TYPE, True


def _unavailable(exc: Exception) -> HttpResponse:
    logger.error("django-static-pipe: MongoDB is unavailable: %s", exc)
    response = HttpResponse("Media storage is unavailable; try again shortly.\n", status=503, content_type="text/plain")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _stream(opened: GridFSFile, start: int, end: int) -> Iterator[bytes]:
    """Yield the range, closing the GridFS stream however the response ends (a client that goes
    away closes the response, which closes this generator)."""
    try:
        yield from opened.iter_range(start, end)
    finally:
        opened.close()


@require_safe
def serve_gridfs(request: HttpRequest, name: str) -> HttpResponseBase:
    """Serve ``name`` from GridFS with ETag, Last-Modified, Range and conditional requests."""
    from pymongo.errors import PyMongoError

    storage = media_storage()
    try:
        opened = storage.open(name)
    except (SuspiciousFileOperation, FileNotFoundError, ValueError) as exc:
        raise Http404("No such file.") from exc
    except PyMongoError as exc:
        return _unavailable(exc)
    keep_open = False
    try:
        etag = f'"{opened.sha256 or opened.document["_id"]}"'
        last_modified = int(opened.upload_date.timestamp())
        response: HttpResponseBase | None = get_conditional_response(request, etag=etag, last_modified=last_modified)
        if response is None:
            response, keep_open = _full_or_partial(request, opened, etag, last_modified)
        headers = {
            "ETag": etag,
            "Last-Modified": http_date(last_modified),
            "Cache-Control": storage.cache_control,
            "X-Content-Type-Options": "nosniff",
        }
        for header, value in headers.items():
            response.headers.setdefault(header, value)
        return response
    finally:
        if not keep_open:
            opened.close()


def _full_or_partial(
    request: HttpRequest, opened: GridFSFile, etag: str, last_modified: int
) -> tuple[HttpResponseBase, bool]:
    size = opened.size
    content_type, attachment = _served_type(opened.content_type)
    wanted = parse_range(request.headers.get("Range"), size, request.headers.get("If-Range"), etag, last_modified)
    response: HttpResponseBase
    if wanted == "unsatisfiable":
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response, False
    start, end = wanted if wanted else (0, size - 1)
    if request.method == "HEAD" or size == 0:
        response = HttpResponse(status=206 if wanted else 200, content_type=content_type)
        keep_open = False
    else:
        response = StreamingHttpResponse(
            _stream(opened, start, end), status=206 if wanted else 200, content_type=content_type
        )
        keep_open = True
    response["Content-Length"] = str(end - start + 1 if size else 0)
    response["Accept-Ranges"] = "bytes"
    if wanted:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    if attachment:
        filename = str(opened.name).rsplit("/", 1)[-1]
        response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response, keep_open
