"""What a build produced, the keys builds are known by, and the URLs pages get for them."""

from __future__ import annotations

import base64
import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from .assemble import Fingerprint
from .conf import pipe_settings
from .manifest import Manifest
from .sources import is_local, staticfiles_name

# Characters left as they are when a produced path is put in a URL. Quotes, parentheses and spaces are
# escaped, so a URL can go into HTML, a CSS url() and a JS string without changing their meaning.
_URL_SAFE = "/~!$&*+,;=:@"


@dataclass(frozen=True)
class Built:
    """What an asset (or bundle) was built into."""

    key: str
    url_path: str
    local_url: str
    filepath: str | None
    fingerprints: tuple[Fingerprint, ...]
    integrity: str | None = None
    notfound: bool = False
    source_bytes: int = 0
    size: int = -1  # the output's size; a file of another size (a power cut before it reached the disk) is rebuilt
    refs: tuple[str, ...] = ()  # keys of the outputs this one references (images and imports in CSS)
    # Set instead of a file when scripts of different strictness were asked to be joined: the
    # consecutive groups that can be joined, each an asset of its own.
    segments: tuple[tuple[str, ...], ...] = ()
    # The manifest entry this was read from, written back as it is (no second serialization).
    stored: dict[str, Any] | None = field(default=None, compare=False, repr=False)
    # A member of an import cycle waiting for the rest of its cycle: it has no name yet.
    pending: bool = False
    source_map: str | None = None  # the index map published beside a bundle joined without minifying

    @cached_property
    def sources(self) -> tuple[str, ...]:
        return tuple(path for path, _mtime, _size in self.fingerprints)


@dataclass(frozen=True)
class Outcome:
    """A build plus what this call did, as the file proxy is told."""

    built: Built
    new: bool
    changed: bool
    checked: bool


K = TypeVar("K")
V = TypeVar("V")


class Bounded(Generic[K, V]):
    """A map that forgets its least recently used entries past ``limit``: names from requests can
    never grow a process's memory without bound."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._entries: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def __setitem__(self, key: K, value: V) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        if len(self._entries) > self.limit:
            self._entries.popitem(last=False)

    def pop(self, key: K) -> V | None:
        return self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries


def make_key(names: Sequence[str], slim: bool) -> str:
    return ("slim:" if slim else "static:") + ";".join(names)


def split_names(argument: str) -> tuple[str, ...]:
    """``"/a.js; /b.js"`` → ``("/a.js", "/b.js")``."""
    return tuple(part.strip() for part in argument.split(";") if part.strip())


def parse_key(key: str) -> tuple[tuple[str, ...], bool]:
    """The inverse of :func:`make_key`."""
    mode, _colon, joined = key.partition(":")
    return split_names(joined), mode == "slim"


def local_url_for(url_path: str) -> str:
    """``/css/a.1.css`` → ``DJANGO_STATIC_MEDIA_URL + DJANGO_STATIC_NAME_PREFIX + /css/a.1.css``.

    A relative path stays relative: it is the template's choice what it is relative to.
    """
    quoted = quote(url_path, safe=_URL_SAFE)
    if not url_path.startswith("/"):
        return quoted
    return pipe_settings.media_url + pipe_settings.name_prefix + quoted


def original_url(name: str) -> str:
    """A name as the page gets it when nothing was produced: ``DJANGO_STATIC_MEDIA_URL`` before local
    absolute names; a name under ``STATIC_URL`` keeps ``STATIC_URL`` (absolute ones included)."""
    static_name = staticfiles_name(name)
    if static_name is not None:
        return pipe_settings.static_url + static_name
    if name.startswith("/") and is_local(name):
        return pipe_settings.media_url + name
    return name


def integrity_of(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode("ascii")


def to_entry(built: Built, manifest: Manifest) -> dict[str, Any]:
    if built.stored is not None and built.stored.get("file") == (
        manifest.to_stored_path(built.filepath) if built.filepath else None
    ):
        return built.stored
    return {
        "path": built.url_path,
        "file": manifest.to_stored_path(built.filepath) if built.filepath else None,
        "sources": [[manifest.to_stored_path(path), mtime, size] for path, mtime, size in built.fingerprints],
        "integrity": built.integrity,
        "source_bytes": built.source_bytes,
        "refs": list(built.refs),
        "size": built.size,
        **({"segments": [list(segment) for segment in built.segments]} if built.segments else {}),
        **({"map": manifest.to_stored_path(built.source_map)} if built.source_map else {}),
    }


def from_entry(key: str, entry: dict[str, Any], manifest: Manifest) -> Built:
    return Built(
        key=key,
        url_path=entry["path"],
        local_url=local_url_for(entry["path"]),
        filepath=manifest.from_stored_path(entry["file"]) if entry.get("file") else None,
        fingerprints=tuple((manifest.from_stored_path(p), int(m), int(s)) for p, m, s in entry["sources"]),
        integrity=entry.get("integrity"),
        source_bytes=int(entry.get("source_bytes", 0)),
        refs=tuple(entry.get("refs", ())),
        size=int(entry.get("size", -1)),
        stored=entry,
        segments=tuple(tuple(segment) for segment in entry.get("segments", ())),
        source_map=manifest.from_stored_path(entry["map"]) if entry.get("map") else None,
    )
