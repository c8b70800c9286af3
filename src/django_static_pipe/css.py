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
from functools import lru_cache
from urllib.parse import unquote

from django.core.exceptions import SuspiciousFileOperation

from .conf import pipe_settings
from .next_match import NextMatch
from .sources import locate, split_suffix

_CHARSET = re.compile(r'^\ufeff?\s*@charset\s+["\']([^"\']*)["\']\s*;', re.IGNORECASE)
DOUBLE_QUOTE = '"'
_NEEDS_QUOTES = re.compile(r"[\s()'\"\\]")
# Where a token may start: a comment, a string, url( or @import, in any case. Every branch starts with
# a literal character, so the regex engine skips to the next candidate in C (a pattern-wide IGNORECASE
# would try every position: three times slower on real stylesheets).
_TOKEN_START = re.compile(r"/\*|\"|'|u(?i:rl\()|U(?i:rl\()|@(?i:import)")
# Unrolled (plain runs between escapes): a repeated one-character alternation kept a backtracking entry
# per character, 120 MB for a 1 MB data: URI.
_STRING = {
    '"': re.compile(r'"[^"\\\n]*(?:\\.[^"\\\n]*)*"', re.DOTALL),
    "'": re.compile(r"'[^'\\\n]*(?:\\.[^'\\\n]*)*'", re.DOTALL),
}
_SPACE = re.compile(r"\s*")
_IMPORT_END = re.compile(r"[;{}]")
_CLOSE_PAREN = re.compile(r"\)")
_COMMENT_END = re.compile(r"\*/")


@dataclass(frozen=True)
class Reference:
    """A local reference: ``path`` is absolute and decoded; ``suffix`` is the query and fragment."""

    path: str
    suffix: str
    written: str


@dataclass(frozen=True)
class _Token:
    """A ``url()`` or ``@import`` found in CSS: its span, the URL as written, and its quote/media."""

    kind: str  # "url" or "import"
    start: int
    end: int
    url: str
    quote: str = ""
    media: str = ""


def _url_token(text: str, start: int, close_paren: NextMatch) -> _Token | None:
    """``url( "x" )`` or ``url(x)`` at ``start``; None when it is not one."""
    position = _SPACE.match(text, start + 4).end()  # type: ignore[union-attr]
    quote = text[position : position + 1]
    if quote in _STRING:
        string = _STRING[quote].match(text, position)
        if string is None:
            return None
        after = _SPACE.match(text, string.end()).end()  # type: ignore[union-attr]
        if text[after : after + 1] != ")":
            return None
        return _Token("url", start, after + 1, text[string.start() + 1 : string.end() - 1], quote)
    close = close_paren.at_or_after(position)
    if close < 0:
        return None
    return _Token("url", start, close + 1, text[position:close].strip(), "")


def _import_token(text: str, start: int, close_paren: NextMatch, import_end: NextMatch) -> _Token | None:
    """``@import url(x) media;`` or ``@import "x" media;`` at ``start``; None when it is not one."""
    position = start + len("@import")
    space = _SPACE.match(text, position).end()  # type: ignore[union-attr]
    if space == position:
        return None
    quote = text[space : space + 1]
    if quote in _STRING:
        string = _STRING[quote].match(text, space)
        if string is None:
            return None
        url, after = text[string.start() + 1 : string.end() - 1], string.end()
    elif text[space : space + 4].lower() == "url(":
        inner = _url_token(text, space, close_paren)
        if inner is None:
            return None
        url, after = inner.url, inner.end
    else:
        return None
    end = import_end.at_or_after(after)
    if end < 0:
        return _Token("import", start, len(text), url, media=text[after:].strip())
    # The rule ends at ';' (consumed) or before the '{' or '}' that follows it.
    return _Token("import", start, end + 1 if text[end] == ";" else end, url, media=text[after:end].strip())


def tokens(text: str) -> list[_Token]:
    """Every ``url()`` and ``@import`` outside comments and strings, in order, in linear time.

    Strings and comments are skipped whole; a construct that is never closed is given up on once, and
    every search remembers its answer, so hostile text (175 KB of unclosed ``url(``) costs one pass.
    """
    found: list[_Token] = []
    close_paren = NextMatch(text, _CLOSE_PAREN)
    import_end = NextMatch(text, _IMPORT_END)
    comment_end = NextMatch(text, _COMMENT_END)
    position = 0
    while True:
        start_match = _TOKEN_START.search(text, position)
        if start_match is None:
            return found
        start = start_match.start()
        first = text[start]
        if first == "/":
            close = comment_end.at_or_after(start + 2)
            if close < 0:
                return found
            position = close + 2
            continue
        if first in _STRING:
            string = _STRING[first].match(text, start)
            position = string.end() if string else start + 1
            continue
        token = (
            _url_token(text, start, close_paren)
            if first in "uU"
            else _import_token(text, start, close_paren, import_end)
        )
        if token is None:
            position = start + 1
            continue
        found.append(token)
        position = token.end


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
    """Resolve ``written`` (as found in the CSS at ``css_name``) to an absolute path; None if not local.

    A reference that climbs out of the roots keeps its raw joined path, which :func:`resolve` refuses.
    """
    written = written.strip()
    base_folder = posixpath.dirname("/" + css_name.lstrip("/"))
    if len(written) + len(base_folder) > _REMEMBERED_LENGTH:  # a data: URI is not kept
        return _resolved_in(written, base_folder)
    # What a name means depends on these settings too: an answer is never taken under other ones,
    # whoever changes them (override_settings, or a script setting them and calling forget_settings).
    return _remembered_in(written, base_folder, pipe_settings.static_url, pipe_settings.media_roots is None)


#: The longest reference (with its stylesheet's folder) remembered, and how many are remembered: at
#: most 1,024 entries of three strings of at most 2,048 characters each.
_REMEMBERED_LENGTH = 2048
_REMEMBERED_REFERENCES = 1024


def _resolved_in(written: str, base_folder: str, *_settings: object) -> Reference | None:
    """``_settings``: what :func:`locate` reads, for the memo's key only."""
    try:
        located = locate(written, base=base_folder + "/", decode=True)
    except SuspiciousFileOperation:
        raw = split_suffix(written)[0]
        return Reference(path=posixpath.join(base_folder, unquote(raw)), suffix="", written=written)
    if located is None:
        return None
    return Reference(path=located.name, suffix=located.suffix, written=written)


# The stylesheets of one folder name the same images again and again.
_remembered_in = lru_cache(maxsize=_REMEMBERED_REFERENCES)(_resolved_in)


def forget_references() -> None:
    """Let the remembered references go (the settings changed: they would only take room)."""
    _remembered_in.cache_clear()


def format_url(url: str, quote: str) -> str:
    """``url(...)`` for ``url``, quoted as the original was, or double-quoted when it must be."""
    if not quote and _NEEDS_QUOTES.search(url):
        quote = '"'
    if quote:
        url = url.replace("\\", "\\\\").replace(quote, "\\" + quote)
    return f"url({quote}{url}{quote})"


UrlReplacer = Callable[[Reference], str]
ImportReplacer = Callable[[Reference, str], str]


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
    parts: list[str] = []
    position = 0
    for token in tokens(text):
        ref = resolve_reference(token.url, css_name)
        if ref is None:
            continue
        replacement = on_import(ref, token.media) if token.kind == "import" else format_url(on_url(ref), token.quote)
        if on_edit is not None:
            on_edit(token.start, token.end, replacement)
        parts.append(text[position : token.start])
        parts.append(replacement)
        position = token.end
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
