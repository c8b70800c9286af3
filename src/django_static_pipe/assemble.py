"""Producing the bytes of one output from its sources: minify, combine, rewrite CSS references.

Nothing here decides names or writes files; :mod:`django_static_pipe.pipeline` does that. CSS
references are handed back to the pipeline through ``NestedBuilder`` so images and imported
stylesheets get stamped names of their own.
"""

from __future__ import annotations

import logging
import os
import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import SuspiciousFileOperation

from . import css, jsrefs, webmanifest
from .conf import pipe_settings
from .exceptions import AssetTooLargeError, BundleError, MissingAssetWarning
from .minify import minifier_for, minify
from .minify_guards import is_strict_script
from .naming import is_minified_name, split_name
from .references import splice, stamped_url
from .sources import Source, locate, remembered_contents, resolve

logger = logging.getLogger("django_static_pipe")

#: (absolute path, mtime in ns, size): enough to tell that a source changed without reading it.
Fingerprint = tuple[str, int, int]
#: Builds ``name`` (slim or not) and returns its final URL and the fingerprints it depends on.
NestedBuilder = Callable[[str, bool], tuple[str, list[Fingerprint]]]

JS_SEPARATOR = "\n;\n"  # the newline ends a trailing // comment; the ; ends a statement left open
CSS_SEPARATOR = "\n"
UTF8_CHARSET_RULE = '@charset "UTF-8";\n'


@dataclass
class Product:
    """The bytes of an output (or the source to symlink to), and every file they depend on."""

    data: bytes | None
    link_to: str | None = None
    fingerprints: list[Fingerprint] = field(default_factory=list)


def read_source(source: Source) -> tuple[bytes, Fingerprint]:
    """Read a source whole (once per build), refusing files over ``DJANGO_STATIC_MAX_SOURCE_BYTES``."""
    contents = remembered_contents()
    if contents is not None and source.path in contents:
        return contents[source.path]
    result = _read(source)
    if contents is not None:
        contents[source.path] = result
    return result


def _read(source: Source) -> tuple[bytes, Fingerprint]:
    limit = pipe_settings.max_source_bytes
    with open(source.path, "rb") as handle:
        stat = os.fstat(handle.fileno())
        if stat.st_size > limit:
            raise AssetTooLargeError(
                f"django-static-pipe: {source.name} ({source.path}) is {stat.st_size} bytes, over "
                f"DJANGO_STATIC_MAX_SOURCE_BYTES = {limit}; raise that setting or serve the file as it is."
            )
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise AssetTooLargeError(f"django-static-pipe: {source.name} grew past {limit} bytes while being read.")
    return data, (source.path, stat.st_mtime_ns, stat.st_size)


def fingerprint(path: str) -> Fingerprint:
    stat = os.stat(path)
    return (path, stat.st_mtime_ns, stat.st_size)


class _ImportStack(threading.local):
    def __init__(self) -> None:
        self.paths: list[str] = []


_import_stack = _ImportStack()


def _warn_missing(what: str) -> None:
    message = f"django-static-pipe: {what}"
    logger.warning(message)
    warnings.warn(message, MissingAssetWarning, stacklevel=4)


class _CssMember:
    """One CSS source being processed; collects the fingerprints of what it references."""

    def __init__(self, source: Source, slim: bool, nested: NestedBuilder, keep_imports: bool) -> None:
        self.source = source
        self.slim = slim
        self.nested = nested
        self.keep_imports = keep_imports
        self.fingerprints: list[Fingerprint] = []

    def _missing_url(self, ref: css.Reference) -> str:
        return pipe_settings.media_url + ref.path + ref.suffix

    def _lookup(self, ref: css.Reference) -> Source | bool | None:
        """The referenced source; None when missing; False when refused."""
        try:
            return resolve(ref.path)
        except SuspiciousFileOperation as exc:
            logger.warning(
                "django-static-pipe: %s references %r, which was refused: %s", self.source.name, ref.written, exc
            )
            return False

    def on_url(self, ref: css.Reference) -> str:
        found = self._lookup(ref)
        if found is False:
            return ref.written
        if found is None:
            _warn_missing(f"{self.source.name} references {ref.written!r}, which does not exist; kept as {ref.path}.")
            return self._missing_url(ref)
        url, fingerprints = self.nested(ref.path, False)
        self.fingerprints.extend(fingerprints)
        return url + ref.suffix

    def on_import(self, ref: css.Reference, media: str) -> str:
        found = self._lookup(ref)
        if found is False:
            return css.import_rule(ref.written, media)
        if found is None:
            _warn_missing(f"{self.source.name} imports {ref.written!r}, which does not exist; kept as {ref.path}.")
            return css.import_rule(self._missing_url(ref), media)
        assert isinstance(found, Source)
        if self.keep_imports:
            url, fingerprints = self.nested(ref.path, self.slim)
            self.fingerprints.extend(fingerprints)
            return css.import_rule(url + ref.suffix, media)
        inlined = _CssMember(found, self.slim, self.nested, keep_imports=False)
        text = inlined.process().strip("\n")
        self.fingerprints.extend(inlined.fingerprints)
        return css.wrap_import_conditions(text, media)

    def process(self) -> str:
        """The member's CSS with references replaced, minified when slim (unless ``*.min.css``)."""
        if self.source.path in _import_stack.paths:
            raise BundleError(
                f"django-static-pipe: @import cycle: {_cycle_names(self.source.path)} → {self.source.name}"
            )
        data, own = read_source(self.source)
        self.fingerprints.append(own)
        text = data.decode(css.declared_charset(data), errors="replace")
        text, _charset = css.split_charset(text)
        _import_stack.paths.append(self.source.path)
        try:
            text = css.rewrite_references(text, self.source.name, self.on_url, self.on_import)
        finally:
            _import_stack.paths.pop()
        if self.slim and not is_minified_name(self.source.name):
            text = minify(".css", text, self.source.name)
        return text


def _cycle_names(path: str) -> str:
    stack = _import_stack.paths
    start = stack.index(path) if path in stack else 0
    return " → ".join(os.path.basename(item) for item in stack[start:])


def _join_css(parts: Sequence[str]) -> bytes:
    text = CSS_SEPARATOR.join(part.strip("\n") for part in parts)
    if not text.isascii():
        text = UTF8_CHARSET_RULE + text
    return text.encode("utf-8")


def assemble_css(members: Sequence[Source], slim: bool, nested: NestedBuilder) -> Product:
    """CSS output: references rewritten per member; the first member keeps its ``@import`` rules."""
    parts: list[str] = []
    fingerprints: list[Fingerprint] = []
    for index, source in enumerate(members):
        member = _CssMember(source, slim, nested, keep_imports=index == 0)
        parts.append(member.process())
        fingerprints.extend(member.fingerprints)
    return Product(data=_join_css(parts), fingerprints=fingerprints)


def _decode(data: bytes) -> str:
    return data.decode("utf-8", errors="surrogateescape")


def _encode(text: str) -> bytes:
    return text.encode("utf-8", errors="surrogateescape")


def rewrite_module_specifiers(
    text: str, source: Source, slim: bool, nested: NestedBuilder, fingerprints: list[Fingerprint]
) -> str:
    """Static ``import``/``export … from`` and literal ``import()`` specifiers that name local files
    become those files' stamped URLs, so a script keeps finding its modules under the prefix (a
    classic script's dynamic imports resolve against its own URL too, as in a module)."""
    edits = []
    for specifier in jsrefs.specifiers(text):
        if not specifier.value.startswith(("./", "../", "/")) and "://" not in specifier.value:
            continue  # a bare specifier ("lodash") is for an import map to resolve
        try:
            located = locate(specifier.value, base=source.name, decode=True)
        except SuspiciousFileOperation as exc:
            logger.warning(
                "django-static-pipe: %s imports %r, which was refused: %s", source.name, specifier.value, exc
            )
            continue
        if located is None:
            continue
        url = stamped_url(
            located, origin=source.name, written=specifier.value, slim=slim, nested=nested, fingerprints=fingerprints
        )
        if url is not None:
            edits.append((specifier.start, specifier.end, jsrefs.quoted_for_js(url, specifier.quote)))
    return splice(text, edits) if edits else text


def assemble_text(members: Sequence[Source], extension: str, slim: bool, nested: NestedBuilder) -> Product:
    """JS (or another minifiable text type): each member minified on its own, then joined."""
    parts: list[str] = []
    fingerprints: list[Fingerprint] = []
    for source in members:
        data, own = read_source(source)
        fingerprints.append(own)
        text = _decode(data)
        if extension in (".js", ".mjs"):
            text = rewrite_module_specifiers(text, source, slim, nested, fingerprints)
        elif extension == webmanifest.EXTENSION:
            text = webmanifest.rewrite(text, source, slim, nested, fingerprints)
        if slim and not is_minified_name(source.name):
            text = minify(extension, text, source.name)
        parts.append(text)
    separator = JS_SEPARATOR if extension in (".js", ".mjs") else "\n"
    return Product(data=_encode(separator.join(parts)), fingerprints=fingerprints)


def can_combine(extension: str) -> bool:
    return extension == ".css" or minifier_for(extension) is not None or extension in (".js", ".mjs")


def assemble(members: Sequence[Source], slim: bool, nested: NestedBuilder) -> Product:
    """The output for ``members`` (one or several sources of the same extension)."""
    extension = split_name(members[0].name)[1].lower()
    if extension == ".css":
        return assemble_css(members, slim, nested)
    if len(members) > 1 and not can_combine(extension):
        raise BundleError(
            f"django-static-pipe: only CSS and JS files can be combined, not {extension} "
            f"({', '.join(source.name for source in members)})."
        )
    source = members[0]
    minifies = slim and not is_minified_name(source.name) and minifier_for(extension) is not None
    # Module syntax is looked for only when it decides (assemble_text lexes the script itself).
    if len(members) > 1 or minifies or _rewritten(source, extension):
        return assemble_text(members, extension, slim, nested)
    # A single file passed through as it is: a symlink to the source, or a copy of it. A symlink
    # follows its source when that changes, so it is not used when the name or an SRI hash promises
    # the content (content stamps, DJANGO_STATIC_SRI): there a copy keeps the promise.
    if pipe_settings.use_symlink and pipe_settings.stamp == "mtime" and not pipe_settings.sri:
        return Product(data=None, link_to=source.path, fingerprints=[fingerprint(source.path)])
    data, own = read_source(source)
    return Product(data=data, fingerprints=[own])


def _rewritten(source: Source, extension: str) -> bool:
    return extension == webmanifest.EXTENSION or (extension in (".js", ".mjs") and _has_module_syntax(source))


def _has_module_syntax(source: Source) -> bool:
    data, _own = read_source(source)
    return bool(jsrefs.specifiers(_decode(data)))


def strict_mode_runs(members: Sequence[Source]) -> list[list[int]]:
    """Indexes of ``members`` grouped into consecutive runs of the same strictness.

    One run means the scripts can be joined; several mean joining would change what they do.
    """
    runs: list[list[int]] = []
    previous: bool | None = None
    for index, source in enumerate(members):
        data, _own = read_source(source)
        strict = is_strict_script(_decode(data))
        if strict is not previous:
            runs.append([])
            previous = strict
        runs[-1].append(index)
    return runs
