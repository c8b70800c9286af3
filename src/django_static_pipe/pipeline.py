"""The one entry point: names in, a URL out, for the tags, the offline build and the Python API.

A built asset is remembered in-process (and in the manifest when enabled). With ``DEBUG`` off a
remembered asset is returned without touching the disk; with ``DEBUG`` on its sources are checked
on every call and a change builds a new stamp and removes the old output. What is remembered is
bounded, so names that come from requests cannot grow a process without limit.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace
from functools import lru_cache
from typing import Any

from django.core.exceptions import SuspiciousFileOperation

from . import cycles, locks, precompress, writer
from .assemble import Fingerprint, passes_through
from .built import (
    Bounded,
    Built,
    Outcome,
    from_entry,
    integrity_of,
    local_url_for,
    make_key,
    original_url,
    parse_key,
    split_names,
    to_entry,
)
from .conf import pipe_settings
from .css import forget_references
from .exceptions import BundleError
from .manifest import Manifest, get_manifest
from .produce import forget_paths, notfound, output_intact, produce
from .proxy import call_proxy
from .sources import locate, remembering, resolve, staticfiles_name

__all__ = [
    "Built",
    "Outcome",
    "build",
    "local_url_for",
    "make_key",
    "original_url",
    "render",
    "reset",
    "split_names",
    "to_entry",
    "url_for",
]

logger = logging.getLogger("django_static_pipe")

#: Builds remembered in-process; beyond this the least recently used are read again from the manifest.
MEMO_ENTRIES = 8192
#: Names that were not found, remembered so a page that names one does not look for it on every render.
NOTFOUND_ENTRIES = 1024

_memo: Bounded[str, Built] = Bounded(MEMO_ENTRIES)
_warm: Bounded[str, Outcome] = Bounded(MEMO_ENTRIES)  # what a warm render reports, made once per build
_missing: Bounded[str, Built] = Bounded(NOTFOUND_ENTRIES)
# During an offline build: every build checks its sources and is collected here for the manifest.
_session: dict[str, Built] | None = None


def reset() -> None:
    """Forget everything remembered in this process (settings changed, or a test starts)."""
    _memo.clear()
    _warm.clear()
    _missing.clear()
    forget_paths()
    forget_references()
    parse_argument.cache_clear()
    from .manifest import forget_manifests
    from .proxy import load_proxy

    forget_manifests()
    load_proxy.cache_clear()


def _remember(built: Built) -> None:
    if built.notfound:
        _missing[built.key] = built
        _memo.pop(built.key)
    else:
        _memo[built.key] = built
        _missing.pop(built.key)


def _remembered(key: str) -> Built | None:
    return _memo.get(key) or _missing.get(key)


def _still_valid(built: Built) -> bool:
    """True when no source changed since ``built`` and its output is still on disk, whole."""
    if built.notfound or built.pending:
        return False
    if not built.segments and (built.filepath is None or not output_intact(built.filepath, built.size)):
        return False
    for path, mtime_ns, size in built.fingerprints:
        try:
            stat = os.stat(path)
        except OSError:
            return False
        if stat.st_mtime_ns != mtime_ns or stat.st_size != size:
            return False
    return True


def _manifest(*, for_reading: bool = False) -> Manifest | None:
    """The shared manifest when enabled (or, for an offline build's reading, whenever one exists)."""
    if not pipe_settings.use_manifest_file and not for_reading:
        return None
    path = pipe_settings.manifest_path
    return get_manifest(path) if path else None


def _remove_replaced(previous: Built, built: Built) -> None:
    if previous.filepath and previous.filepath != built.filepath and previous.filepath not in built.sources:
        removed = writer.remove_output(previous.filepath)
        if previous.source_map and previous.source_map != built.source_map:
            removed += writer.remove_output(previous.source_map)
        if removed:
            logger.info("django-static-pipe: %s changed; removed %s", previous.key, ", ".join(removed))


def build(names: Sequence[str], slim: bool) -> Outcome:
    """Build ``names`` (one file or a bundle, as :func:`sources.locate` names them) unless a valid
    earlier build can be used."""
    key = make_key(names, slim)
    if not pipe_settings.debug and _session is None:
        warm = _warm.get(key)
        if warm is not None:
            return warm
        remembered = _memo.get(key)
        if remembered is not None:
            warm = _warm[key] = Outcome(remembered, new=False, changed=False, checked=False)
            return warm
    outcome = _build_checked(key, names, slim, _remembered(key))
    if _session is not None and not outcome.built.notfound and not outcome.built.pending:
        _record(outcome.built)
    return outcome


def _from_manifest(key: str, manifest: Manifest) -> Built | None:
    # A nested build (an image in CSS) takes the manifest as its outermost build read it: another
    # process's entry written since then costs at most the same file made again, not a stat per image.
    entry = manifest.get(key, refresh=_nesting.depth == 0)
    return from_entry(key, entry, manifest) if entry is not None else None


def _record(built: Built) -> None:
    """Collect ``built`` for the offline build's manifest, with every output it references."""
    assert _session is not None
    _session[built.key] = built
    for ref in built.refs:  # an up-to-date output still needs what it references recorded
        if ref not in _session and not reuse_if_current(*parse_key(ref)):
            build(*parse_key(ref))


def _built_meanwhile(key: str, previous: Built | None, manifest: Manifest | None) -> Built | None:
    candidate = _memo.get(key)
    if (candidate is None or candidate is previous) and manifest is not None:
        candidate = _from_manifest(key, manifest)
    if candidate is None or candidate == previous:
        return None
    return candidate if _still_valid(candidate) else None


class _Nesting(threading.local):
    """How deep in nested builds this thread is, and the manifest entries waiting for the outermost."""

    def __init__(self) -> None:
        self.depth = 0
        self.pending: dict[str, dict[str, Any]] = {}


_nesting = _Nesting()


def _nested(name: str, slim: bool) -> tuple[str, list[Fingerprint]]:
    """A reference inside an asset (an image in CSS, an imported module): its URL and what it depends on."""
    key = make_key((name,), slim)
    if cycles.closes_cycle(key):
        return cycles.placeholder(key), []
    outcome = build((name,), slim)
    if outcome.built.pending:  # it waits for its cycle, which this build belongs to as well
        return cycles.placeholder(key), []
    return render(outcome), list(outcome.built.fingerprints)


def _build_checked(key: str, names: Sequence[str], slim: bool, previous: Built | None) -> Outcome:
    debug = pipe_settings.debug or _session is not None
    manifest = _manifest(for_reading=_session is not None)
    if previous is None and manifest is not None:
        previous = _from_manifest(key, manifest)
        if previous is not None and not debug:
            _memo[key] = previous
            return Outcome(previous, new=False, changed=False, checked=False)
    if previous is not None and _still_valid(previous):
        _memo[key] = previous
        if _session is not None:
            _complete_siblings(previous)
        return Outcome(previous, new=False, changed=False, checked=True)
    if previous is not None and previous.notfound and not debug:
        return Outcome(previous, new=False, changed=False, checked=False)
    with remembering():
        if len(names) == 1 and resolve(names[0]) is None:  # nothing to build, so no lock (and no lock file)
            built = notfound(key, names[0])
            _remember(built)
            return Outcome(built, new=False, changed=False, checked=True)
        return _build_locked(key, names, slim, previous, manifest)


def _build_locked(
    key: str, names: Sequence[str], slim: bool, previous: Built | None, manifest: Manifest | None
) -> Outcome:
    linked = passes_through(names, slim)  # an image, a font: no lock file for a link (see passes_through)
    guard: contextlib.AbstractContextManager[None] = (
        contextlib.nullcontext()
        if linked
        else locks.exclusive(f"build:{pipe_settings.save_prefix}:{key}", nested=_nesting.depth > 0)
    )
    with guard:
        # Another thread or process may have built it while this one waited for the lock (a link
        # waited for nothing, and making it again gives the same name).
        done = None if linked else _built_meanwhile(key, previous, manifest)
        if done is not None:
            _memo[key] = done
            return Outcome(done, new=False, changed=False, checked=True)
        _nesting.depth += 1
        try:
            produced = produce(key, names, slim, _nested)
        finally:
            _nesting.depth -= 1
        built = produced.built
        if built.pending:
            return Outcome(built, new=False, changed=False, checked=True)
        # Recorded before the lock is released, so whoever waited for it finds the build done. The
        # outputs a build references (images in its CSS) are written to the manifest with it, once.
        for member in (built, *produced.members):
            _remember(member)
            if _session is not None:
                _session[member.key] = member
            elif manifest is not None and not member.notfound:
                _nesting.pending[member.key] = to_entry(member, manifest)
        if manifest is not None and _session is None and _nesting.depth == 0 and _nesting.pending:
            entries, _nesting.pending = _nesting.pending, {}
            manifest.update(entries)
    changed = previous is not None and not previous.notfound and previous.url_path != built.url_path
    # Only a developer's DEBUG render removes what it replaced; a deploy's build leaves old outputs to
    # static_pipe_prune, since pages rendered from the current manifest still name them.
    if changed and pipe_settings.debug and _session is None and previous is not None:
        _remove_replaced(previous, built)
    return Outcome(built, new=produced.new, changed=changed, checked=True)


def reuse_if_current(names: Sequence[str], slim: bool) -> bool:
    """Take the manifest's build of ``names`` when its sources and output are unchanged (recording
    it, and what it references, in the offline session); False when it must be built."""
    manifest = _manifest(for_reading=True)
    if manifest is None:
        return False
    built = _from_manifest(make_key(names, slim), manifest)
    if built is None or not _still_valid(built):
        return False
    _complete_siblings(built)
    _memo[built.key] = built
    if _session is not None:
        _record(built)
    return True


def _complete_siblings(built: Built) -> None:
    """Write the compressed siblings an up-to-date output lacks (a render's background thread may have
    been killed before it wrote them); the offline build leaves none missing."""
    kinds = pipe_settings.precompress
    if not kinds or built.filepath is None or not precompress.wants_siblings(built.filepath):
        return
    missing = precompress.missing_siblings(built.filepath, kinds)
    if missing:
        precompress.write_siblings(built.filepath, None, missing)


@contextlib.contextmanager
def offline_session(*, fresh: bool = True) -> Iterator[dict[str, Built]]:
    """Build as the offline build does: every source checked, the manifest only read, and every
    output (nested references included) collected for the manifest the build then writes.

    ``fresh`` forgets what earlier sessions built; the offline build's uses share one memory, so a
    module twenty others import is made once, then only checked (its sources and output stat'ed)."""
    global _session
    if fresh:
        reset()
    collected: dict[str, Built] = {}
    _session = collected
    try:
        with precompress.synchronous():
            yield collected
    finally:
        _session = None


def render(outcome: Outcome, *, disabled: bool = False) -> str:
    """The URL the page gets: the local URL passed through the file proxy."""
    built = outcome.built
    return call_proxy(
        built.local_url,
        new=outcome.new,
        changed=outcome.changed,
        checked=outcome.checked,
        notfound=built.notfound,
        filepath=built.filepath,
        sources=built.sources,
        disabled=disabled,
    )


def with_integrity(built: Built) -> str | None:
    """The SRI hash of an output, computing (and remembering) it when the build did not."""
    if built.integrity is not None or built.filepath is None:
        return built.integrity
    with open(built.filepath, "rb") as handle:
        integrity = integrity_of(handle.read())
    _memo[built.key] = replace(built, integrity=integrity)
    return integrity


def disabled_url(argument: str) -> str:
    """What a tag's argument becomes with ``DJANGO_STATIC`` off.

    A URL under ``STATIC_URL`` or another host stays as it is. With ``DJANGO_STATIC_MEDIA_URL_ALWAYS``
    a local name gets ``DJANGO_STATIC_MEDIA_URL`` in front. Otherwise, when names are found by the
    staticfiles finders (``DJANGO_STATIC_MEDIA_ROOTS`` unset), a name gets the URL ``{% static %}``
    gives it, so Django's own static serving finds it; with roots of its own it stays as written.
    """
    try:
        located = locate(argument)
    except SuspiciousFileOperation:
        return argument
    if located is None or staticfiles_name(located.name) is not None or ";" in argument:
        return argument
    if pipe_settings.media_url_always:
        return original_url(located.name) + located.suffix
    if pipe_settings.media_roots is None:
        from django.contrib.staticfiles.storage import staticfiles_storage

        try:
            return staticfiles_storage.url(located.name.lstrip("/")) + located.suffix
        except ValueError:  # a Manifest storage that has no entry for it (no collectstatic yet)
            return pipe_settings.static_url + located.name.lstrip("/") + located.suffix
    return argument


@lru_cache(maxsize=4096)
def parse_argument(argument: str) -> tuple[tuple[str, ...], str] | None:
    """A tag's argument (``"/a.js; /b.js?v=2"``) as canonical names and the query/fragment the URL
    keeps; None when it is one name that is not local (``https://…``), which is used as it is.

    Raises :class:`SuspiciousFileOperation` for names that climb out of the roots and
    :class:`BundleError` when the members of a bundle carry different queries.
    """
    parts = split_names(argument)
    located = [locate(part) for part in parts]
    if len(parts) == 1 and located[0] is None:
        return None
    if any(item is None for item in located):
        raise BundleError(f"django-static-pipe: a bundle can only join local files: {argument!r}")
    suffixes = {item.suffix for item in located if item is not None}
    if len(suffixes) > 1:
        raise BundleError(f"django-static-pipe: the members of {argument!r} carry different queries or fragments.")
    return tuple(item.name for item in located if item is not None), suffixes.pop() if suffixes else ""


def url_for(argument: str, *, slim: bool, from_tag: bool) -> str:
    """The URL for a tag's or the Python API's argument (one name or ``"a; b"``).

    The result is a plain string: the template tags escape it as autoescape says, as ``{% static %}``
    does.
    """
    if not argument.replace(";", "").strip():  # no name at all (what split_names would find empty)
        return argument
    if not pipe_settings.enabled:
        url = disabled_url(argument.strip())
        return url if from_tag else call_proxy(url, disabled=True)
    parsed = parse_argument(argument)
    if parsed is None:
        return argument.strip()
    names, suffix = parsed
    outcome = build(names, slim)
    if outcome.built.segments:
        raise BundleError(mixed_strictness_message(outcome.built.segments))
    if outcome.built.notfound and _under_static_url(argument):
        return argument.strip()  # left exactly as {% static %} made it
    return render(outcome) + suffix


def _under_static_url(argument: str) -> bool:
    static_url = pipe_settings.static_url
    return bool(static_url) and argument.strip().startswith(static_url)


def mixed_strictness_message(segments: Sequence[Sequence[str]]) -> str:
    groups = " | ".join("; ".join(segment) for segment in segments)
    return (
        "django-static-pipe: these scripts cannot be joined into one file without changing what they do: "
        "some start with 'use strict' and some do not, and a joined file has one mode. Bundle each group "
        f"separately: {groups}"
    )
