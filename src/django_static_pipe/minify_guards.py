"""Known ways a minifier can change what a file means, checked before its output is used.

rjsmin loses the text of a template literal nested inside another's ``${…}``, and it can join
``a < !--b`` into ``a<!--b``, which browsers read as the start of an HTML-like comment. rcssmin drops
the ``;`` after a file's last ``@import``, which swallows the next file's first rule once combined.
A file that hits a JS trap is served unminified (with a warning); the CSS one is repaired.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from . import charsets
from .regex_misreads import MISREAD_REGEX_TRAP, in_a_comment, regex_misread

# A template literal as rjsmin sees one: from a backtick to the next unescaped backtick.
_NAIVE_TEMPLATE = re.compile(r"`[^`\\]*(?:\\.[^`\\]*)*`", re.DOTALL)
# The same over UTF-8 bytes: no byte of a multibyte character is a backtick or a backslash, so the
# spans are the same ones.
_NAIVE_TEMPLATE_BYTES = re.compile(rb"`[^`\\]*(?:\\.[^`\\]*)*`", re.DOTALL)
_COMMENT_OPEN_BYTES = re.compile(rb"<!--")
_SUBSTITUTION_BYTES = re.compile(rb"\$\{")

#: What :func:`js_trap` says when rjsmin joined a number ending in "." to the next line's name.
NUMBER_JOINED_TRAP = "rjsmin joins a number ending in '.' to the name on the next line ('1.\\nx' becomes '1.x')"

# Each byte as its kind, so that one literal search finds a number followed by ".name": digits become
# "0", "_" stays (a numeric separator, 1_000, or part of a name), other name characters (ASCII letters,
# "$", "\\" of an escape such as \\u0066, and every byte of a multibyte character) "a", "." stays.
_SHAPES = bytes(
    0x30
    if chr(byte).isdigit() and byte < 0x80
    else byte
    if chr(byte) in "._<!-"
    else 0x61
    if byte >= 0x80 or chr(byte).isalpha() or chr(byte) in "$\\"
    else 0x20
    for byte in range(256)
)
_NUMBER_DOT_NAME = re.compile(rb"0\.[a_]")

#: How much of a text is translated at a time (then up to its next line end): a 10 MB script's shape
#: is not held whole beside the script, its minified text and the minifier's output.
_SHAPE_CHUNK = 1 << 20


def numbers_before_names(text: bytes) -> Counter[bytes]:
    """Each number (digits not ending a name) followed by ``.`` and a name, as written in ``text``."""
    return Counter(text[start:end] for start, end in _numbers_before_names(text))


def _numbers_before_names(text: bytes) -> Iterator[tuple[int, int]]:
    """Where each of :func:`numbers_before_names` is. Looked for a line range at a time: such a
    number and its name never span a line end, and a range that starts after one starts where the
    text would."""
    start = 0
    while start < len(text):
        line_end = text.find(b"\n", start + _SHAPE_CHUNK)
        end = len(text) if line_end < 0 else line_end + 1
        for found_start, found_end in _numbers_in_range(text[start:end]):
            yield start + found_start, start + found_end
        start = end


def _numbers_in_range(text: bytes) -> Iterator[tuple[int, int]]:
    shape = text.translate(_SHAPES)
    length = len(shape)
    for match in _NUMBER_DOT_NAME.finditer(shape):
        start = match.start()
        while start > 0 and shape[start - 1] in b"0_":
            start -= 1
        if shape[start] == 0x5F or (start > 0 and shape[start - 1] in b"a." and not _after_a_space(text, start)):
            continue  # a name (_1, a_1, x1) or a member (.1 of 1.1) before the dot, not a number
        end = match.end()
        while end < length and shape[end] in b"a0_":
            end += 1
        yield start, end


def _in_code(source: bytes, texts: set[bytes]) -> Counter[bytes]:
    """How many of the source's numbers before ``.name`` with each of ``texts`` are not in a comment
    on their line (rjsmin drops comments, so one there cannot stand for a join of the same text);
    one pass over the source, each candidate's line looked at within a bounded window."""
    return Counter(
        source[start:end]
        for start, end in _numbers_before_names(source)
        if source[start:end] in texts and not in_a_comment(source, start)
    )


def _after_a_space(text: bytes, at: int) -> bool:
    """Whether a space past ASCII (U+00A0…: bytes the shapes take for a name's) ends at ``at``."""
    return text[at - 1] >= 0x80 and charsets.space_beyond_ascii_ends_at(text, at)


#: What :func:`js_trap` says of a script that nests template literals (minified around them instead).
NESTED_TEMPLATE_TRAP = "it nests a template literal inside another's ${…}, which rjsmin cuts short"
#: rjsmin ends a // comment at \n or \r only: after a U+2028 or U+2029 (a line end to JavaScript) it
#: drops the rest of the line as comment. It keeps them in strings, so one fewer in its output is that
#: (or a comment that held one: served unminified too, the safe side). No corpus script holds one.
LINE_SEPARATOR_TRAP = "rjsmin takes the code after a U+2028/U+2029 line end for the rest of a // comment"
_LINE_SEPARATOR_BYTES = re.compile(b"\xe2\x80[\xa8\xa9]")


def _separators(text: bytes) -> int:
    return text.count(b"\xe2\x80\xa8") + text.count(b"\xe2\x80\xa9")


def has_nested_template_literal(text: str) -> bool:
    """True when a template literal sits inside another one's ``${…}``.

    rjsmin ends a template literal at the next backtick, so a nested one makes a span that opens more
    braces than it closes (```a ${ f({}) + ```). Regular expressions and C-level counts keep this as
    fast as the minifier itself; a stray backtick in a string or comment can only make it say yes,
    which serves that file unminified.
    """
    return any("${" in span and span.count("{") > span.count("}") for span in _NAIVE_TEMPLATE.findall(text))


def js_trap(source: str, minified: str) -> str | None:
    """Why the minified JS may not mean what ``source`` means; None when no known trap applies.

    Only ``<!--`` is checked for: a ``-->`` would open a comment only at the start of a line, and
    rjsmin starts no line that the source did not.
    """
    if "`" in source and "${" in source and has_nested_template_literal(source):
        return NESTED_TEMPLATE_TRAP
    return js_trap_bytes(
        source.encode("utf-8", "surrogatepass"),
        minified.encode("utf-8", "surrogatepass"),
        templates=False,
    )


def nests_template_literals(source: bytes) -> bool:
    """:func:`has_nested_template_literal` over UTF-8 bytes, each span looked at as it is found (a
    script's spans are not held together)."""
    if b"`" not in source or _SUBSTITUTION_BYTES.search(source) is None:
        return False
    for match in _NAIVE_TEMPLATE_BYTES.finditer(source):
        span = match.group()
        if b"${" in span and span.count(b"{") > span.count(b"}"):
            return True
    return False


def js_trap_bytes(source: bytes, minified: bytes, *, templates: bool = True) -> str | None:
    """:func:`js_trap` over the UTF-8 bytes of the source and of its minified text: the same answer,
    one byte per character to look at (text with a character past U+00FF takes two or four).

    Searched with compiled patterns: ``bytes.__contains__`` looks for a two- or four-byte needle at
    about half the speed of the regex engine, and the spans alone tell whether any holds ``${``.
    """
    if templates and nests_template_literals(source):
        return NESTED_TEMPLATE_TRAP
    if _COMMENT_OPEN_BYTES.search(minified) and minified.count(b"<!--") > source.count(b"<!--"):
        return "minifying would write '<!--', which browsers read as the start of a comment"
    if not source.isascii() and _LINE_SEPARATOR_BYTES.search(source) and _separators(minified) < _separators(source):
        return LINE_SEPARATOR_TRAP
    if regex_misread(source, minified):
        return MISREAD_REGEX_TRAP
    # rjsmin drops the line break in "1.\nx" (a number, then a statement). A number right before ".x"
    # is never code (1.x is a syntax error): one the source does not hold is that join.
    # Compared by their text, so that "version 1.x" in a string (kept in the result) is no join; one in
    # a comment on its line (gone from the result) does not hide one.
    joined = numbers_before_names(minified)
    if not joined:
        return None
    in_source = numbers_before_names(source)
    if joined - in_source:
        return NUMBER_JOINED_TRAP
    # Every joined text the source holds as often: counted again without those in comments.
    if joined - _in_code(source, set(joined)):
        return NUMBER_JOINED_TRAP
    return None


def repair_css(minified: str) -> str:
    """End a minified stylesheet's last statement with ``;`` when it lost it: rcssmin drops the one
    after a trailing ``@import``, which then swallows the next file's first rule once joined. A comment
    rcssmin keeps after it (a licence, the IE hack ``/*\\*/``) stays after it: a ``;`` after the comment
    of a file ending in a rule would start an invalid rule that takes the next file's first with it."""
    stripped = minified.rstrip()
    if not stripped or stripped[-1] in ";}":
        return minified
    if not stripped.endswith("*/"):  # most stylesheets: no comment at the end to look behind
        return stripped + ";"
    end = _end_of_code(stripped)
    if end == 0 or stripped[end - 1] in ";}":
        return minified
    return stripped[:end] + ";" + stripped[end:]


# A string or a comment of CSS, each read whole (unrolled: plain runs between escapes), closed or not.
_CSS_STRING_OR_COMMENT = re.compile(
    r"""/\*(?:.*?\*/|.*)|"[^"\\]*(?:\\.[^"\\]*)*"?|'[^'\\]*(?:\\.[^'\\]*)*'?""", re.DOTALL
)


def _end_of_code(css: str) -> int:
    """Where the last character of ``css`` that is neither a space nor in a comment ends (0: none)."""
    end = position = 0
    for match in _CSS_STRING_OR_COMMENT.finditer(css):
        gap = len(css[position : match.start()].rstrip())
        if gap:
            end = position + gap
        if not match.group().startswith("/*"):  # a string is code
            end = match.end()
        position = match.end()
    gap = len(css[position:].rstrip())
    return position + gap if gap else end


_PROLOGUE_GAP = re.compile(r"(?:\s+|//[^\n]*|/\*.*?\*/)*", re.DOTALL)
# A string of the prologue, its body unrolled (a run of plain characters between escapes): an
# alternation repeated per character kept a backtracking entry for each, 120 bytes a character.
_DIRECTIVE = re.compile(
    r"""(?:"(?P<double>[^"\\\n]*(?:\\.[^"\\\n]*)*)"|'(?P<single>[^'\\\n]*(?:\\.[^'\\\n]*)*)')"""
    r"""[ \t]*(?:;|\n|$)"""
)


def is_strict_script(text: str) -> bool:
    """True when the script starts (after comments) with a ``"use strict"`` directive.

    Such a file may not be concatenated after one that does not: its directive would no longer
    open a script and its code would run in sloppy mode (block functions leaking out as globals).
    """
    position = _PROLOGUE_GAP.match(text).end()  # type: ignore[union-attr]
    while True:
        directive = _DIRECTIVE.match(text, position)
        if directive is None:
            return False
        if "use strict" in (directive.group("double"), directive.group("single")):
            return True
        position = _PROLOGUE_GAP.match(text, directive.end()).end()  # type: ignore[union-attr]


#: Characters a scan can be retried from, and how many character steps of such retries are allowed
#: (about a second of rjsmin's time).
RESCAN_BUDGET = 200_000_000
# What rjsmin and rcssmin try from a quote, backtick or slash: a token ending on its line (strings,
# regular expressions, // comments) or at the end of the text (template literals, /* comments). Each
# alternative consumes what it scanned, closed or not (its ``c…`` group is set when it closed), so this
# pass is linear; bodies are unrolled (plain runs between escapes), so it keeps no entry per character.
_SCRIPT_TOKENS = re.compile(
    r"""/\*(?:.*?(?P<c1>\*/)|.*)|//[^\n]*(?P<c2>)"""
    r"""|"[^"\\\n]*(?:\\.[^"\\\n]*)*(?P<c3>")?|'[^'\\\n]*(?:\\.[^'\\\n]*)*(?P<c4>')?"""
    r"""|`[^`\\]*(?:\\.[^`\\]*)*(?P<c5>`)?"""
    r"""|/[^/\\\n\[]*(?:(?:\\.|\[[^\]\\\n]*(?:\\.[^\]\\\n]*)*\]?)[^/\\\n\[]*)*(?P<c6>/)?""",
    re.DOTALL,
)
_STYLE_TOKENS = re.compile(r"/\*(?:.*?(?P<c1>\*/)|.*)", re.DOTALL)
_RETRY_STARTS = re.compile(r"""/\*|["'`/]""")


def rescan_work(text: str, script: bool) -> int:
    """Character steps rjsmin (``script``) or rcssmin would spend scanning tokens that never close.

    Both retry such a scan from every later quote, slash or ``/*`` it passed, so an unclosed token
    costs (starts inside it) × (its length): a 100 KB line of ``"\\`` keeps rjsmin busy for seconds,
    1.5 MB for most of an hour. Valid code closes every token; its work here is about 0.
    """
    if len(text) * len(text) <= RESCAN_BUDGET:  # even the worst text this short is quick
        return 0
    work = 0
    for match in (_SCRIPT_TOKENS if script else _STYLE_TOKENS).finditer(text):
        if any(closed is not None for closed in match.groupdict().values()):
            continue
        token = match.group(0)
        starts = len(_RETRY_STARTS.findall(token)) if script else token.count("/*")
        work += starts * len(token)
    return work
