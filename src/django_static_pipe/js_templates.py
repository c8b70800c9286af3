"""Minifying a script whose template literals rjsmin cannot read.

rjsmin takes a template literal to end at the next backtick, so a literal nested inside another's
``${…}`` makes it squeeze the outer literal's text as if it were code. d3, Vue, three.js, mermaid,
video.js and TinyMCE all nest them; before this module such a file was served unminified.

Each outermost template literal, as the lexer of :mod:`jsrefs` finds it (it follows ``${…}`` to any
depth, and strings, comments and regular expressions around it), is swapped for a placeholder
literal with no backtick or ``${`` inside, which rjsmin copies as it is; the code between the
literals is minified and each literal is put back byte for byte (its ``${…}`` code unminified). When
anything does not add up (an unclosed literal, a placeholder lost or repeated), None is returned and
the caller serves the file unminified, as before.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

from .jsrefs import Lexer


def outer_templates(text: str) -> list[tuple[int, int]] | None:
    """The ``(start, end)`` of every outermost template literal, in order; None if one never closes."""
    lexer = Lexer(text)
    lexer.skim = True  # only strings, comments, templates and regular expressions matter here
    spans: list[tuple[int, int]] = []
    start = -1
    for token in lexer:
        if token.kind != "template":
            continue
        if start < 0:
            if token.text[0] != "`":  # a "}" closing a substitution no literal opened: not a script
                return None
            start = token.start
        if lexer.substitutions == 0:
            spans.append((start, token.end))
            start = -1
    if start >= 0 or lexer.unclosed_template:
        return None
    return spans


def _placeholder_marker(text: str) -> str:
    """A word that ``text`` does not hold, to name placeholders by."""
    while True:
        marker = f"static_pipe_template_{secrets.token_hex(8)}_"
        if marker not in text:
            return marker


def minify_around_templates(text: str, minify: Callable[[str], str]) -> str | None:
    """``text`` minified by ``minify`` with every outermost template literal kept verbatim; None when
    that cannot be done safely. Whatever ``minify`` raises is left to the caller.

    ``minify`` gets the text with placeholders and runs every guard on it again, the one against
    nested literals too: a backtick left in a string, comment or regular expression (where rjsmin and
    the lexer may disagree about where a regular expression starts) still keeps the file unminified.
    """
    spans = outer_templates(text)
    if not spans:
        return None
    marker = _placeholder_marker(text)
    pieces: list[str] = []
    position = 0
    for index, (start, end) in enumerate(spans):
        pieces.append(text[position:start])
        pieces.append(f"`{marker}{index}`")
        position = end
    pieces.append(text[position:])
    swapped = "".join(pieces)
    del pieces
    minified = minify(swapped)  # raises when the code between the literals cannot be minified
    del swapped
    parts = re.split(f"`{re.escape(marker)}([0-9]+)`", minified)
    if len(parts) != 2 * len(spans) + 1 or any(parts[2 * index + 1] != str(index) for index in range(len(spans))):
        return None
    if any(marker in part for part in parts[0::2]):
        return None
    for index, (start, end) in enumerate(spans):
        parts[2 * index + 1] = text[start:end]
    return "".join(parts)
