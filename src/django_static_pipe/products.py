"""What an output is made of, and reading the sources it is made from.

:class:`Product` is what :mod:`django_static_pipe.assemble` hands the pipeline: the bytes (or the
source to link to), every file they depend on, and what naming and publishing need beyond that.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin

from . import css, places
from .conf import pipe_settings
from .exceptions import AssetTooLargeError, MissingAssetWarning, SourceEncodingWarning
from .sourcemaps import Section
from .sources import Source, remembered_contents

logger = logging.getLogger("django_static_pipe")

#: (absolute path, mtime in ns, size): enough to tell that a source changed without reading it.
Fingerprint = tuple[str, int, int]
#: Builds ``name`` (slim or not) and returns its final URL and the fingerprints it depends on.
NestedBuilder = Callable[[str, bool], tuple[str, list[Fingerprint]]]


@dataclass
class Product:
    """The bytes of an output (or the source to symlink to), and every file they depend on."""

    data: bytes | None
    link_to: str | None = None
    fingerprints: list[Fingerprint] = field(default_factory=list)
    # A bundle joined without minifying: one section per member, for the index map published beside it.
    sections: list[Section] | None = None


def read_source(source: Source, *, last: bool = False) -> tuple[bytes, Fingerprint]:
    """Read a source whole (once per build), refusing files over ``DJANGO_STATIC_MAX_SOURCE_BYTES``.

    ``last``: the caller turns the bytes into what it needs and lets them go, so the build forgets
    them too (a 10 MB script is not held beside its text while it is minified); a later read goes
    to the disk again.
    """
    contents = remembered_contents()
    if contents is not None and source.path in contents:
        return contents.pop(source.path) if last else contents[source.path]
    result = _read(source)
    if contents is not None and not last:
        contents[source.path] = result
    return result


def _read(source: Source) -> tuple[bytes, Fingerprint]:
    limit = pipe_settings.max_source_bytes
    fd = os.open(source.path, os.O_RDONLY | os.O_CLOEXEC)  # no buffered file object: a cold page reads dozens
    try:
        stat = os.fstat(fd)
        if stat.st_size > limit:
            raise AssetTooLargeError(
                f"django-static-pipe: {source.name} ({source.path}) is {stat.st_size} bytes, over "
                f"DJANGO_STATIC_MAX_SOURCE_BYTES = {limit}; raise that setting or serve the file as it is."
            )
        data = _read_all(fd, stat.st_size + 1, limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise AssetTooLargeError(f"django-static-pipe: {source.name} grew past {limit} bytes while being read.")
    return data, (source.path, stat.st_mtime_ns, stat.st_size)


def _read_all(fd: int, expected: int, most: int) -> bytes:
    """Up to ``most`` bytes from ``fd``, asking for ``expected`` first (one read for a file that did
    not grow since its ``fstat``)."""
    chunks = []
    wanted = expected
    while most > 0:
        chunk = os.read(fd, min(wanted, most))
        if not chunk:
            break
        chunks.append(chunk)
        most -= len(chunk)
        wanted = 1 << 16  # the file grew (or this is the read that finds its end): no second whole-size buffer
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def fingerprint(path: str) -> Fingerprint:
    stat = os.stat(path)
    return (path, stat.st_mtime_ns, stat.st_size)


def warn_missing(what: str, category: type[Warning] = MissingAssetWarning) -> None:
    message = f"django-static-pipe: {places.prefix()}{what}"
    logger.warning(message)
    warnings.warn(message, category, stacklevel=4)


def source_url(name: str) -> str:
    """Where a source is served when nothing is produced (as a page without this app names it): the
    URL a source map gives it."""
    if pipe_settings.media_roots is None and pipe_settings.static_url:
        return urljoin(pipe_settings.static_url, name.lstrip("/"))  # names are staticfiles names
    from .built import original_url  # built imports assemble, which imports this module

    return original_url("/" + name.lstrip("/"))


def map_source_url(written: str, map_name: str) -> str | None:
    """A map's source made absolute against the map's original location (None: not local, kept)."""
    ref = css.resolve_reference(written, map_name)
    return None if ref is None else source_url(ref.path) + ref.suffix


def warn_encoding(what: str) -> None:
    message = f"django-static-pipe: {places.prefix()}{what}"
    logger.warning(message)
    warnings.warn(message, SourceEncodingWarning, stacklevel=5)
