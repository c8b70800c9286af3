"""Locks that hold across threads and processes, so many workers starting cold build a file once."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
import threading
import time
from collections.abc import Iterator

# Longer than any sane build of one asset; a worker stuck past this is better failed than hung.
LOCK_TIMEOUT_SECONDS = 60.0

_thread_locks: dict[str, threading.Lock] = {}
_thread_locks_guard = threading.Lock()


class _Held(threading.local):
    def __init__(self) -> None:
        self.names: set[str] = set()


_held = _Held()


def _thread_lock(name: str) -> threading.Lock:
    with _thread_locks_guard:
        return _thread_locks.setdefault(name, threading.Lock())


def lock_folder() -> str:
    folder = os.path.join(tempfile.gettempdir(), f"django-static-pipe-locks-{os.getuid()}")
    os.makedirs(folder, mode=0o700, exist_ok=True)
    return folder


@contextlib.contextmanager
def exclusive(name: str, timeout: float = LOCK_TIMEOUT_SECONDS) -> Iterator[None]:
    """Hold the lock called ``name`` against other threads of this process and other processes.

    ``flock`` locks are per open file, so a thread lock is taken first: two threads of one process
    would otherwise both get the same process's lock. Waiting ends with :class:`TimeoutError`, so a
    cycle of builds waiting on each other fails instead of hanging a worker forever.
    """
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:32]
    if digest in _held.names:  # re-entrant: a nested build of the same key is caught as a cycle later
        yield
        return
    thread_lock = _thread_lock(digest)
    if not thread_lock.acquire(timeout=timeout):
        raise TimeoutError(f"django-static-pipe: waited {timeout:.0f}s for the lock on {name!r}")
    try:
        path = os.path.join(lock_folder(), digest + ".lock")
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            _flock(fd, name, timeout)
            _held.names.add(digest)
            try:
                yield
            finally:
                _held.names.discard(digest)
        finally:
            os.close(fd)  # closing releases the flock
    finally:
        thread_lock.release()


def _flock(fd: int, name: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"django-static-pipe: waited {timeout:.0f}s for the lock on {name!r}") from None
            time.sleep(0.005)
