"""Putting produced files on disk so that nobody ever sees half of one.

Every file is written to a temporary name in its final folder (a dot-name that the shipped nginx
config never serves), flushed to disk, given mode 0644, and renamed into place; the rename replaces
a link rather than writing through it, so a source file is never overwritten.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import time
from collections.abc import Callable, Iterator

TEMP_PREFIX = ".static-pipe-tmp-"
FILE_MODE = 0o644
#: The compressed siblings precompress.py may write beside an output, by encoding.
SIBLING_SUFFIXES = {"gzip": ".gz", "br": ".br"}

#: Files this process has put in place (outputs, siblings, links): lets a build say it wrote nothing.
files_written = 0


_known_folders: set[str] = set()
_counter = itertools.count()


def _ensure_folder(folder: str) -> None:
    if folder not in _known_folders:
        os.makedirs(folder, exist_ok=True)
        remove_stale_temporaries(folder, recursive=False)
        _known_folders.add(folder)


def _temp_name(folder: str, suffix: str) -> str:
    # The writer's pid is in the name, so a later process can tell a dead writer's leftovers.
    return os.path.join(folder, f"{TEMP_PREFIX}{os.getpid()}-{next(_counter)}{suffix}")


def _open_temp(folder: str) -> tuple[int, str]:
    while True:
        temp = _temp_name(folder, ".tmp")
        try:
            return os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE), temp
        except FileExistsError:  # pragma: no cover - left by an earlier process with our pid
            continue
        except FileNotFoundError:  # the folder was removed since we made it
            _known_folders.discard(folder)
            _ensure_folder(folder)


def write_atomic(path: str, data: bytes, *, durable: bool = False) -> None:
    """Write ``data`` to ``path`` so that ``path`` is either absent, the old file, or all of ``data``.

    The rename makes this hold for every reader and across a killed process. ``durable`` also
    survives a power cut (fsync before the rename); outputs skip it, since a lost one is noticed by
    its size and rebuilt, and a cold render should not wait for the disk once per file.
    """
    folder = os.path.dirname(path)
    _ensure_folder(folder)
    fd, temp = _open_temp(folder)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if durable:
            os.fsync(fd)
        os.fchmod(fd, FILE_MODE)  # whatever the umask: nginx's workers must read it
        os.close(fd)
        fd = -1
        os.replace(temp, path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _count_write()


def _count_write() -> None:
    global files_written
    files_written += 1


def link_atomic(source: str, path: str) -> None:
    """Make ``path`` show the file ``source``: a hard link where one can be made, else a symlink.

    A hard link is one more directory entry for the same file, where a symlink is a new inode (on
    ext4 about ten times the cost: a cold page links every image its CSS names). It also keeps the old
    bytes when the source is replaced (an editor's or a deploy's rename). It cannot cross filesystems,
    and the kernel's protected_hardlinks refuses another user's file we may not write: a symlink then.
    """
    folder = os.path.dirname(path)
    _ensure_folder(folder)
    try:
        _place(lambda name: os.link(source, name, follow_symlinks=False), path, ".lnk")
    except OSError as exc:
        if exc.errno not in _NO_HARD_LINK:
            raise
        symlink_atomic(source, path)
        return
    _count_write()


#: Why a hard link may be refused where a symlink is not: another filesystem, a protected or foreign
#: file, too many links, a filesystem without them.
_NO_HARD_LINK = frozenset({errno.EXDEV, errno.EPERM, errno.EACCES, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP})


def _place(make: Callable[[str], None], path: str, suffix: str) -> None:
    """``make(path)``; when ``path`` exists, ``make`` a temporary name and rename it over ``path``.

    Renaming a name onto another link of the same file does nothing (rename(2)), so the temporary
    name is then removed by hand.
    """
    folder = os.path.dirname(path)
    for attempt in range(2):
        try:
            make(path)
            return
        except FileNotFoundError:
            if attempt or os.path.isdir(folder):
                raise  # the source is gone
            _known_folders.discard(folder)  # the folder was removed since we made it
            _ensure_folder(folder)
        except FileExistsError:
            break  # (another worker may have put it there first)
    temp = _temp_name(folder, suffix)
    make(temp)
    try:
        os.replace(temp, path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp)


def symlink_atomic(target: str, path: str) -> None:
    """Make ``path`` a symlink to ``target``. A new link appears whole in one call; one that replaces
    another is made under a temporary name and renamed over it."""
    _ensure_folder(os.path.dirname(path))
    _place(lambda name: os.symlink(target, name), path, ".lnk")
    _count_write()


def output_files(path: str) -> Iterator[str]:
    """An output and every sibling that may sit beside it."""
    yield path
    for suffix in SIBLING_SUFFIXES.values():
        yield path + suffix


def remove_output(path: str) -> list[str]:
    """Delete an output and its siblings; return what was there."""
    removed = []
    for candidate in output_files(path):
        try:
            os.unlink(candidate)
        except FileNotFoundError:
            continue
        removed.append(candidate)
    return removed


def _writer_is_gone(filename: str) -> bool:
    """Whether the process named in a temporary file's name can no longer be writing it.

    A killed build's pool workers are orphans; where PID 1 does not reap (a container without an
    init) they stay zombies, which ``kill(pid, 0)`` still finds: /proc tells them apart. A name whose
    pid is not a plain number no process of ours wrote.
    """
    pid_text = filename[len(TEMP_PREFIX) :].split("-", 1)[0]
    if not (pid_text.isascii() and pid_text.isdigit()) or len(pid_text) > 10 or int(pid_text) > _MAX_PID:
        return True
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # another user's process: /proc still tells a zombie
        pass
    return _is_zombie(pid)


_MAX_PID = 2**31 - 1  # pid_t; a larger number is no process (and os.kill would raise OverflowError)


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            state = stat.read().rsplit(b")", 1)[1].split()[0]  # the name before ")" may hold anything
    except (OSError, IndexError):
        return False
    return state in (b"Z", b"X")


def remove_stale_temporaries(folder: str, *, older_than_seconds: float = 3600.0, recursive: bool = True) -> list[str]:
    """Remove the temporary files a killed process left under ``folder``; return their paths.

    A temporary file goes when the process named in it is gone, or when it is older than
    ``older_than_seconds`` (a writer on another machine sharing the folder).
    """
    removed: list[str] = []
    limit = time.time() - older_than_seconds
    walker = os.walk(folder) if recursive else [(folder, [], _listdir(folder))]
    for dirpath, _dirnames, filenames in walker:
        for filename in filenames:
            if not filename.startswith(TEMP_PREFIX):
                continue
            candidate = os.path.join(dirpath, filename)
            with contextlib.suppress(OSError):
                # ctime, not mtime: a hard link to a source keeps the source's mtime; making it
                # set the ctime, so a link made a second ago is never taken for an hour old one.
                if os.lstat(candidate).st_ctime < limit or _writer_is_gone(filename):
                    os.unlink(candidate)
                    removed.append(candidate)
    return removed


def _listdir(folder: str) -> list[str]:
    try:
        return os.listdir(folder)
    except OSError:
        return []
