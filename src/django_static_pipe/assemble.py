"""Producing the bytes of one output from its sources: minify, combine, rewrite CSS references.

Nothing here decides names or writes files; :mod:`django_static_pipe.pipeline` does that. CSS
references are handed back to the pipeline through ``NestedBuilder`` so images and imported
stylesheets get stamped names of their own.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import SuspiciousFileOperation

from . import charsets, css, jsrefs, linemap, script_bytes, sourcemaps, webmanifest
from .conf import pipe_settings
from .exceptions import BundleError, ImportCycleWarning
from .map_assets import (
    Part,
    ends_with_map_comment,
    join_parts,
    member_map,
    published_map,
    published_map_comment,
    script_with_published_map,
    sections_of,
)
from .minify import minifier_for, minify
from .minify_guards import is_strict_script
from .naming import is_minified_name, split_name
from .products import Fingerprint as Fingerprint  # the pipeline's modules take these from here
from .products import NestedBuilder as NestedBuilder
from .products import Product as Product
from .products import fingerprint as fingerprint
from .products import read_source, source_url, warn_encoding, warn_missing
from .references import splice, stamped_url
from .sources import Source, locate, normalize, resolve

logger = logging.getLogger("django_static_pipe")

JS_SEPARATOR = "\n;\n"  # the newline ends a trailing // comment; the ; ends a statement left open
CSS_SEPARATOR = "\n"
UTF8_CHARSET_RULE = '@charset "UTF-8";\n'


class _ImportStack(threading.local):
    def __init__(self) -> None:
        self.paths: list[str] = []


_import_stack = _ImportStack()


class _CssMember:
    """One CSS source being processed; collects the fingerprints of what it references.

    ``single``: the member is an output of its own (its map comment names its published map). Without
    ``keep_imports`` (a later member of a combined file) imports are written in place, and an import
    of a file already being written in place is left out, as browsers leave it out (an ``@import``
    cycle between files of their own is :mod:`django_static_pipe.cycles`'s).
    """

    def __init__(
        self,
        source: Source,
        slim: bool,
        nested: NestedBuilder,
        keep_imports: bool,
        *,
        single: bool = False,
        track_lines: bool = False,
    ) -> None:
        self.source = source
        self.slim = slim
        self.nested = nested
        self.keep_imports = keep_imports
        self.single = single
        self.track_lines = track_lines
        self.fingerprints: list[Fingerprint] = []
        self.raw = False
        self.origins: list[linemap.Origin] = []
        self.contents: dict[str, str] = {}  # source URL → text, for the sourcesContent of an index map
        self.own_map: dict[str, Any] | None = None
        self._edits: list[tuple[linemap.Edit, bool]] = []  # and whether the replacement is raw text
        self._pending: tuple[tuple[linemap.Origin | None, ...], bool] | None = None

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
            warn_missing(f"{self.source.name} references {ref.written!r}, which does not exist; kept as {ref.path}.")
            return self._missing_url(ref)
        url, fingerprints = self.nested(ref.path, False)
        self.fingerprints.extend(fingerprints)
        return url + ref.suffix

    def on_import(self, ref: css.Reference, media: str) -> str:
        found = self._lookup(ref)
        if found is False:
            return css.import_rule(ref.written, media)
        if found is None:
            warn_missing(f"{self.source.name} imports {ref.written!r}, which does not exist; kept as {ref.path}.")
            return css.import_rule(self._missing_url(ref), media)
        assert isinstance(found, Source)
        if self.keep_imports:
            url, fingerprints = self.nested(ref.path, self.slim)
            self.fingerprints.extend(fingerprints)
            return css.import_rule(url + ref.suffix, media)
        if found.path in _import_stack.paths:
            warn_missing(
                f"@import cycle: {_cycle_names(found.path)} → {found.name}; {self.source.name}'s import of "
                f"{ref.written!r} is left out of the combined file, as browsers leave it out.",
                ImportCycleWarning,
            )
            return ""
        inlined = _CssMember(found, self.slim, self.nested, keep_imports=False, track_lines=self.track_lines)
        processed = inlined.process()
        text = processed.strip("\n")
        self.fingerprints.extend(inlined.fingerprints)
        self.contents.update(inlined.contents)
        lead = len(processed) - len(processed.lstrip("\n"))
        before, after = _wrapper_lines(media)
        origins = [None] * before + inlined.origins[lead : lead + text.count("\n") + 1] + [None] * after
        self._pending = (tuple(origins), inlined.raw)
        return css.wrap_import_conditions(text, media)

    def _on_edit(self, start: int, end: int, replacement: str) -> None:
        origins, raw = self._pending if self._pending is not None else (None, self.raw)
        self._pending = None
        self._edits.append((linemap.Edit(start, end, replacement, origins), raw))

    def process(self) -> str:
        """The member's CSS with references replaced, minified when slim (unless ``*.min.css``)."""
        data, own = read_source(self.source)
        self.fingerprints.append(own)
        decoded = charsets.decode_stylesheet(data)
        self.raw = decoded.raw
        if decoded.raw:
            warn_encoding(charsets.why_raw(self.source.name, decoded))
            source_text = decoded.text  # its @charset (if any) stays: the bytes stay as they are
        else:
            source_text = css.split_charset(decoded.text)[0]
        inline = not self.keep_imports
        if inline:
            _import_stack.paths.append(self.source.path)
        try:
            text = css.rewrite_references(source_text, self.source.name, self.on_url, self.on_import, self._on_edit)
        finally:
            if inline:
                _import_stack.paths.pop()
        if any(raw != self.raw for _edit, raw in self._edits):
            text = self._one_kind(source_text)
        if self.track_lines:
            url = source_url(self.source.name)
            self.origins = linemap.track(url, source_text, [edit for edit, _raw in self._edits])
            self.contents[url] = source_text
        text = self._map_comment(text)
        if self.slim and not is_minified_name(self.source.name):
            text = minify(".css", text, self.source.name, raw=self.raw)
        return text

    def _one_kind(self, source_text: str) -> str:
        """The rewritten text as raw text when raw and decoded parts meet (an import written in place):
        each part keeps its own bytes."""
        parts: list[str] = []
        position = 0
        for edit, raw in self._edits:
            parts.append(charsets.as_raw(source_text[position : edit.start], self.raw))
            parts.append(charsets.as_raw(edit.replacement, raw))
            position = edit.end
        parts.append(charsets.as_raw(source_text[position:], self.raw))
        self.raw = True
        return "".join(parts)

    def _map_comment(self, text: str) -> str:
        """A file of its own keeps its map, published under a stamped name; anything else drops the
        comment (a minified or combined text is not what the map describes)."""
        if self.slim and not is_minified_name(self.source.name):
            return text  # minifying drops it (see minify)
        comment = sourcemaps.find_map_comment(text) if sourcemaps.MARKER in text else None
        if comment is None:
            return text
        if self.single and pipe_settings.source_maps:
            return published_map_comment(text, comment, self.source.name, self.nested, self.fingerprints)
        if self.track_lines:
            self.own_map = member_map(self.source.name, comment.url, self.fingerprints)
        return text[: comment.start] + text[comment.end :]


def _wrapper_lines(media: str) -> tuple[int, int]:
    """Lines that :func:`css.wrap_import_conditions` adds before and after the CSS it wraps."""
    empty = css.wrap_import_conditions("", media)
    layers = empty.count("{")  # imedia holds no braces, so each one opens a wrapping rule
    return empty[: len(empty) - 2 * layers].count("\n"), layers


def _cycle_names(path: str) -> str:
    stack = _import_stack.paths
    start = stack.index(path) if path in stack else 0
    return " → ".join(os.path.basename(item) for item in stack[start:])


def assemble_css(members: Sequence[Source], slim: bool, nested: NestedBuilder) -> Product:
    """CSS output: references rewritten per member; the first member keeps its ``@import`` rules."""
    single = len(members) == 1
    maps = not single and not slim and pipe_settings.source_maps
    parts: list[Part] = []
    fingerprints: list[Fingerprint] = []
    for index, source in enumerate(members):
        member = _CssMember(source, slim, nested, keep_imports=index == 0, single=single, track_lines=maps)
        processed = member.process()
        text = processed.strip("\n")
        lead = len(processed) - len(processed.lstrip("\n"))
        origins = member.origins[lead : lead + text.count("\n") + 1]
        parts.append(
            Part(source.name, text, member.raw, origins, member.contents, member.own_map if not lead else None)
        )
        fingerprints.extend(member.fingerprints)
    raw = any(part.raw for part in parts)
    prefix = UTF8_CHARSET_RULE if not raw and not all(part.text.isascii() for part in parts) else ""
    data, lines = join_parts(parts, CSS_SEPARATOR, prefix)
    sections = sections_of(parts, lines) if maps else None
    return Product(data=data, fingerprints=fingerprints, sections=sections)


_UTF8_BOM = "\ufeff"


def rewrite_module_specifiers(
    text: str, source: Source, slim: bool, nested: NestedBuilder, fingerprints: list[Fingerprint]
) -> str:
    """Static ``import``/``export … from`` and literal ``import()`` specifiers that name local files
    become those files' stamped URLs, so a script keeps finding its modules under the prefix (a
    classic script's dynamic imports resolve against its own URL too, as in a module)."""
    edits = []
    for specifier in jsrefs.local_specifiers(text):  # a bare one ("lodash") is for an import map
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
    """JS (or another minifiable text type): each member minified on its own, then joined.

    A file of its own that is not minified keeps its map, published under a stamped name; otherwise
    a member's map comment is dropped (minified or joined, the text is not what its map describes),
    and joined without minifying, each member gets a section of the index map published beside it.
    """
    script = extension in (".js", ".mjs")
    maps = script and len(members) > 1 and not slim and pipe_settings.source_maps
    parts: list[Part] = []
    fingerprints: list[Fingerprint] = []
    by_bytes = script and len(members) == 1 and slim and not is_minified_name(members[0].name)
    for source in members:
        data, own = read_source(source, last=True)
        fingerprints.append(own)
        if by_bytes:  # a script of its own, minified: its text may not be needed at all
            held = [data]
            del data
            packed = script_bytes.minified_script(extension, held, source.name)
            if packed is not None:
                return Product(data=packed, fingerprints=fingerprints)
            data = held.pop()
        decoded = charsets.decode_script(data)
        text, raw, bom = decoded.text, decoded.raw, decoded.declared_by == "bom" and not decoded.raw
        del decoded, data  # ``text`` is then the only copy: each rewrite below frees the one before
        if script:
            text = rewrite_module_specifiers(text, source, slim, nested, fingerprints)
        elif extension == webmanifest.EXTENSION:
            text = webmanifest.rewrite(text, source, slim, nested, fingerprints)
        minified = slim and not is_minified_name(source.name)
        own_map = None
        # Minifying drops the comment (see minify); a map comment is looked for only where it stays.
        wanted = script and not minified and sourcemaps.MARKER in text
        comment = sourcemaps.find_script_map_comment(text) if wanted else None
        if comment is not None and len(members) == 1 and pipe_settings.source_maps:
            text = published_map_comment(text, comment, source.name, nested, fingerprints)
        elif comment is not None:
            own_map = member_map(source.name, comment.url, fingerprints) if maps else None
            text = text[: comment.start] + text[comment.end :]
        if minified:
            text = minify(extension, text, source.name, raw=raw)
        url = source_url(source.name) if maps else ""
        origins = linemap.lines_of(url, text) if maps else []
        parts.append(Part(source.name, text, raw, origins, {url: text} if maps else {}, own_map, bom))
    # A byte order mark made browsers read that member as UTF-8 whatever the page's encoding: so must
    # the joined file, when it is not all ASCII.
    raw = any(part.raw for part in parts)
    bom = not raw and any(part.bom for part in parts) and not all(part.text.isascii() for part in parts)
    separator = JS_SEPARATOR if script else "\n"
    data, lines = join_parts(parts, separator, _UTF8_BOM if bom else "")
    return Product(data=data, fingerprints=fingerprints, sections=sections_of(parts, lines) if maps else None)


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
    if pipe_settings.source_maps:
        if extension in (".js", ".mjs") and ends_with_map_comment(source):
            return script_with_published_map(source, nested)
        if extension == ".map":
            return published_map(source)
    if _links_to_source():
        return Product(data=None, link_to=source.path, fingerprints=[fingerprint(source.path)])
    data, own = read_source(source)
    return Product(data=data, fingerprints=[own])


#: Extensions whose single-file output may differ from the file: references rewritten, a map published.
_REWRITTEN_EXTENSIONS = frozenset({".css", ".js", ".mjs", ".map", webmanifest.EXTENSION})


def _links_to_source() -> bool:
    """Whether a single file passed through as it is becomes a link to its source (writer.link_atomic)
    rather than a copy. A link shows later edits made in place, so it is not used when the name or an
    SRI hash promises the content (content stamps, DJANGO_STATIC_SRI): there a copy keeps the promise."""
    return pipe_settings.use_symlink and pipe_settings.stamp == "mtime" and not pipe_settings.sri


def passes_through(names: Sequence[str], slim: bool) -> bool:
    """True when the output of ``names`` is a link to one source file as it is (an image, a font).

    Nothing in it is read, rewritten or nested, so two workers making it at once only do a stat and a
    link twice: cheaper than taking a lock. A copy (content stamps, SRI) is made under the lock.
    """
    if len(names) != 1 or not _links_to_source():
        return False
    extension = split_name(normalize(names[0]))[1].lower()  # "/a.css/." is a stylesheet
    return extension not in _REWRITTEN_EXTENSIONS and not (slim and minifier_for(extension) is not None)


def _rewritten(source: Source, extension: str) -> bool:
    return extension == webmanifest.EXTENSION or (extension in (".js", ".mjs") and _names_local_modules(source))


def _names_local_modules(source: Source) -> bool:
    data, _own = read_source(source)
    return bool(jsrefs.local_specifiers(charsets.decode_script(data).text))


def strict_mode_runs(members: Sequence[Source]) -> list[list[int]]:
    """Indexes of ``members`` grouped into consecutive runs of the same strictness.

    One run means the scripts can be joined; several mean joining would change what they do.
    """
    runs: list[list[int]] = []
    previous: bool | None = None
    for index, source in enumerate(members):
        data, _own = read_source(source)
        strict = is_strict_script(charsets.decode_script(data).text)
        if strict is not previous:
            runs.append([])
            previous = strict
        runs[-1].append(index)
    return runs
