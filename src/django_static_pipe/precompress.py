"""Compressed siblings (``.gz``, ``.br``) beside text outputs, for nginx's gzip_static and brotli_static.

The offline build writes them at once, before each output. A render hands them to one background
thread per process, so a cold page never waits for zlib or brotli: until a sibling exists nginx
serves the plain file, and a sibling appears whole (written like every output, see
:func:`writer.write_atomic`) or not at all.
"""

from __future__ import annotations

import collections
import contextlib
import gzip
import logging
import os
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from . import writer

logger = logging.getLogger("django_static_pipe")

# Extensions whose outputs get siblings: text that compresses; images and fonts are already packed.
TEXT_EXTENSIONS = frozenset(
    {".css", ".js", ".mjs", ".svg", ".json", ".xml", ".txt", ".map", ".html", ".htm", ".webmanifest"}
)
#: Bytes waiting for the background thread; past this a render compresses its own siblings (backpressure).
MAX_PENDING_BYTES = 64 * 1024 * 1024
#: The thread starts once nothing was queued for this long (a cold page queues its outputs within a few
#: milliseconds of each other), or at the latest this long after the first waiting output.
QUIET_SECONDS = 0.05
MAX_DELAY_SECONDS = 1.0
#: How often the waiting thread looks at the clock and at the main thread; how long it stays idle.
WAKE_SECONDS = 0.1
IDLE_SECONDS = 60.0


def gzip_bytes(data: bytes) -> bytes:
    """Deterministic gzip: no file name, mtime 0, so every server writes the same bytes."""
    return gzip.compress(data, compresslevel=9, mtime=0)


def brotli_bytes(data: bytes) -> bytes:
    import brotli  # optional extra; the system check refuses 'br' without it

    return brotli.compress(data, quality=11)  # type: ignore[no-any-return]


def wants_siblings(path: str) -> bool:
    return os.path.splitext(path)[1].lower() in TEXT_EXTENSIONS


def compressed_siblings(data: bytes, kinds: Iterable[str]) -> dict[str, bytes]:
    """``{".gz": …, ".br": …}`` for the configured kinds."""
    encoders = {"gzip": gzip_bytes, "br": brotli_bytes}
    return {writer.SIBLING_SUFFIXES[kind]: encoders[kind](data) for kind in kinds}


def write_siblings(path: str, data: bytes | None, kinds: Iterable[str], *, read_from: str | None = None) -> None:
    """Write the siblings of ``path`` now; ``data`` None: read them from ``read_from`` (default: ``path``)."""
    if data is None:
        with open(read_from or path, "rb") as handle:
            data = handle.read()
    for suffix, packed in compressed_siblings(data, kinds).items():
        writer.write_atomic(path + suffix, packed)


def missing_siblings(path: str, kinds: Iterable[str]) -> list[str]:
    """The kinds whose sibling of ``path`` is not on disk (the offline build makes them)."""
    return [kind for kind in kinds if not os.path.exists(path + writer.SIBLING_SUFFIXES[kind])]


@dataclass(frozen=True)
class _Job:
    path: str
    data: bytes | None
    kinds: tuple[str, ...]
    output: tuple[int, int]  # (st_dev, st_ino) of the output the siblings belong to

    @property
    def weight(self) -> int:
        return len(self.data) if self.data is not None else 0


class _Worker:
    """One thread per process that writes queued siblings in order.

    It starts compressing only once no output has been queued for :data:`QUIET_SECONDS`: run beside
    the render that queues them, it would take the GIL (and, on a busy machine, the core) from that
    render, which would then take as long as compressing in place. The thread is started once and
    kept (starting one waits for the new thread to be scheduled, in the middle of a render); it ends
    after :data:`IDLE_SECONDS` without work, or when the main thread has ended and the queue is
    written: it is not a daemon, so a process that exits normally leaves no sibling unwritten. A
    forked child starts with an empty queue and no thread (its parent writes its own siblings).
    """

    def __init__(self) -> None:
        self.guard = threading.Condition()
        self.jobs: collections.deque[_Job] = collections.deque()
        self.pending_bytes = 0
        self.running = False  # the thread exists
        self.busy = False  # it is writing a job
        self.synchronous = 0
        self.last_queued = 0.0
        self.first_queued = 0.0
        self.hurry = False

    def submit(self, job: _Job) -> bool:
        """Queue ``job``; False when the queue is full (the caller writes the siblings itself)."""
        with self.guard:
            if self.pending_bytes + job.weight > MAX_PENDING_BYTES:
                return False
            self.last_queued = time.monotonic()
            if not self.jobs:
                self.first_queued = self.last_queued
            self.jobs.append(job)
            self.pending_bytes += job.weight
            if not self.running:
                self.running = True
                threading.Thread(target=self._work, name="static-pipe-precompress").start()
        return True

    def _ready(self) -> bool:
        """True when the queued jobs should be written now."""
        if not self.jobs:
            return False
        now = time.monotonic()
        return (
            self.hurry
            or now - self.last_queued >= QUIET_SECONDS
            or now - self.first_queued >= MAX_DELAY_SECONDS
            or not threading.main_thread().is_alive()
        )

    def _next(self) -> _Job | None:
        """The next job to write, once it is time; None when the thread should end."""
        idle_since = time.monotonic()
        with self.guard:
            self.busy = False
            while not self._ready():
                if not self.jobs:
                    self.hurry = False
                    self.guard.notify_all()  # idle: whoever waits for that may go on
                    if not threading.main_thread().is_alive() or time.monotonic() - idle_since >= IDLE_SECONDS:
                        self.running = False
                        return None
                self.guard.wait(WAKE_SECONDS)
            self.busy = True
            return self.jobs[0]

    def _work(self) -> None:
        while (job := self._next()) is not None:
            try:
                _write_later(job)
            except Exception as exc:  # a full disk, a folder removed: nginx goes on serving the plain file
                logger.warning("django-static-pipe: could not write the compressed siblings of %s: %s", job.path, exc)
            finally:
                with self.guard:
                    self.jobs.popleft()
                    self.pending_bytes -= job.weight

    def wait_idle(self, timeout: float) -> bool:
        with self.guard:
            self.hurry = bool(self.jobs)  # someone waits: no reason to wait for quiet any more
            self.guard.notify_all()
            return self.guard.wait_for(lambda: not self.jobs and not self.busy, timeout)


_worker = _Worker()


def _after_fork_in_child() -> None:
    global _worker
    synchronous = _worker.synchronous
    _worker = _Worker()  # the parent's thread and lock did not come along
    _worker.synchronous = synchronous


os.register_at_fork(after_in_child=_after_fork_in_child)


def _identity(path: str) -> tuple[int, int] | None:
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return (info.st_dev, info.st_ino)


def _write_later(job: _Job) -> None:
    """Siblings for an output that is still the one they were queued for (not removed or replaced)."""
    if _identity(job.path) != job.output:
        return
    write_siblings(job.path, job.data, job.kinds)
    if _identity(job.path) is None:  # removed while we wrote: take its siblings away too
        for suffix in writer.SIBLING_SUFFIXES.values():
            with contextlib.suppress(OSError):
                os.unlink(job.path + suffix)


def write_output(
    path: str, data: bytes | None, *, link_to: str | None, kinds: Iterable[str], hard_link: bool = True
) -> None:
    """Write an output (``link_to``: a link to that source, see :func:`writer.link_atomic`; a symlink
    unless ``hard_link``) with its compressed siblings.

    Synchronously (the offline build) the siblings come first, so the output is complete with them the
    moment it appears; otherwise the output is written now and its siblings queued for the thread.
    """
    kinds = tuple(kinds)
    siblings = bool(kinds) and wants_siblings(path)
    if siblings and _worker.synchronous:
        write_siblings(path, data, kinds, read_from=link_to)
    if link_to is not None:
        (writer.link_atomic if hard_link else writer.symlink_atomic)(link_to, path)
    else:
        assert data is not None
        writer.write_atomic(path, data)
    if siblings and not _worker.synchronous:
        identity = _identity(path)
        if identity is None or not _worker.submit(_Job(path, data, kinds, identity)):
            write_siblings(path, data, kinds)


@contextlib.contextmanager
def synchronous() -> Iterator[None]:
    """Within this block siblings are written before their outputs, in the calling thread (the offline
    build: a deploy must not finish before its siblings exist)."""
    _worker.synchronous += 1
    try:
        yield
    finally:
        _worker.synchronous -= 1


def wait_idle(timeout: float = 30.0) -> bool:
    """Block until every queued sibling is written; False on timeout (for tests, benchmarks, scripts)."""
    return _worker.wait_idle(timeout)
