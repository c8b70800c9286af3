"""Locks that hold across threads and processes, so many workers starting cold build a file once.

Locks live in ``.static-pipe-locks/`` inside the save folder (``DJANGO_STATIC_SAVE_PREFIX``), which
belongs to the site; without a save folder, in ``$TMPDIR/django-static-pipe-locks-<uid>``, used only
when it is a real folder owned by this user that nobody else can write to. On Linux a lock is one byte
of the folder's one ``slots`` file, at an offset taken from the lock's name (an open file description
lock): taking it creates no file, where a new file costs about as much as writing a small output. Where
those locks do not exist, a lock is a file of its own, removed when the lock is released. Either way,
names from requests leave nothing behind.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import logging
import os
import stat
import struct
import tempfile
import threading
import time
from collections.abc import Callable, Iterator

from .conf import pipe_settings
from .exceptions import StaticPipeError

logger = logging.getLogger("django_static_pipe")

# Longer than any sane build of one asset; a worker stuck past this is better failed than hung.
LOCK_TIMEOUT_SECONDS = 60.0
# A build inside another build (an image in CSS, an imported module) waits this long, then goes on
# without the lock: two processes entering an import cycle from opposite ends would otherwise wait
# for each other. Building without the lock is safe (files appear whole, outputs are deterministic);
# it only costs the work twice.
NESTED_LOCK_TIMEOUT_SECONDS = 5.0
LOCK_FOLDER_NAME = ".static-pipe-locks"
SLOTS_FILE = "slots"
#: Linux's open file description locks (None elsewhere: a lock file per name then).
_OFD_SETLK: int | None = getattr(fcntl, "F_OFD_SETLK", None)
#: Whether this process uses them; cleared when the kernel refuses them (older than Linux 3.15, or an
#: emulation without them), so a lock file per name is used from then on.
_byte_locks = _OFD_SETLK is not None
_NO_BYTE_LOCKS = frozenset({errno.EINVAL, errno.ENOSYS, errno.ENOLCK, errno.EOPNOTSUPP})

_thread_locks: dict[str, threading.Lock] = {}
_thread_locks_guard = threading.Lock()
#: Descriptors of the lock files this process holds locks through (see _after_fork_in_child).
_held_fds: set[int] = set()


class LockFolderError(StaticPipeError, PermissionError):
    """The lock folder exists but another user could hold (or remove) our locks there."""


class _Held(threading.local):
    def __init__(self) -> None:
        self.names: set[str] = set()


_held = _Held()
_checked_folders: set[str] = set()


def _thread_lock(name: str) -> threading.Lock:
    with _thread_locks_guard:
        return _thread_locks.setdefault(name, threading.Lock())


def _verified(folder: str) -> str:
    """``folder``, created 0700 if missing; refused when it is not a folder of ours closed to others."""
    if folder in _checked_folders:
        return folder
    with contextlib.suppress(FileExistsError):
        os.mkdir(folder, 0o700)
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o022:
        raise LockFolderError(
            f"django-static-pipe: the lock folder {folder} is not safe to use: it must be a folder owned by "
            f"uid {os.getuid()} that no one else can write to (found uid {info.st_uid}, mode "
            f"{stat.filemode(info.st_mode)}). Another user could hold or remove the build locks there. "
            "Set DJANGO_STATIC_SAVE_PREFIX (locks then live inside it), or remove that folder."
        )
    _checked_folders.add(folder)
    return folder


def lock_folder() -> str:
    save = pipe_settings.save_prefix
    if save:
        folder = os.path.join(save, LOCK_FOLDER_NAME)
        if folder not in _checked_folders:  # once verified, a folder removed since is made again by _lock_file
            os.makedirs(save, exist_ok=True)
        return _verified(folder)
    return _verified(os.path.join(tempfile.gettempdir(), f"django-static-pipe-locks-{os.getuid()}"))


@contextlib.contextmanager
def exclusive(name: str, timeout: float = LOCK_TIMEOUT_SECONDS, *, nested: bool = False) -> Iterator[None]:
    """Hold the lock called ``name`` against other threads of this process and other processes.

    ``flock`` locks are per open file, so a thread lock is taken first: two threads of one process
    would otherwise both get the same process's lock. Waiting ends with :class:`TimeoutError`, so a
    cycle of builds waiting on each other fails instead of hanging a worker forever; a ``nested`` lock
    (see :data:`NESTED_LOCK_TIMEOUT_SECONDS`) goes on without it instead.
    """
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:32]
    if digest in _held.names:  # re-entrant: a nested build of the same key is caught as a cycle later
        yield
        return
    if nested:
        timeout = min(timeout, NESTED_LOCK_TIMEOUT_SECONDS)
    thread_lock = _thread_lock(digest)
    if not thread_lock.acquire(timeout=timeout):
        if nested:
            logger.info("django-static-pipe: went on without the lock on %r after %.0fs", name, timeout)
            yield
            return
        raise TimeoutError(f"django-static-pipe: waited {timeout:.0f}s for the lock on {name!r}")
    try:
        fd, path, slot = _acquire(digest, name, timeout, nested=nested)
        if fd is None:  # nested, and another process kept it too long
            yield
            return
        _held.names.add(digest)
        with _thread_locks_guard:
            _held_fds.add(fd)
        try:
            yield
        finally:
            _held.names.discard(digest)
            if not slot:
                # Removed while still held: whoever opened this file meanwhile finds it gone after they
                # get the lock and tries again with a new one (see _lock_file).
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
            with _thread_locks_guard:
                _held_fds.discard(fd)
            os.close(fd)  # closing releases the lock
    finally:
        thread_lock.release()


def _acquire(digest: str, name: str, timeout: float, *, nested: bool) -> tuple[int | None, str, bool]:
    """``(descriptor or None, lock file, whether it is the slots file)`` for the lock called ``name``."""
    global _byte_locks
    folder = lock_folder()
    if _byte_locks:
        path = os.path.join(folder, SLOTS_FILE)
        try:
            return _lock_file(path, name, timeout, _slot_taker(digest), nested=nested), path, True
        except OSError as exc:
            if exc.errno not in _NO_BYTE_LOCKS:
                raise
            _byte_locks = False
            logger.info("django-static-pipe: byte locks refused (%s); a lock file per name from now on.", exc)
    path = os.path.join(folder, digest + ".lock")
    return _lock_file(path, name, timeout, _flock, nested=nested), path, False


def _after_fork_in_child() -> None:
    """A forked child shares its parent's open lock files, and with them the locks (both kinds belong
    to the open file, not to a process): it lets go of its copies, so a lock the parent releases is
    free while the child lives on. Each descriptor is pointed at /dev/null rather than closed, so the
    code that held it may still close it. The thread locks are new ones (their holders did not come
    along), and the child holds no lock, not even one its parent's forking thread held.
    """
    global _thread_locks_guard, _thread_locks
    _thread_locks_guard = threading.Lock()
    _thread_locks = {}
    _held.names = set()
    if _held_fds:
        null = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
        for fd in _held_fds:
            with contextlib.suppress(OSError):
                os.dup2(null, fd, inheritable=False)
        os.close(null)
        _held_fds.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)


def _lock_file(path: str, name: str, timeout: float, take: Callable[[int, float], bool], *, nested: bool) -> int | None:
    """An open lock file at ``path``, locked by ``take``, that is still the file at ``path``; None on a
    nested timeout."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
        except FileNotFoundError:  # the folder was removed (a save folder cleared by hand): make it again
            folder = os.path.dirname(path)
            _checked_folders.discard(folder)
            os.makedirs(os.path.dirname(folder), exist_ok=True)
            _verified(folder)
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
        try:
            if not take(fd, deadline):
                os.close(fd)
                if nested:
                    logger.info("django-static-pipe: went on without the lock on %r after %.0fs", name, timeout)
                    return None
                raise TimeoutError(f"django-static-pipe: waited {timeout:.0f}s for the lock on {name!r}")
            opened = os.fstat(fd)
            try:
                current = os.stat(path)
            except FileNotFoundError:
                current = None
            if current is not None and (current.st_ino, current.st_dev) == (opened.st_ino, opened.st_dev):
                return fd
        except BaseException:
            with contextlib.suppress(OSError):
                os.close(fd)
            raise
        os.close(fd)  # the holder removed it as we waited: lock the file that is there now


def _flock(fd: int, deadline: float) -> bool:
    """Lock the whole file (the per-name lock file), waiting until ``deadline``."""
    return _poll(lambda: fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB), deadline)


def _slot_taker(digest: str) -> Callable[[int, float], bool]:
    """Lock the byte of the slots file at the offset the name's digest gives (60 bits: two names meet
    on one byte practically never, and if they did, one would only wait for the other)."""
    # struct flock: l_type, l_whence, l_start, l_len, l_pid (0 for these locks), in the C layout.
    request = struct.pack("hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET, int(digest[:15], 16), 1, 0)
    assert _OFD_SETLK is not None
    command = _OFD_SETLK

    def take(fd: int, deadline: float) -> bool:
        return _poll(lambda: fcntl.fcntl(fd, command, request), deadline)

    return take


def _poll(attempt: Callable[[], object], deadline: float) -> bool:
    """Try a non-blocking lock until it is granted (True) or ``deadline`` passes (False)."""
    while True:
        try:
            attempt()
            return True
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
