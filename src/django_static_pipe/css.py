"""Finding and replacing ``url(...)`` and ``@import`` references inside CSS.

References are resolved against the location of the CSS file they are written in (before any
concatenation) and made absolute. Comments and strings are skipped, so ``content: "url(x)"`` and
commented-out rules are left alone. What a reference becomes is decided by the caller.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote

from .sources import is_local

_TOKENS = re.compile(
    r"""
      (?P<comment>/\*.*?(?:\*/|\Z))
    | (?P<import>@import\s+
        (?:url\(\s*(?P<iq>["']?)(?P<iurl>.*?)(?P=iq)\s*\)
          |(?P<iq2>["'])(?P<iurl2>.*?)(?P=iq2))
        (?P<imedia>[^;{}]*)(?:;|(?=\})|\Z))
    | (?P<string>"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')
    | (?P<url>url\(\s*(?P<q>["']?)(?P<uurl>.*?)(?P=q)\s*\))
    """,
    re.DOTALL | re.IGNORECASE | re.VERBOSE,
)
_TOKEN_START = re.compile(r"/\*|@import|[\"']|url\(", re.IGNORECASE)
_CHARSET = re.compile(r'^\ufeff?\s*@charset\s+["\']([^"\']*)["\']\s*;', re.IGNORECASE)
DOUBLE_QUOTE = '"'
_NEEDS_QUOTES = re.compile(r"[\s()'\"\\]")


@dataclass(frozen=True)
class Reference:
    """A local reference: ``path`` is absolute and decoded; ``suffix`` is the query and fragment."""

    path: str
    suffix: str
    written: str


def split_charset(text: str) -> tuple[str, str | None]:
    """Remove a leading ``@charset`` rule; return the rest and the declared encoding."""
    match = _CHARSET.match(text)
    if not match:
        return text.lstrip("\ufeff"), None
    return text[match.end() :], match.group(1)


def declared_charset(data: bytes) -> str:
    """The encoding a CSS file declares with ``@charset`` (UTF-8 when it declares none)."""
    match = _CHARSET.match(data[:256].decode("latin-1"))
    return match.group(1) if match else "utf-8"


def resolve_reference(written: str, css_name: str) -> Reference | None:
    """Resolve ``written`` (as found in the CSS at ``css_name``) to an absolute path; None if not local."""
    written = written.strip()
    if not is_local(written):
        return None
    cut = min((i for i in (written.find("?"), written.find("#")) if i >= 0), default=len(written))
    raw_path, suffix = written[:cut], written[cut:]
    if not raw_path:
        return None
    base_folder = posixpath.dirname("/" + css_name.lstrip("/"))
    joined = raw_path if raw_path.startswith("/") else posixpath.join(base_folder, raw_path)
    path = posixpath.normpath(unquote(joined))
    if path.startswith("//"):  # normpath keeps a leading '//'; it is still a path on this host
        path = "/" + path.lstrip("/")
    return Reference(path=path, suffix=suffix, written=written)


def format_url(url: str, quote: str) -> str:
    """``url(...)`` for ``url``, quoted as the original was, or double-quoted when it must be."""
    if not quote and _NEEDS_QUOTES.search(url):
        quote = '"'
    if quote:
        url = url.replace("\\", "\\\\").replace(quote, "\\" + quote)
    return f"url({quote}{url}{quote})"


UrlReplacer = Callable[[Reference], str]
ImportReplacer = Callable[[Reference, str], str]


_MARKERS = ("/*", "@import", '"', "'", "url(")


class _TokenStarts:
    """The next position at or after a given one where a token may start."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.ascii = text.isascii()
        self.lower = text.lower() if self.ascii else text
        self.found = {marker: -2 for marker in _MARKERS}  # -2: not looked for yet

    def next_from(self, position: int) -> int:
        if not self.ascii:
            match = _TOKEN_START.search(self.text, position)
            return match.start() if match else -1
        best = -1
        for marker, at in self.found.items():
            if at != -1 and at < position:
                at = self.found[marker] = self.lower.find(marker, position)
            if at >= 0 and (best < 0 or at < best):
                best = at
        return best


def rewrite_references(
    text: str,
    css_name: str,
    on_url: UrlReplacer,
    on_import: ImportReplacer,
    on_edit: Callable[[int, int, str], None] | None = None,
) -> str:
    """Replace every local ``url()`` by ``url(on_url(ref))`` and every local ``@import`` by
    ``on_import(ref, media)``; everything else is kept byte for byte. ``on_edit(start, end, new)`` hears
    of every replacement (a source map follows the lines with it)."""

    def replace(match: re.Match[str]) -> str:
        if match.group("import") is not None:
            written = match.group("iurl") if match.group("iurl") is not None else match.group("iurl2")
            ref = resolve_reference(written, css_name)
            if ref is None:
                return match.group(0)
            return on_import(ref, match.group("imedia").strip())
        if match.group("url") is not None:
            ref = resolve_reference(match.group("uurl"), css_name)
            if ref is None:
                return match.group(0)
            return format_url(on_url(ref), match.group("q"))
        return match.group(0)

    # Only a few strings can start a token; finding them with str.find (on a lower-cased copy, for
    # url( and @import in any case) is many times faster than trying the alternation above at every
    # character. Lower-casing keeps positions only for ASCII text; other text takes the regex.
    parts: list[str] = []
    position = 0
    starts = _TokenStarts(text)
    while True:
        start = starts.next_from(position)
        if start < 0:
            break
        token = _TOKENS.match(text, start)
        if token is None:
            parts.append(text[position : start + 1])
            position = start + 1
            continue
        parts.append(text[position : token.start()])
        replacement = replace(token)
        if on_edit is not None and replacement != token.group(0):
            on_edit(token.start(), token.end(), replacement)
        parts.append(replacement)
        position = token.end()
    parts.append(text[position:])
    return "".join(parts)


def import_rule(url: str, media: str) -> str:
    """An ``@import`` rule for ``url`` with its media/layer/supports conditions."""
    conditions = f" {media}" if media else ""
    return f"@import {format_url(url, DOUBLE_QUOTE)}{conditions};"


_LAYER = re.compile(r"^layer(?:\(\s*([^)]*?)\s*\))?(?=\s|$)\s*", re.IGNORECASE)


def _balanced_call(text: str, function: str) -> tuple[str, str] | None:
    """Split ``supports(a (b)) rest`` into ``("a (b)", "rest")``; None when ``text`` does not start so."""
    if not text.lower().startswith(function + "("):
        return None
    depth = 0
    for index in range(len(function), len(text)):
        depth += {"(": 1, ")": -1}.get(text[index], 0)
        if depth == 0:
            return text[len(function) + 1 : index], text[index + 1 :].strip()
    return None


def wrap_import_conditions(content: str, media: str) -> str:
    """Inline imported CSS in place of its ``@import``, keeping the rule's layer/supports/media.

    CSS ignores ``@import`` after other rules, so in a combined file only the first member may keep its
    imports as rules; later members get the imported CSS written in place, which keeps the cascade order.
    """
    wrapped = content
    layer = _LAYER.match(media)
    if layer:
        media = media[layer.end() :]
    supports = _balanced_call(media, "supports")
    if supports:
        media = supports[1]
    if layer:
        name = (layer.group(1) or "").strip()
        wrapped = f"@layer {name} {{\n{wrapped}\n}}" if name else f"@layer {{\n{wrapped}\n}}"
    if supports:
        wrapped = f"@supports ({supports[0]}) {{\n{wrapped}\n}}"
    if media.strip():
        wrapped = f"@media {media.strip()} {{\n{wrapped}\n}}"
    return wrapped


def references(text: str, css_name: str) -> list[tuple[Reference, bool]]:
    """Every local reference in ``text`` with whether it is an ``@import`` (for ``--check``)."""
    found: list[tuple[Reference, bool]] = []

    def on_url(ref: Reference) -> str:
        found.append((ref, False))
        return ref.written

    def on_import(ref: Reference, media: str) -> str:
        found.append((ref, True))
        return ""

    rewrite_references(text, css_name, on_url, on_import)
    return found
