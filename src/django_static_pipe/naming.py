"""Stamped, never-reused names for produced files.

A stamp is either the integer seconds of the newest source's mtime (``.1700000000.``) or the first 12
hex characters of the SHA-256 of the produced bytes (``.3f2a9c01b2d4.``), which every server computes
alike.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from collections.abc import Sequence

from .exceptions import BundleError

CONTENT_STAMP_LENGTH = 12
# A stamp already inside a name, as left by an earlier run: strip it when combining names.
_STAMP_IN_NAME = re.compile(r"\.(?:\d{10}|[0-9a-f]{12})$")
_MIN_SUFFIX = ".min"


def mtime_stamp(newest_mtime: float) -> str:
    """The integer seconds of the newest source's modification time."""
    return str(int(newest_mtime))


def content_stamp(data: bytes) -> str:
    """12 hex characters of the SHA-256 of the produced bytes."""
    return hashlib.sha256(data).hexdigest()[:CONTENT_STAMP_LENGTH]


def split_name(name: str) -> tuple[str, str]:
    """``/css/a.min.css`` → ``("/css/a.min", ".css")``."""
    return posixpath.splitext(name)


def is_minified_name(name: str) -> bool:
    """True for ``*.min.js`` / ``*.min.css``, also under a hash a Manifest storage put after ``.min``
    (``jquery.min.2c872dbe60f4.js``): such files are passed through as they are."""
    return _STAMP_IN_NAME.sub("", split_name(name)[0]).endswith(_MIN_SUFFIX)


def slim_name(name: str) -> str:
    """``/js/a.js`` → ``/js/a.min.js``; a name that is minified already is kept."""
    root, ext = split_name(name)
    return name if is_minified_name(name) else f"{root}{_MIN_SUFFIX}{ext}"


def default_filename_generator(parts: tuple[str, str], stamp: str) -> str:
    """``(("/css/a", ".css"), "1700000000")`` → ``/css/a.1700000000.css``."""
    root, ext = parts
    return f"{root}.{stamp}{ext}"


def _bare_base(name: str) -> str:
    base = split_name(posixpath.basename(name))[0]
    base = _STAMP_IN_NAME.sub("", base)
    return base[: -len(_MIN_SUFFIX)] if base.endswith(_MIN_SUFFIX) else base


def default_combine_filenames_generator(filenames: Sequence[str], max_length: int) -> str:
    """Name a bundle after its members: ``/css/a.css`` + ``/css/b.css`` → ``/css/a_b.css``.

    The joined base never exceeds ``max_length``; when it is cut, it ends in ``_`` and 8 hex characters
    of a digest of the whole member list, so two different bundles never share a name.
    """
    if not filenames:
        raise BundleError("django-static-pipe: a bundle needs at least one file.")
    extensions = {split_name(name)[1].lower() for name in filenames}
    if len(extensions) > 1:
        raise BundleError(
            f"django-static-pipe: cannot combine files of different types ({', '.join(sorted(extensions))}) "
            f"into one bundle: {', '.join(filenames)}"
        )
    folder = min((posixpath.dirname(name) for name in filenames), key=len)
    joined = "_".join(_bare_base(name) for name in filenames)
    if len(joined) > max_length:
        digest = hashlib.sha256("\n".join(filenames).encode()).hexdigest()[:8]
        joined = joined[: max(max_length - 9, 0)] + "_" + digest
    return posixpath.join(folder, joined + split_name(filenames[0])[1])
