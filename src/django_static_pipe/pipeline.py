"""The one entry point: names in, a URL out, for the tags, the offline build and the Python API.

A built asset is remembered in-process (and in the manifest when enabled). With ``DEBUG`` off a
remembered asset is returned without touching the disk; with ``DEBUG`` on its sources are checked
on every call and a change builds a new stamp and removes the old output.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
import os
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from typing import Any
from urllib.parse import quote

from django.core.exceptions import ImproperlyConfigured, SuspiciousFileOperation
from django.utils.module_loading import import_string

from . import locks, sourcemaps, writer
from .assemble import assemble, strict_mode_runs
from .conf import pipe_settings
from .exceptions import BundleError, MissingAssetError, MissingAssetWarning
from .manifest import Manifest, get_manifest
from .minify import minifier_for
from .naming import content_stamp, mtime_stamp, slim_name, split_name
from .products import Fingerprint, Product, fingerprint
from .proxy import call_proxy
from .sources import Source, is_local, normalize, remembering, resolve

logger = logging.getLogger("django_static_pipe")

# Characters left as they are when a produced path is put in a URL.
_URL_SAFE = "/~!$&'()*+,;=:@"


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


_memo: dict[str, Built] = {}
_warm: dict[str, Outcome] = {}  # what a warm render reports, made once per build
#: Outputs this process has produced (sources read and assembled): a herd of cold workers should
#: produce each output once between them.
outputs_produced = 0
# During an offline build: every build checks its sources and is collected here for the manifest.
_session: dict[str, Built] | None = None


def reset() -> None:
    """Forget everything remembered in this process (settings changed, or a test starts)."""
    _memo.clear()
    _warm.clear()
    _realpaths.clear()
    from .manifest import forget_manifests
    from .proxy import load_proxy

    forget_manifests()
    load_proxy.cache_clear()


@lru_cache(maxsize=4096)
def split_names(argument: str) -> tuple[str, ...]:
    """``"/a.js; /b.js"`` → ``("/a.js", "/b.js")``."""
    return tuple(part.strip() for part in argument.split(";") if part.strip())


def make_key(names: Sequence[str], slim: bool) -> str:
    return ("slim:" if slim else "static:") + ";".join(names)


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
    absolute names."""
    if name.startswith("/") and is_local(name):
        return pipe_settings.media_url + name
    return name


def integrity_of(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode("ascii")


@lru_cache(maxsize=8)
def _generator(dotted_path: str, setting: str) -> Callable[..., str]:
    try:
        return import_string(dotted_path)  # type: ignore[no-any-return]
    except ImportError as exc:
        raise ImproperlyConfigured(f"{setting} = {dotted_path!r} cannot be imported: {exc}") from exc


def _output_name(names: Sequence[str], slim: bool) -> str:
    if len(names) == 1:
        name = names[0]
    else:
        combine = _generator(pipe_settings.combine_filenames_generator, "DJANGO_STATIC_COMBINE_FILENAMES_GENERATOR")
        name = combine(list(names), pipe_settings.name_max_length)
    extension = split_name(name)[1].lower()
    if slim and (extension == ".css" or minifier_for(extension) is not None):
        name = slim_name(name)
    return name


_realpaths: dict[str, str] = {}


def _realpath(folder: str) -> str:
    """``os.path.realpath`` of an output folder, remembered once the folder exists."""
    found = _realpaths.get(folder)
    if found is None:
        found = os.path.realpath(folder)
        if os.path.isdir(folder):
            _realpaths[folder] = found
    return found


def _output_path(url_path: str, anchor: Source) -> str:
    """Where the output goes: under the save folder, or beside the sources in their root."""
    base = pipe_settings.save_prefix or anchor.root
    path = os.path.join(base, url_path.lstrip("/"))
    real_base = _realpath(base)
    real_parent = _realpath(os.path.dirname(path))
    if real_parent != real_base and not real_parent.startswith(real_base.rstrip(os.sep) + os.sep):
        raise SuspiciousFileOperation(
            f"django-static-pipe: refused to write {url_path}: its folder leads to {real_parent}, outside {real_base}."
        )
    return path


def _notfound(key: str, name: str) -> Built:
    message = f"django-static-pipe: {name!r} was not found in any asset root; it is used as it is."
    logger.warning(message)
    warnings.warn(message, MissingAssetWarning, stacklevel=6)
    return Built(key=key, url_path=name, local_url=original_url(name), filepath=None, fingerprints=(), notfound=True)


def _nested(name: str, slim: bool) -> tuple[str, list[Fingerprint]]:
    outcome = build((name,), slim)
    return render(outcome), list(outcome.built.fingerprints)


def _produce(key: str, names: Sequence[str], slim: bool) -> tuple[Built, bool]:
    """Build the output from the sources; return it and whether a file was written."""
    global outputs_produced
    outputs_produced += 1
    normalized = [normalize(name) for name in names]
    found = [resolve(name) for name in normalized]
    if len(found) == 1 and found[0] is None:
        return _notfound(key, names[0]), False
    missing = [name for name, source in zip(normalized, found, strict=True) if source is None]
    if missing:
        raise MissingAssetError(
            f"django-static-pipe: {', '.join(missing)} not found; the bundle is {'; '.join(normalized)}."
        )
    sources = [source for source in found if source is not None]
    if len(sources) > 1 and split_name(normalized[0])[1].lower() in (".js", ".mjs"):
        runs = strict_mode_runs(sources)
        if len(runs) > 1:
            segments = tuple(tuple(names[i] for i in run) for run in runs)
            marker = Built(
                key=key,
                url_path="",
                local_url="",
                filepath=None,
                fingerprints=tuple(fingerprint(source.path) for source in sources),
                refs=tuple(make_key(segment, slim) for segment in segments),
                segments=segments,
            )
            return marker, False
    base_name = _output_name(normalized, slim)
    if len({split_name(name)[1].lower() for name in normalized}) > 1:  # a custom generator may not check
        raise BundleError(f"django-static-pipe: cannot combine files of different types: {'; '.join(normalized)}")
    refs: list[str] = []

    def nested(name: str, nested_slim: bool) -> tuple[str, list[Fingerprint]]:
        refs.append(make_key((name,), nested_slim))
        return _nested(name, nested_slim)

    product = assemble(sources, slim, nested)
    anchor_folder = os.path.dirname(base_name)
    anchor = next((s for s in sources if os.path.dirname(s.name) == anchor_folder), sources[0])
    map_path = None
    if product.sections is not None:
        product, map_path = _with_index_map(product, base_name, anchor)
    data = product.data
    stamp = product.stamp or _stamp(product)
    generate = _generator(pipe_settings.filename_generator, "DJANGO_STATIC_FILENAME_GENERATOR")
    url_path = generate(split_name(base_name), stamp)
    filepath = _output_path(url_path, anchor)
    new = False
    sizes = {path: size for path, _mtime, size in product.fingerprints}  # stat()ed when read
    size = len(data) if data is not None else sizes[product.link_to or ""]
    if not _output_intact(filepath, size):
        writer.write_output(filepath, data, link_to=product.link_to, kinds=pipe_settings.precompress)
        new = True
    built = Built(
        key=key,
        url_path=url_path,
        local_url=local_url_for(url_path),
        filepath=filepath,
        fingerprints=tuple(dict.fromkeys(product.fingerprints)),
        integrity=integrity_of(data) if data is not None else None,
        source_bytes=sum(sizes[source.path] for source in sources),
        refs=tuple(dict.fromkeys(refs)),
        size=size,
        source_map=map_path,
    )
    return built, new


def _stamp(product: Product) -> str:
    if pipe_settings.stamp == "content":
        assert product.data is not None  # assemble copies instead of linking when the name promises the content
        return content_stamp(product.data)
    return mtime_stamp(max(mtime for _path, mtime, _size in product.fingerprints) / 1e9)


def stamped_path(name: str, slim: bool, stamp: str) -> str:
    """The URL path ``name`` is written under with ``stamp`` (set for an @import cycle's members)."""
    generate = _generator(pipe_settings.filename_generator, "DJANGO_STATIC_FILENAME_GENERATOR")
    return generate(split_name(_output_name([name], slim)), stamp)


def _with_index_map(product: Product, base_name: str, anchor: Source) -> tuple[Product, str]:
    """Publish the index source map of a bundle joined without minifying (stamped on its own, so the
    bundle's comment can name it before the bundle's stamp is known); the bundle ends with that comment."""
    assert product.data is not None and product.sections is not None
    map_product = Product(
        data=sourcemaps.dump_map(sourcemaps.index_map(product.sections)), fingerprints=product.fingerprints
    )
    generate = _generator(pipe_settings.filename_generator, "DJANGO_STATIC_FILENAME_GENERATOR")
    url_path = generate(split_name(base_name + ".map"), _stamp(map_product))
    map_path = _output_path(url_path, anchor)
    assert map_product.data is not None
    new = not _output_intact(map_path, len(map_product.data))
    if new:
        writer.write_output(map_path, map_product.data, link_to=None, kinds=pipe_settings.precompress)
    sources = tuple(dict.fromkeys(path for path, _mtime, _size in product.fingerprints))
    url = call_proxy(local_url_for(url_path), new=new, checked=True, filepath=map_path, sources=sources)
    comment = sourcemaps.map_comment_for(split_name(base_name)[1], url)
    return replace(product, data=product.data + b"\n" + comment.encode("utf-8"), sections=None), map_path


def _output_intact(filepath: str, size: int) -> bool:
    """True when ``filepath`` is there with the expected size (-1: any size)."""
    try:
        actual = os.stat(filepath).st_size
    except OSError:
        return False
    return size < 0 or actual == size


def _still_valid(built: Built) -> bool:
    """True when no source changed since ``built`` and its output is still on disk, whole."""
    if built.notfound:
        return False
    if not built.segments and (built.filepath is None or not _output_intact(built.filepath, built.size)):
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


def _from_entry(key: str, entry: dict[str, Any], manifest: Manifest) -> Built:
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


def _remove_replaced(previous: Built, built: Built) -> None:
    if previous.filepath and previous.filepath != built.filepath and previous.filepath not in built.sources:
        removed = writer.remove_output(previous.filepath)
        if previous.source_map and previous.source_map != built.source_map:
            removed += writer.remove_output(previous.source_map)
        if removed:
            logger.info("django-static-pipe: %s changed; removed %s", previous.key, ", ".join(removed))


def build(names: Sequence[str], slim: bool) -> Outcome:
    """Build ``names`` (one file or a bundle) unless a valid earlier build can be used."""
    key = make_key(names, slim)
    remembered = _memo.get(key)
    if remembered is not None and not pipe_settings.debug and _session is None:
        warm = _warm.get(key)
        if warm is None or warm.built is not remembered:
            warm = _warm[key] = Outcome(remembered, new=False, changed=False, checked=False)
        return warm
    outcome = _build_checked(key, names, slim, remembered)
    if _session is not None and not outcome.built.notfound:
        _record(outcome.built)
    return outcome


def _from_manifest(key: str, manifest: Manifest) -> Built | None:
    entry = manifest.get(key)
    return _from_entry(key, entry, manifest) if entry is not None else None


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
        return Outcome(previous, new=False, changed=False, checked=True)
    with locks.exclusive(f"build:{pipe_settings.save_prefix}:{key}"):
        # Another thread or process may have built it while this one waited for the lock.
        done = _built_meanwhile(key, previous, manifest)
        if done is not None:
            _memo[key] = done
            return Outcome(done, new=False, changed=False, checked=True)
        _nesting.depth += 1
        try:
            with remembering():
                built, new = _produce(key, names, slim)
        finally:
            _nesting.depth -= 1
        # Recorded before the lock is released, so whoever waited for it finds the build done. The
        # outputs a build references (images in its CSS) are written to the manifest with it, once.
        _memo[key] = built
        if manifest is not None and not built.notfound and _session is None:
            _nesting.pending[key] = to_entry(built, manifest)
            if _nesting.depth == 0:
                entries, _nesting.pending = _nesting.pending, {}
                manifest.update(entries)
    changed = previous is not None and not previous.notfound and previous.url_path != built.url_path
    # Only a developer's DEBUG render removes what it replaced; a deploy's build leaves old outputs to
    # static_pipe_prune, since pages rendered from the current manifest still name them.
    if changed and pipe_settings.debug and _session is None and previous is not None:
        _remove_replaced(previous, built)
    return Outcome(built, new=new, changed=changed, checked=True)


def reuse_if_current(names: Sequence[str], slim: bool) -> bool:
    """Take the manifest's build of ``names`` when its sources and output are unchanged (recording
    it, and what it references, in the offline session); False when it must be built."""
    manifest = _manifest(for_reading=True)
    if manifest is None:
        return False
    built = _from_manifest(make_key(names, slim), manifest)
    if built is None or not _still_valid(built):
        return False
    _memo[built.key] = built
    if _session is not None:
        _record(built)
    return True


@contextlib.contextmanager
def offline_session() -> Iterator[dict[str, Built]]:
    """Build as the offline build does: every source checked, the manifest only read, and every
    output (nested references included) collected for the manifest the build then writes."""
    global _session
    reset()
    collected: dict[str, Built] = {}
    _session = collected
    try:
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


def disabled_url(name: str) -> str:
    """What a name becomes with ``DJANGO_STATIC`` off."""
    return original_url(name) if pipe_settings.media_url_always else name


def url_for(argument: str, *, slim: bool, from_tag: bool) -> str:
    """The URL for a tag's or the Python API's argument (one name or ``"a; b"``)."""
    names = split_names(argument)
    if not names:
        return argument
    if not pipe_settings.enabled:
        url = disabled_url(argument.strip())
        return url if from_tag else call_proxy(url, disabled=True)
    if len(names) == 1 and not is_local(names[0]):
        return names[0]
    outcome = build(names, slim)
    if outcome.built.segments:
        raise BundleError(mixed_strictness_message(outcome.built.segments))
    return render(outcome)


def mixed_strictness_message(segments: Sequence[Sequence[str]]) -> str:
    groups = " | ".join("; ".join(segment) for segment in segments)
    return (
        "django-static-pipe: these scripts cannot be joined into one file without changing what they do: "
        "some start with 'use strict' and some do not, and a joined file has one mode. Bundle each group "
        f"separately: {groups}"
    )
