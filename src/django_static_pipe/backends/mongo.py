"""MongoDB clients: created lazily, one per process and URI, and never shared across a fork.

pymongo's clients are thread-safe but not fork-safe; a pre-forking server (gunicorn) that imported
the storage before forking gets a fresh client in each worker.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured

try:
    import pymongo
except ImportError as exc:  # pragma: no cover - exercised only without the extra installed
    raise ImproperlyConfigured(
        "django-static-pipe's GridFS storage needs pymongo: pip install django-static-pipe[gridfs]"
    ) from exc

if TYPE_CHECKING:
    from pymongo import MongoClient

_clients: dict[tuple[int, str, int, int], MongoClient[Any]] = {}
_guard = threading.Lock()


def get_client(uri: str, *, selection_timeout_ms: int, socket_timeout_ms: int) -> MongoClient[Any]:
    """The process's client for ``uri``; created on first use, again after a fork."""
    key = (os.getpid(), uri, selection_timeout_ms, socket_timeout_ms)
    client = _clients.get(key)
    if client is not None:
        return client
    with _guard:
        client = _clients.get(key)
        if client is None:
            client = pymongo.MongoClient(
                uri,
                serverSelectionTimeoutMS=selection_timeout_ms,
                connectTimeoutMS=selection_timeout_ms,
                socketTimeoutMS=socket_timeout_ms,
                tz_aware=True,
                appname="django-static-pipe",
                connect=False,
            )
            _clients[key] = client
    return client


def _forget_after_fork() -> None:
    # The parent's clients hold sockets and threads that do not survive a fork; drop them unclosed.
    _clients.clear()


os.register_at_fork(after_in_child=_forget_after_fork)


def close_clients() -> None:
    """Close every client of this process (tests, and management commands that end)."""
    with _guard:
        for key, client in list(_clients.items()):
            if key[0] == os.getpid():
                client.close()
        _clients.clear()
