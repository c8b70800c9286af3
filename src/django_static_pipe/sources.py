"""Turning a URL or name from a template into a source file, and refusing names that escape the roots.

This is the one place that reads a URL: :func:`locate` splits off the query and fragment, resolves
relative references, understands ``STATIC_URL`` (relative like ``/static/`` or absolute like
``https://cdn.example.com/static/``) and cleans the path; :func:`resolve` finds the file. Names look
like URL paths (``/css/a.css`` or ``css/a.css``) and are looked up in ``DJANGO_STATIC_MEDIA_ROOTS`` in
order, or, when that is unset, through Django's staticfiles finders. A name under ``STATIC_URL``'s path
(``/static/app/site.css``) is always the staticfiles name after it (``app/site.css``), found by the
finders or in ``STATIC_ROOT``. A name whose real path (symlinks followed) lies outside every root is
refused and never read.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import re
import stat
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from django.core.exceptions import SuspiciousFileOperation

from .conf import pipe_settings

# Characters no asset name has a reason to contain; a backslash is how Windows paths climb out.
_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f\\]")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


@dataclass(frozen=True)
class Source:
    """A name found on disk."""

    name: str
    path: str
    root: str


@dataclass(frozen=True)
class Located:
    """A URL this app handles: the asset's name and the query/fragment to put back on the result."""

    name: str
    suffix: str = ""


def is_local(url: str) -> bool:
    """True for names this app processes: no scheme (``http:``, ``data:``), no ``//host``."""
    return bool(url) and not url.startswith("//") and not _SCHEME.match(url) and not url.startswith("#")


@lru_cache(maxsize=8)
def _static_prefixes(static_url: str) -> tuple[str, tuple[str, ...]]:
    """``STATIC_URL``'s path and the absolute spellings that mean it (``https://h/static/``, ``//h/static/``)."""
    parts = urlsplit(static_url)
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    if not path.startswith("/"):
        path = "/" + path
    spellings: tuple[str, ...] = ()
    if parts.netloc:
        spellings = (static_url if static_url.endswith("/") else static_url + "/", f"//{parts.netloc}{path}")
    return path, spellings


def static_path() -> str | None:
    """The path part of ``STATIC_URL`` (``/static/``); None when unset or ``/`` (every name would be static)."""
    static_url = pipe_settings.static_url
    if not static_url:
        return None
    path = _static_prefixes(static_url)[0]
    return None if path == "/" else path


def staticfiles_name(name: str) -> str | None:
    """``/static/app/site.css`` → ``app/site.css`` when ``name`` lies under ``STATIC_URL``; else None."""
    prefix = static_path()
    if prefix is None or not name.startswith(prefix):
        return None
    return name[len(prefix) :] or None


def split_suffix(url: str) -> tuple[str, str]:
    """``/a.css?v=2#x`` → ``("/a.css", "?v=2#x")``: a query never changes which file is read."""
    cut = min((i for i in (url.find("?"), url.find("#")) if i >= 0), default=len(url))
    return url[:cut], url[cut:]


def locate(url: str, *, base: str | None = None, decode: bool = False) -> Located | None:
    """The asset a URL names, or None when it is not this app's to handle (another host, ``data:``,
    ``#frag``, a path ending in ``/``, a bare name such as a module specifier when ``base`` is given and
    it is not relative).

    ``base`` is the name of the file the URL is written in (CSS, a script): relative URLs resolve
    against its folder. ``decode`` undoes percent-escapes (URLs in HTML, CSS and JS); tag arguments are
    names and are taken as written. Raises :class:`SuspiciousFileOperation` for names that climb out.
    """
    url = url.strip()
    static_url = pipe_settings.static_url
    if static_url and not is_local(url):
        path, spellings = _static_prefixes(static_url)
        for spelling in spellings:
            if url.startswith(spelling):
                url = path + url[len(spelling) :]
                break
    if not is_local(url):
        return None
    raw, suffix = split_suffix(url)
    if not raw:
        return None
    folder = raw.endswith("/")  # a folder or a page (Django's URLs end in a slash, jsi18n's too), never a file
    if decode:
        raw = unquote(raw)
    if base is not None and not raw.startswith("/"):
        base_folder = posixpath.dirname("/" + base.lstrip("/"))
        raw = posixpath.join(base_folder, raw)
    if decode and raw.startswith("/"):
        # A browser resolves "/css/../../x" to "/x": ".." stops at the top of a URL path.
        raw = "/" + posixpath.normpath(raw).lstrip("/")
    name = normalize(raw)  # refuses what climbs out, whether or not it ends in "/"
    if folder:
        return None
    if pipe_settings.media_roots is None:
        # Names are staticfiles names already: "/static/app/site.css" and "/app/site.css" are one file,
        # so they are one name (and one output).
        static_name = staticfiles_name(name)
        if static_name is not None:
            name = "/" + static_name
    return Located(name, suffix)


def normalize(name: str) -> str:
    """Clean a name (``/a/./b/../c.css`` → ``/a/c.css``), refusing any that could climb out of a root.

    Raises :class:`SuspiciousFileOperation` for NUL and control characters, backslashes,
    ``..`` segments that climb above the top, and names that reduce to nothing.
    """
    if _FORBIDDEN.search(name):
        raise SuspiciousFileOperation(
            f"django-static-pipe: refused the asset name {name!r}: it contains a control character or a backslash."
        )
    absolute = name.startswith("/")
    relative = name.lstrip("/")
    cleaned = posixpath.normpath(relative) if relative else ""
    if cleaned in ("", ".") or cleaned == ".." or cleaned.startswith("../"):
        raise SuspiciousFileOperation(
            f"django-static-pipe: refused the asset name {name!r}: it names nothing inside the asset roots."
        )
    return "/" + cleaned if absolute else cleaned


def finder_roots() -> list[str]:
    """The folders Django's staticfiles finders search, in order."""
    from django.contrib.staticfiles.finders import get_finders

    roots: list[str] = []
    for finder in get_finders():
        for storage in getattr(finder, "storages", {}).values():
            location = getattr(storage, "location", None)
            if location and location not in roots:
                roots.append(os.fspath(location))
    return roots


@lru_cache(maxsize=64)
def _real_roots(roots: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(os.path.realpath(root) for root in roots)


def _containing_root(real_path: str, roots: Sequence[str]) -> str | None:
    for real_root in _real_roots(tuple(roots)):
        if real_path == real_root or real_path.startswith(real_root.rstrip(os.sep) + os.sep):
            return real_root
    return None


def _checked(name: str, candidate: str, roots: Sequence[str]) -> Source | None:
    try:
        real = os.path.realpath(candidate)
        if not os.path.isfile(real):
            return None
    except (OSError, ValueError):  # ENAMETOOLONG and friends: a name that cannot exist
        return None
    root = _containing_root(real, roots)
    if root is None:
        raise SuspiciousFileOperation(
            f"django-static-pipe: refused the asset {name!r}: it resolves to {real!r}, outside the asset roots "
            "(a symlink pointing out of a root is not followed)."
        )
    return Source(name=name, path=real, root=root)


class _Linked(Exception):
    """A component of the path is a symlink: the slow, thorough check decides."""


def _walk(real_root: str, relative: str) -> str | None:
    """The file's path if every component below the root is a plain folder or file (one ``lstat``
    each, where ``realpath`` would take one per component of the whole path); None if missing.

    Within one build a folder found plain is not looked at again (the images a stylesheet names
    mostly share one).
    """
    folder, _slash, filename = relative.rpartition("/")
    path = real_root
    if folder:
        path = os.path.join(real_root, folder)
        plain = _remembered.plain_folders
        if plain is None or path not in plain:
            if not _plain_folders(real_root, folder):
                return None
            if plain is not None:
                plain.add(path)
    path = os.path.join(path, filename)
    mode = _mode_not_linked(path)
    return path if mode is not None and stat.S_ISREG(mode) else None


def _plain_folders(real_root: str, folder: str) -> bool:
    """True when every component of ``folder`` below the root is a folder (a symlink raises _Linked)."""
    path = real_root
    for part in folder.split("/"):
        path = os.path.join(path, part)
        mode = _mode_not_linked(path)
        if mode is None or not stat.S_ISDIR(mode):
            return False
    return True


def _mode_not_linked(path: str) -> int | None:
    """``path``'s mode, by ``lstat``; None when there is nothing to read; :class:`_Linked` for a symlink."""
    try:
        mode = os.lstat(path).st_mode
    except (OSError, ValueError):
        return None
    if stat.S_ISLNK(mode):
        raise _Linked
    return mode


class _Remembered(threading.local):
    def __init__(self) -> None:
        self.found: dict[str, Source | None] | None = None
        self.contents: dict[str, tuple[bytes, tuple[str, int, int]]] = {}
        self.plain_folders: set[str] | None = None


def remembered_contents() -> dict[str, tuple[bytes, tuple[str, int, int]]] | None:
    """Source bytes read in the current build, by path (None outside a build)."""
    return _remembered.contents if _remembered.found is not None else None


_remembered = _Remembered()


@contextlib.contextmanager
def remembering() -> Iterator[None]:
    """Within one build (its nested references included), look each name up once."""
    if _remembered.found is not None:
        yield
        return
    _remembered.found = {}
    _remembered.plain_folders = set()
    try:
        yield
    finally:
        _remembered.found = None
        _remembered.contents = {}
        _remembered.plain_folders = None


def resolve(name: str) -> Source | None:
    """Find ``name`` in the roots; None when it exists in none of them."""
    found = _remembered.found
    if found is not None and name in found:
        return found[name]
    result = _resolve(name)
    if found is not None:
        found[name] = result
    return result


def _resolve(name: str) -> Source | None:
    name = normalize(name)
    relative = name.lstrip("/")
    static_name = staticfiles_name(name)
    if static_name is not None:
        return _resolve_staticfiles(name, static_name)
    roots = pipe_settings.media_roots
    if roots is not None:
        real_roots = _real_roots(tuple(roots))
        for root, real_root in zip(roots, real_roots, strict=True):
            try:
                path = _walk(real_root, relative)
            except _Linked:  # a symlink on the way: follow it and check where it leads
                found = _checked(name, os.path.join(root, relative), roots)
                if found:
                    return found
                continue
            if path:
                return Source(name=name, path=path, root=real_root)
        return None
    return _resolve_staticfiles(name, relative)


def _resolve_staticfiles(name: str, relative: str) -> Source | None:
    """A staticfiles name through Django's finders, else in ``STATIC_ROOT`` (after ``collectstatic``,
    where a Manifest storage's hashed names live)."""
    from django.contrib.staticfiles import finders

    try:
        candidate = finders.find(relative)
    except (OSError, ValueError):
        candidate = None
    if isinstance(candidate, list):  # pragma: no cover - only with find_all
        candidate = candidate[0] if candidate else None
    if candidate:
        return _checked(name, os.fspath(candidate), finder_roots())
    static_root = pipe_settings.static_root
    if not static_root:
        return None
    return _checked(name, os.path.join(static_root, relative), [static_root])
