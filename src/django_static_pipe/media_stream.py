"""The body of a GridFS media response: checked as it goes, primed before the status is sent, async for ASGI.

The first piece is read before the response is built, so a file whose chunks are missing or damaged
gets an error status instead of a ``200`` that dies at once. A whole-file body is hashed on the way
and its last piece is held back unless the digest matches the stored one: a body with a wrong byte
never completes, so neither the client nor a cache in front keeps it. Under ASGI the body is an
async iterator whose every read runs in the request's own thread (Django would otherwise read a synchronous
iterator to the end, into memory, before sending a byte).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING

from asgiref.sync import sync_to_async

from .backends.gridfs_document import CorruptFileError

if TYPE_CHECKING:
    from .backends.gridfs_file import GridFSFile

logger = logging.getLogger("django_static_pipe")


def _checked_pieces(opened: GridFSFile, start: int, end: int, sha256: str | None) -> Generator[bytes]:
    digest = hashlib.sha256() if sha256 else None
    total = end - start + 1
    sent = 0
    started = False
    try:
        for piece in opened.iter_range(start, end):
            sent += len(piece)
            if digest is not None:
                digest.update(piece)
                if sent == total and digest.hexdigest() != sha256:
                    raise CorruptFileError(
                        f"GridFS file {opened.checked.id!r} ({opened.name!r}) does not match its stored sha256."
                    )
            yield piece
            started = True
    except CorruptFileError as exc:
        if started:  # before the first byte, the view answers with an error status and logs it there
            logger.error("django-static-pipe: stopped serving a corrupt GridFS file part-way: %s", exc)
        raise
    finally:
        opened.close()


class _Primed:
    """The first piece, already read, then the rest; ``close()`` closes the rest even if never iterated."""

    def __init__(self, first: bytes, rest: Generator[bytes]) -> None:
        self._first: bytes | None = first
        self._rest = rest

    def __iter__(self) -> _Primed:
        return self

    def __next__(self) -> bytes:
        if self._first is not None:
            first, self._first = self._first, None
            return first
        return next(self._rest)

    def close(self) -> None:
        self._first = None
        self._rest.close()


def primed_body(opened: GridFSFile, start: int, end: int, *, sha256: str | None) -> Iterator[bytes]:
    """Bytes ``start``..``end`` of ``opened`` (which it closes), the first piece already read.

    Raises :class:`CorruptFileError` or pymongo's errors from that first read; ``sha256``, for a
    whole-file body, is checked before the last piece is let out.
    """
    pieces = _checked_pieces(opened, start, end, sha256)
    try:
        first = next(pieces)
    except BaseException:
        pieces.close()
        raise
    return _Primed(first, pieces)


class AsyncBody:
    """A synchronous body handed to an ASGI server one piece at a time, each read in the request's thread.

    ``close()`` (which Django calls when the response ends, also when the client went away) waits for
    a read in flight, so the stream is never closed under a running read.
    """

    def __init__(self, pieces: Iterator[bytes]) -> None:
        self._pieces = pieces
        self._lock = threading.Lock()
        self._closed = False

    def __aiter__(self) -> AsyncBody:
        return self

    async def __anext__(self) -> bytes:
        # Thread-sensitive: Django's ASGI handler gives each request its own thread for these, the one
        # that ran the view, so one response's reads stay on one thread and requests never queue.
        piece = await sync_to_async(self._next, thread_sensitive=True)()
        if piece is None:
            raise StopAsyncIteration
        return piece

    def _next(self) -> bytes | None:
        with self._lock:
            return None if self._closed else next(self._pieces, None)

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                close = getattr(self._pieces, "close", None)
                if close is not None:
                    close()
