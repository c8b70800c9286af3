"""Source maps of produced files: a referenced map published under a stamped name, and the sections
of the index map of a file joined without minifying (each member's own map, or its lines one by one).

The pure work (finding the comment, reading and writing maps) is :mod:`django_static_pipe.sourcemaps`;
this module finds the files, reads them once per build and asks the pipeline for stamped names.
"""

from __future__ import annotations

import base64
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import SuspiciousFileOperation

from . import charsets, css, linemap, sourcemaps
from .conf import pipe_settings
from .products import Fingerprint, NestedBuilder, Product, map_source_url, read_source, source_url, warn_missing
from .sources import Source, resolve

logger = logging.getLogger("django_static_pipe")


def published_map_comment(
    text: str, comment: sourcemaps.MapComment, name: str, nested: NestedBuilder, fingerprints: list[Fingerprint]
) -> str:
    """``text`` with its map comment naming the map's stamped copy (its sources made absolute)."""
    inline = sourcemaps.inline_map(comment.url)
    if inline is not None:
        loaded = sourcemaps.load_map(inline)
        if loaded is None:
            return text
        rewritten = sourcemaps.rewrite_sources(loaded, lambda written: map_source_url(written, name))
        encoded = base64.b64encode(sourcemaps.dump_map(rewritten)).decode("ascii")
        return sourcemaps.with_map_url(text, comment, "data:application/json;charset=utf-8;base64," + encoded)
    ref = css.resolve_reference(comment.url, name) if comment.url else None
    if ref is None:
        return text
    try:
        found = resolve(ref.path)
    except SuspiciousFileOperation as exc:
        logger.warning("django-static-pipe: %s names the map %r, which was refused: %s", name, comment.url, exc)
        return text[: comment.start] + text[comment.end :]
    if found is None:
        warn_missing(f"{name} names the source map {comment.url!r}, which does not exist; kept as {ref.path}.")
        return sourcemaps.with_map_url(text, comment, pipe_settings.media_url + ref.path + ref.suffix)
    url, found_fingerprints = nested(ref.path, False)
    fingerprints.extend(found_fingerprints)
    return sourcemaps.with_map_url(text, comment, url + ref.suffix)


def member_map(name: str, url: str, fingerprints: list[Fingerprint]) -> dict[str, Any] | None:
    """The map a member of a combined file names, its sources made absolute; None when it has none
    that can be read (its lines then map to the member itself)."""
    data = sourcemaps.inline_map(url)
    base = name
    if data is None:
        ref = css.resolve_reference(url, name) if url else None
        try:
            found = resolve(ref.path) if ref is not None else None
        except SuspiciousFileOperation:
            return None
        if found is None:
            if ref is not None:
                warn_missing(f"{name} names the source map {url!r}, which does not exist.")
            return None
        data, own = read_source(found)
        fingerprints.append(own)
        base = found.name
    loaded = sourcemaps.load_map(data)
    if loaded is None:
        return None
    return sourcemaps.rewrite_sources(loaded, lambda written: map_source_url(written, base))


@dataclass
class Part:
    """A member's text ready to be joined, and what its section of an index map needs."""

    name: str
    text: str
    raw: bool
    origins: list[linemap.Origin]
    contents: dict[str, str]
    own_map: dict[str, Any] | None = None
    bom: bool = False


def join_parts(parts: Sequence[Part], separator: str, prefix: str = "") -> tuple[bytes, list[int]]:
    """The joined bytes (each part's own bytes when any is raw) and the line each part starts on."""
    lines: list[int] = []
    line = prefix.count("\n")
    for part in parts:
        lines.append(line)
        line += part.text.count("\n") + separator.count("\n")
    if any(part.raw for part in parts):
        joined = separator.join(charsets.as_raw(part.text, part.raw) for part in parts)
        return charsets.encode(prefix + joined, raw=True), lines
    return (prefix + separator.join(part.text for part in parts)).encode("utf-8"), lines


def sections_of(parts: Sequence[Part], lines: Sequence[int]) -> list[sourcemaps.Section]:
    sections: list[sourcemaps.Section] = []
    for part, line in zip(parts, lines, strict=True):
        own = part.own_map
        if own is not None and part.origins == linemap.lines_of(source_url(part.name), part.text):
            sections.append(sourcemaps.Section(line, own))
        else:
            sections.append(sourcemaps.Section(line, sourcemaps.identity_map(part.origins, part.contents)))
    return sections


#: How much of a script's end is read to see whether it names a source map (the comment that counts
#: ends the file); a script without one is linked or copied without being read whole.
MAP_COMMENT_TAIL = 4096


def ends_with_map_comment(source: Source) -> bool:
    with open(source.path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        handle.seek(max(0, size - MAP_COMMENT_TAIL))
        return sourcemaps.MARKER.encode() in handle.read(MAP_COMMENT_TAIL)


def script_with_published_map(source: Source, nested: NestedBuilder) -> Product:
    """A script passed through as it is, but for its map comment, which names the map's stamped copy."""
    data, own = read_source(source)
    fingerprints = [own]
    text = data.decode("latin-1")  # byte for byte: nothing but the comment's URL changes
    comment = sourcemaps.find_script_map_comment_in_bytes(data, text)
    if comment is not None:
        text = published_map_comment(text, comment, source.name, nested, fingerprints)
    return Product(data=charsets.encode(text, raw=True), fingerprints=fingerprints)


def published_map(source: Source) -> Product:
    """A source map published under a stamped name: its sources made absolute, so they still resolve."""
    data, own = read_source(source)
    loaded = sourcemaps.load_map(data)
    if loaded is not None:
        rewritten = sourcemaps.rewrite_sources(loaded, lambda written: map_source_url(written, source.name))
        data = sourcemaps.dump_map(rewritten)
    return Product(data=data, fingerprints=[own])
