"""Rewriting a script so that rjsmin reads it as a browser does, then putting it back.

rjsmin misreads three things real libraries write:

- a template literal nested inside another's ``${…}``: it takes a literal to end at the next
  backtick and squeezes the outer literal's text as if it were code (d3, Vue, three.js, mermaid,
  video.js, TinyMCE);
- a regular expression after ``=>`` (and ``>``, ``<``, ``~``, ``^``, ``%`` or a keyword other than
  ``return``): it reads the ``/`` as a division, so ``x => /^image\\//.test(t)`` loses everything after
  ``//`` as a comment (TinyMCE); only the arrow's is wrapped (see below);
- a number ending in ``.`` at the end of a line: it drops the line break, and ``1.`` followed by
  ``dashData = …`` on the next line becomes the syntax error ``1.dashData`` (plotly.js 2).

They are found with the lexer of :mod:`js_lexer` (which follows ``${…}`` to any depth, and strings,
comments and regular expressions around it). Each outermost template literal is swapped for a
placeholder literal with no backtick or ``${`` inside, which rjsmin copies as it is, and put back byte
for byte afterwards (its ``${…}`` code unminified); each such regular expression after an arrow is
wrapped in parentheses, after which rjsmin reads it as one; such a number gets its ``0`` (``1.0``, the same
number), after which rjsmin keeps the line break. When anything does not add up (an unclosed literal,
a placeholder lost or repeated), None is returned and the caller serves the file unminified.
"""

from __future__ import annotations

import io
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from .js_lexer import SPACE_AND_COMMENTS, Lexer, in_a_name
from .js_numbers import completes_as_is, digits_start, number_ends
from .next_match import NextMatch

_LINE_END = re.compile("[\n\r\u2028\u2029]")
_LINE_ENDS = "\n\r\u2028\u2029"


@dataclass
class Preparation:
    """What to change in a script before rjsmin reads it."""

    templates: list[tuple[int, int]] = field(default_factory=list)  # (start, end) of outermost literals
    wrapped: list[tuple[int, int]] = field(default_factory=list)  # regular expressions to parenthesise
    completed: list[int] = field(default_factory=list)  # where a number ending in "." gets its "0"


def preparation(
    text: str, misread: Callable[[str], bool | None] = lambda regex: True, *, script: bytes | None = None
) -> Preparation | None:
    """What ``text`` needs; None if a template literal never closes (nothing is then safe to move).

    Only a regular expression for which ``misread(its text)`` holds (rjsmin changed it) is wrapped;
    when it answers None (it cannot tell), nothing is prepared. ``script``: the UTF-8 bytes ``text``
    stands for, one character per byte (:mod:`script_view`); a regular expression's text is then
    taken from them.
    """
    lexer = Lexer(text)
    lexer.skim = True  # only strings, comments, templates and regular expressions matter here
    found = Preparation()
    numbers = _NumbersAtLineEnd(text, found.completed)
    start = -1
    previous = None
    line_ends = NextMatch(text, _LINE_END)
    line_end = -1
    for token in lexer:
        if token.kind == "punct" and token.text == "/" and previous is not None and previous.text == ")":
            # "if (x) /`/.test(s)": the lexer reads a division where a regular expression may start; one
            # holding a backtick would move every template literal after it, so nothing is moved.
            if token.start >= line_end:
                found_end = line_ends.at_or_after(token.start)
                line_end = found_end if found_end >= 0 else len(text)
            closing = text.find("/", token.end, line_end)
            if closing >= 0 and "`" in text[token.end : closing] and _may_head_a_statement(text, previous.start):
                return None
        if start < 0:
            numbers.take_code(previous.end if previous else 0, token.start, token.end, token.kind == "number")
        if token.kind == "regex":
            if start < 0 and previous is not None and _after_arrow(text, previous.start, previous.kind):
                regex = token.text if script is None else script[token.start : token.end].decode("utf-8")
                changed = misread(regex)
                if changed is None:
                    return None
                if changed:
                    found.wrapped.append((token.start, token.end))
        elif token.kind == "template":
            if start < 0:
                if token.text[0] != "`":  # a "}" closing a substitution no literal opened: not a script
                    return None
                start = token.start
            if lexer.substitutions == 0:
                found.templates.append((start, token.end))
                start = -1
        previous = token
    if start >= 0 or lexer.unclosed_template:
        return None
    numbers.take_code(previous.end if previous else 0, len(text), len(text), False)
    return found


class _NumbersAtLineEnd:
    """Collects the numbers ending in "." at a line end that are code, token gap by token gap.

    Between two tokens the skimming lexer passes whitespace and comments, then a plain run of code
    (no quote, backtick or slash in it) whose last token it yields: a candidate after the whitespace
    and comments of its gap, or inside a number token, is code; one inside a string, template,
    regular expression or comment is not.
    """

    def __init__(self, text: str, into: list[int]) -> None:
        self.text = text
        self.into = into
        self.candidates = number_ends(text)
        self.next = 0

    def take_code(self, gap_start: int, token_start: int, token_end: int, number: bool) -> None:
        """Look at the candidates up to ``token_end``: the gap from ``gap_start``, then the token."""
        if self.next >= len(self.candidates):
            return
        code_from = SPACE_AND_COMMENTS.match(self.text, gap_start).end()  # type: ignore[union-attr]
        while self.next < len(self.candidates) and self.candidates[self.next] <= token_end:
            end = self.candidates[self.next]
            start = digits_start(self.text, end - 1)
            in_gap_code = code_from <= start and end <= token_start
            if completes_as_is(self.text, end) and (in_gap_code or (number and token_start <= start)):
                self.into.append(end)
            self.next += 1


_HEAD_WORDS = ("if", "while", "for", "with")
_SPACES_LOOKED_PAST = 4096


def _may_head_a_statement(text: str, close: int) -> bool:
    """Whether the ``)`` at ``close`` may end an ``if (…)``/``while (…)``/``for (…)``/``with (…)``
    head, after which a ``/`` starts a regular expression. Its ``(`` is looked for within 512
    characters, the keyword before it past any spaces (up to 4096); not found there, the answer is
    yes (the safe one)."""
    depth = 0
    position = close
    while position >= max(0, close - 512):
        char = text[position]
        if char == ")":
            depth += 1
        elif char == "(":
            depth -= 1
            if depth == 0:
                return _after_head_word(text, position)
        position -= 1
    return True


def _after_head_word(text: str, opening: int) -> bool:
    end = opening
    while end > 0 and text[end - 1].isspace():
        end -= 1
        if opening - end > _SPACES_LOOKED_PAST:
            return True
    for word in _HEAD_WORDS:
        start = end - len(word)
        if start >= 0 and text.startswith(word, start):
            return start == 0 or not (in_a_name(text[start - 1]) or text[start - 1] == ".")
    return False


def outer_templates(text: str) -> list[tuple[int, int]] | None:
    """The ``(start, end)`` of every outermost template literal, in order; None if one never closes."""
    found = preparation(text)
    return None if found is None else found.templates


def _after_arrow(text: str, token_start: int, kind: str) -> bool:
    """True when the token before a regular expression is the ``>`` of an arrow: ``=>`` after a
    parameter name or ``)`` (an ``=>`` anywhere else is the lexer reading inside a regular expression
    it took for a division, as in ``if (s) /=>/.test(s)``).

    After an arrow a ``/`` always starts a regular expression, and rjsmin (which knows
    ``(,=:[!&|?{};+-*`` and ``return``) takes it for a division. Only there is one wrapped: elsewhere
    (after ``a >``, ``typeof``, ``if (x)``) the lexer's guess can be wrong too, and wrapping code in
    parentheses breaks it; rjsmin's misreads there are left to the guard, which refuses the file."""
    if kind != "punct" or token_start < 2 or text[token_start] != ">" or text[token_start - 1] != "=":
        return False
    before = token_start - 2
    while before > 0 and text[before].isspace() and text[before] not in _LINE_ENDS:
        before -= 1  # spaces past ASCII too (U+00A0, U+3000); a line end may not stand before "=>"
    return text[before] == ")" or in_a_name(text[before])


def _placeholder_marker(text: str | bytes) -> str:
    """A word that ``text`` does not hold, to name placeholders by."""
    while True:
        marker = f"static_pipe_template_{secrets.token_hex(8)}_"
        held = marker in text if isinstance(text, str) else marker.encode("ascii") in text
        if not held:
            return marker


def minify_prepared(
    text: str,
    minify: Callable[[bytes], bytes],
    misread: Callable[[str], bool | None] = lambda regex: True,
    encoding: str = "utf-8",
    found: Preparation | None = None,
) -> str | None:
    """``text`` minified by ``minify`` after :func:`preparation`'s changes, its template literals put
    back verbatim; None when that cannot be done safely. What ``minify`` raises is left to the caller:
    it runs every guard on the prepared script again, so a misread the lexer did not see (where its
    reading and rjsmin's differ) still keeps the file unminified.

    The prepared script is handed over as bytes in ``encoding`` (what rjsmin reads): written from
    encoded pieces, it costs one byte per character where a joined string of a large file with one
    character past U+00FF would cost two or four, twice over. ``found`` is a preparation already made
    (the numbers :mod:`js_numbers` found without the lexer).
    """
    if found is None:
        found = preparation(text, misread)
    if found is None or not (found.templates or found.wrapped or found.completed):
        return None
    marker = _placeholder_marker(text)
    piece = lambda start, end: text[start:end].encode(encoding, "surrogatepass")  # noqa: E731
    made = _minified_with_changes(piece, len(text), found, marker, minify)
    return None if made is None else made.decode(encoding, "surrogatepass")


def minify_prepared_bytes(script: bytes, found: Preparation, minify: Callable[[bytes], bytes]) -> bytes | None:
    """:func:`minify_prepared` of a script's UTF-8 bytes, ``found`` being where a view of them of one
    character per byte (:mod:`script_view`) needs changes: the script is not decoded."""
    if not (found.templates or found.wrapped or found.completed):
        return None
    view = memoryview(script)
    try:
        return _minified_with_changes(
            lambda start, end: view[start:end], len(script), found, _placeholder_marker(script), minify
        )
    finally:
        view.release()


def _minified_with_changes(
    piece: Callable[[int, int], bytes | memoryview],
    length: int,
    found: Preparation,
    marker: str,
    minify: Callable[[bytes], bytes],
) -> bytes | None:
    """The script (``piece(start, end)`` of it, ``length`` long) changed as ``found`` says, minified,
    and its template literals put back; None when a placeholder was lost or repeated."""
    changes = sorted(
        [(start, end, f"`{marker}{index}`".encode("ascii")) for index, (start, end) in enumerate(found.templates)]
        + [(start, end, b"(" + bytes(piece(start, end)) + b")") for start, end in found.wrapped]
        + [(end, end, b"0") for end in found.completed]
    )
    # Written piece by piece: a list of pieces joined would hold the script's bytes twice.
    buffer = io.BytesIO()
    position = 0
    for start, end, replacement in changes:
        buffer.write(piece(position, start))
        buffer.write(replacement)
        position = end
    buffer.write(piece(position, length))
    prepared = buffer.getvalue()
    del buffer
    minified = minify(prepared)  # raises when the prepared script cannot be minified
    del prepared
    spans = found.templates
    parts = re.split(b"`" + re.escape(marker.encode("ascii")) + b"([0-9]+)`", minified)
    del minified
    if len(parts) != 2 * len(spans) + 1 or any(
        parts[2 * index + 1] != str(index).encode("ascii") for index in range(len(spans))
    ):
        return None
    if any(marker.encode("ascii") in part for part in parts[0::2]):
        return None
    for index, (start, end) in enumerate(spans):
        parts[2 * index + 1] = bytes(piece(start, end))
    return b"".join(parts)
