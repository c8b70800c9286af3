"""GridFSStorage's options and their ``DJANGO_STATIC_GRIDFS`` fallbacks (no pymongo import here)."""

from __future__ import annotations

from typing import Any

DEFAULT_CHUNK_SIZE = 255 * 1024  # the GridFS default: four chunks fit a 1 MB batch with room to spare
#: Six hours moves tens of gigabytes even at a few MB/s; the sweep waits at least this long.
DEFAULT_MAX_UPLOAD_SECONDS = 6 * 3600

#: OPTIONS key → (DJANGO_STATIC_GRIDFS key, default)
OPTIONS: dict[str, tuple[str, Any]] = {
    "uri": ("URI", None),
    "database": ("DATABASE", None),
    "bucket": ("BUCKET", "fs"),
    "base_url": ("BASE_URL", None),
    "chunk_size_bytes": ("CHUNK_SIZE_BYTES", DEFAULT_CHUNK_SIZE),
    "server_selection_timeout_ms": ("SERVER_SELECTION_TIMEOUT_MS", 2000),
    "socket_timeout_ms": ("SOCKET_TIMEOUT_MS", 20000),
    "cache_control": ("CACHE_CONTROL", "public, max-age=86400"),
    "max_upload_seconds": ("MAX_UPLOAD_SECONDS", DEFAULT_MAX_UPLOAD_SECONDS),
}
SETTING_KEYS = {setting_key for setting_key, _default in OPTIONS.values()}
