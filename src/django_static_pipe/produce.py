"""Producing one output: sources read and assembled, a stamped name chosen, the file written.

:mod:`pipeline` decides *whether* to build (memo, manifest, locks); this module does the building.
Members of an import cycle are finished together (see :mod:`cycles`).
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from django.core.exceptions import ImproperlyConfigured, SuspiciousFileOperation
from django.utils.module_loading import import_string

from . import cycles, places, precompress, sourcemaps
from .assemble import (
    Fingerprint,
    NestedBuilder,
    Product,
    assemble,
    fingerprint,
    passes_through,
    strict_mode_runs,
)
from .built import Built, integrity_of, local_url_for, make_key, original_url
from .conf import pipe_settings
from .exceptions import BundleError, ImportCycleWarning, MissingAssetError, MissingAssetWarning
from .minify import minifier_for
from .naming import content_stamp, mtime_stamp, slim_name, split_name
from .proxy import call_proxy
from .sources import Source, normalize, resolve

logger = logging.getLogger("django_static_pipe")

#: The most members a bundle may have: names from a request must not make arbitrarily large files.
MAX_BUNDLE_MEMBERS = 256

#: Outputs this process has produced (sources read and assembled): a herd of cold workers should
#: produce each output once between them.
outputs_produced = 0


@lru_cache(maxsize=8)
def _generator(dotted_path: str, setting: str) -> Callable[..., str]:
    try:
        return import_string(dotted_path)  # type: ignore[no-any-return]
    except ImportError as exc:
        raise ImproperlyConfigured(f"{setting} = {dotted_path!r} cannot be imported: {exc}") from exc


def output_name(names: Sequence[str], slim: bool) -> str:
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


def forget_paths() -> None:
    _realpaths.clear()


def _realpath(folder: str) -> str:
    """``os.path.realpath`` of an output folder, remembered once the folder exists."""
    found = _realpaths.get(folder)
    if found is None:
        found = os.path.realpath(folder)
        if os.path.isdir(folder):
            _realpaths[folder] = found
    return found


def output_path(url_path: str, anchor: Source) -> str:
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


def output_intact(filepath: str, size: int) -> bool:
    """True when ``filepath`` is there with the expected size (-1: any size)."""
    try:
        actual = os.stat(filepath).st_size
    except OSError:
        return False
    return size < 0 or actual == size


def notfound(key: str, name: str) -> Built:
    message = f"django-static-pipe: {places.prefix()}{name!r} was not found in any asset root; it is used as it is."
    logger.warning(message)
    warnings.warn(message, MissingAssetWarning, stacklevel=7)
    return Built(key=key, url_path=name, local_url=original_url(name), filepath=None, fingerprints=(), notfound=True)


@dataclass
class _Made:
    """An assembled output before it is named: what a cycle member waits with."""

    key: str
    base_name: str
    anchor: Source
    product: Product
    source_bytes: int
    refs: tuple[str, ...]
    source_map: str | None = None


@dataclass
class Produced:
    """What producing a key gave: its build (pending for a waiting cycle member), whether a file was
    written, and the other members of its cycle finished with it."""

    built: Built
    new: bool
    members: list[Built]


def _members(names: Sequence[str]) -> list[Source]:
    if len(set(names)) != len(names):
        raise BundleError(f"django-static-pipe: a bundle names a file more than once: {'; '.join(names)}")
    if len(names) > MAX_BUNDLE_MEMBERS:
        raise BundleError(
            f"django-static-pipe: a bundle of {len(names)} files is over the limit of {MAX_BUNDLE_MEMBERS}."
        )
    found = [resolve(name) for name in names]
    missing = [name for name, source in zip(names, found, strict=True) if source is None]
    if missing:
        raise MissingAssetError(
            f"django-static-pipe: {', '.join(missing)} not found; the bundle is {'; '.join(names)}."
        )
    sources = [source for source in found if source is not None]
    if len(sources) > 1:
        total = sum(os.path.getsize(source.path) for source in sources)
        if total > pipe_settings.max_source_bytes:
            raise BundleError(
                f"django-static-pipe: the bundle {'; '.join(names)} is {total} bytes, over "
                f"DJANGO_STATIC_MAX_SOURCE_BYTES = {pipe_settings.max_source_bytes}."
            )
    return sources


def produce(key: str, names: Sequence[str], slim: bool, nested: NestedBuilder) -> Produced:
    """Build the output of ``names`` from the sources (the caller holds the build lock)."""
    global outputs_produced
    outputs_produced += 1
    if passes_through(names, slim):
        return _produce_link(key, normalize(names[0]))
    normalized = [normalize(name) for name in names]
    if len(normalized) == 1 and resolve(normalized[0]) is None:
        return Produced(notfound(key, normalized[0]), new=False, members=[])
    sources = _members(normalized)
    if len(sources) > 1 and split_name(normalized[0])[1].lower() in (".js", ".mjs"):
        runs = strict_mode_runs(sources)
        if len(runs) > 1:
            segments = tuple(tuple(normalized[i] for i in run) for run in runs)
            marker = Built(
                key=key,
                url_path="",
                local_url="",
                filepath=None,
                fingerprints=tuple(fingerprint(source.path) for source in sources),
                refs=tuple(make_key(segment, slim) for segment in segments),
                segments=segments,
            )
            return Produced(marker, new=False, members=[])
    base_name = output_name(normalized, slim)
    if len({split_name(name)[1].lower() for name in normalized}) > 1:  # a custom generator may not check
        raise BundleError(f"django-static-pipe: cannot combine files of different types: {'; '.join(normalized)}")
    refs: list[str] = []

    def recording(name: str, nested_slim: bool) -> tuple[str, list[Fingerprint]]:
        refs.append(make_key((name,), nested_slim))
        return nested(name, nested_slim)

    with cycles.building(key):
        product = assemble(sources, slim, recording)
        source_map = None
        if product.sections is not None:  # a bundle is never a member of a cycle: nothing names it
            product, source_map = _with_index_map(product, base_name, _anchor(sources, base_name))
        made = _Made(
            key=key,
            base_name=base_name,
            anchor=_anchor(sources, base_name),
            product=product,
            source_bytes=_source_bytes(product, sources),
            refs=tuple(dict.fromkeys(refs)),
            source_map=source_map,
        )
        role = cycles.role(key)
        if role == "member":
            cycles.wait(key, made)
            pending = Built(key=key, url_path="", local_url="", filepath=None, fingerprints=(), pending=True)
            return Produced(pending, new=False, members=[])
        if role == "outermost":
            group = [made] + [waiting.details for waiting in cycles.take_group(key)]
            builts, new = _finish_cycle(group)
            return Produced(builts[0], new=new, members=builts[1:])
    built, new = _finish(made, _stamp_of([made]), {})
    return Produced(built, new=new, members=[])


def _produce_link(key: str, name: str) -> Produced:
    """An image or a font as it is (see :func:`assemble.passes_through`): a link named by its
    source's mtime. What cannot apply to one (members, minifying, references, cycles) is left out: a
    cold page makes one for every image its CSS names."""
    source = resolve(name)
    if source is None:
        return Produced(notfound(key, name), new=False, members=[])
    own = fingerprint(source.path)
    product = Product(data=None, link_to=source.path, fingerprints=[own])
    made = _Made(key=key, base_name=name, anchor=source, product=product, source_bytes=own[2], refs=())
    built, new = _finish(made, _stamp_of([made]), {})
    return Produced(built, new=new, members=[])


def _source_bytes(product: Product, sources: list[Source]) -> int:
    sizes = {path: size for path, _mtime, size in product.fingerprints}  # stat()ed when read
    return sum(sizes.get(source.path, 0) for source in sources)


def _anchor(sources: list[Source], base_name: str) -> Source:
    anchor_folder = os.path.dirname(base_name)
    return next((s for s in sources if os.path.dirname(s.name) == anchor_folder), sources[0])


def _stamp_of(group: list[_Made], canonical: dict[bytes, bytes] | None = None) -> str:
    """The stamp of an output, or of a whole cycle; ``canonical`` turns each placeholder (random for
    every build) into its member's key, so the same files always get the same stamp."""
    if pipe_settings.stamp == "content":
        if len(group) == 1 and not canonical:
            data = group[0].product.data
            assert data is not None  # assemble copies instead of linking when the name promises the content
            return content_stamp(data)
        digested = []
        for made in sorted(group, key=lambda made: made.key):
            data = made.product.data or b""
            for placeholder, key in (canonical or {}).items():
                data = data.replace(placeholder, key)
            digested.append(made.key.encode("utf-8", "surrogateescape") + b"\0" + data + b"\0")
        return content_stamp(b"".join(digested))
    return mtime_stamp(max(mtime for made in group for _path, mtime, _size in made.product.fingerprints) / 1e9)


def _finish(made: _Made, stamp: str, substitutions: dict[bytes, bytes]) -> tuple[Built, bool]:
    """Name ``made`` with ``stamp``, put the cycle's URLs in place of their placeholders, write it."""
    product = made.product
    data = product.data
    if data is not None:
        for placeholder, url in substitutions.items():
            data = data.replace(placeholder, url)
    generate = _generator(pipe_settings.filename_generator, "DJANGO_STATIC_FILENAME_GENERATOR")
    url_path = generate(split_name(made.base_name), stamp)
    filepath = output_path(url_path, made.anchor)
    sizes = {path: size for path, _mtime, size in product.fingerprints}  # stat()ed when read
    size = len(data) if data is not None else sizes[product.link_to or ""]
    new = False
    if not output_intact(filepath, size):
        precompress.write_output(
            filepath, data, link_to=product.link_to, kinds=pipe_settings.precompress, hard_link=pipe_settings.hard_links
        )
        new = True
    built = Built(
        key=made.key,
        url_path=url_path,
        local_url=local_url_for(url_path),
        filepath=filepath,
        fingerprints=tuple(dict.fromkeys(product.fingerprints)),
        integrity=integrity_of(data) if data is not None else None,
        source_bytes=made.source_bytes,
        refs=made.refs,
        size=size,
        source_map=made.source_map,
    )
    return built, new


def _with_index_map(product: Product, base_name: str, anchor: Source) -> tuple[Product, str]:
    """Publish the index source map of a bundle joined without minifying, stamped on its own (so the
    bundle can name it before its own stamp is known); the bundle ends with the comment naming it."""
    assert product.data is not None and product.sections is not None
    data = sourcemaps.dump_map(sourcemaps.index_map(product.sections))
    if pipe_settings.stamp == "content":
        stamp = content_stamp(data)
    else:
        stamp = mtime_stamp(max(mtime for _path, mtime, _size in product.fingerprints) / 1e9)
    generate = _generator(pipe_settings.filename_generator, "DJANGO_STATIC_FILENAME_GENERATOR")
    url_path = generate(split_name(base_name + ".map"), stamp)
    map_path = output_path(url_path, anchor)
    new = not output_intact(map_path, len(data))
    if new:
        precompress.write_output(map_path, data, link_to=None, kinds=pipe_settings.precompress)
    sources = tuple(dict.fromkeys(path for path, _mtime, _size in product.fingerprints))
    url = call_proxy(local_url_for(url_path), new=new, checked=True, filepath=map_path, sources=sources)
    comment = sourcemaps.map_comment_for(split_name(base_name)[1], url)
    return replace(product, data=product.data + b"\n" + comment.encode("utf-8"), sections=None), map_path


def _finish_cycle(group: list[_Made]) -> tuple[list[Built], bool]:
    """One stamp for the whole cycle; every member's placeholders become the members' URLs."""
    generate = _generator(pipe_settings.filename_generator, "DJANGO_STATIC_FILENAME_GENERATOR")
    placeholders = cycles.placeholders_of([made.key for made in group])
    canonical = {
        placeholder.encode("ascii"): b"\0" + key.encode("utf-8", "surrogateescape") + b"\0"
        for key, placeholder in placeholders.items()
    }
    stamp = _stamp_of(group, canonical)
    substitutions = {
        placeholders[made.key].encode("ascii"): local_url_for(generate(split_name(made.base_name), stamp)).encode(
            "utf-8", "surrogateescape"
        )
        for made in group
    }
    # Every member depends on every other one's sources: a change anywhere renames them all.
    everything = tuple(dict.fromkeys(fp for made in group for fp in made.product.fingerprints))
    builts: list[Built] = []
    wrote = False
    for made in group:
        made.product.fingerprints = list(everything)
        built, new = _finish(made, stamp, substitutions)
        builts.append(built)
        wrote = wrote or new
    names = [made.key.partition(":")[2] for made in [group[0], *reversed(group[1:])]]
    cycle = " → ".join([*names, names[0]])
    if any(split_name(name)[1].lower() == ".css" for name in names):
        # An @import cycle is a mistake in the CSS (browsers ignore the repeated import); module
        # cycles are ordinary JavaScript and only logged.
        message = f"django-static-pipe: @import cycle: {cycle}; the files are stamped together ({stamp})."
        logger.warning(message)
        warnings.warn(message, ImportCycleWarning, stacklevel=8)
    else:
        logger.info("django-static-pipe: import cycle %s stamped together as %s.", cycle, stamp)
    return builts, wrote
