"""Numbers ending in ``.`` at a line end, which rjsmin joins to the name on the next line.

``1.`` then a line break then ``dashData = …`` (plotly.js 2) is two statements; rjsmin drops the
line break and writes ``1.dashData``, a syntax error. The cure is the number's ``0`` (``1.0`` is the
same number), after which rjsmin keeps the line break. Where those numbers are is found two ways:
by the lexer (:mod:`js_prepare`, when the script needs it for other reasons), or, when the join is
the only thing rjsmin got wrong, by matching rjsmin's own joins against the candidates, which costs
a few regex searches instead of a pass of the Python lexer.
"""

from __future__ import annotations

import io
import re
from collections import Counter

from .js_lexer import LINE_ENDS, SPACE_AND_COMMENTS, in_a_name, line_start_within
from .minify_guards import numbers_before_names
from .script_view import class_view

# A "." before optional spaces (U+00A0 too, as \s has them) and a line end or a comment: searched for
# from its literal "." (a pattern that starts with a look-behind is tried at every position, 25 times
# slower on plotly.js).
_DOT_AT_LINE_END = re.compile(r"\.(?=[^\S\r\n\u2028\u2029]*(?:[\r\n\u2028\u2029]|//|/\*))")
_DIGITS = frozenset("0123456789_")  # with the separator of 1_000
# After the digits, whatever would make them part of a name, a member or a block's end.
_NOT_A_NUMBER_AFTER = frozenset("_$.}\u200c\u200d")
# A name as minify_guards' shapes see one: ASCII letters, "_", "$" or any non-ASCII character first.
_NAME = re.compile(r"[A-Za-z_$\u0080-\U0010ffff][0-9A-Za-z_$\u0080-\U0010ffff]*")


def number_ends(text: str) -> list[int]:
    """Where each number ending in ``.`` before a line end or a comment ends (just after its ``.``),
    in order, wherever it is (code, string, comment): whether it is code is for the caller to tell."""
    return [end for match in _DOT_AT_LINE_END.finditer(text) if (end := _number_end_at(text, match.start()))]


def _number_end_at(text: str, dot: int) -> int | None:
    """Where the number whose ``.`` is at ``dot`` ends; None when no number ends there."""
    start = digits_start(text, dot)
    if start == dot or text[start] == "_":  # no digits, or a name such as _1
        return None
    if start > 0:
        before = text[start - 1]
        if in_a_name(before) or before in _NOT_A_NUMBER_AFTER:
            return None  # a name's (x1, \u00e91, x\u00b71), a member's (a.1), a block's end
    return dot + 1


def digits_start(text: str, end: int) -> int:
    """Where the digits (and numeric separators) that end at ``end`` start."""
    start = end
    while start > 0 and text[start - 1] in _DIGITS:
        start -= 1
    return start


def completes_as_is(text: str, end: int) -> bool:
    """Whether the number ending at ``end`` takes a ``0``: a legacy octal (``07.``) cannot, and a
    name spelled with an escape next (``\\u0066oo``) would be joined to ``1.0`` all the same (rjsmin
    takes no backslash for a name's start); both are left to the guard, which refuses the file."""
    start = digits_start(text, end - 1)
    if text[start] == "0" and end - start > 2:
        return False
    following = SPACE_AND_COMMENTS.match(text, end).end()  # type: ignore[union-attr]
    return not text.startswith("\\", following)


def joined_number_ends(text: str, source: bytes, minified: bytes, encoding: str) -> list[int] | None:
    """The ends of the numbers rjsmin joined to a name in ``minified`` (``text`` minified, ``source``
    being ``text`` in ``encoding``), found without the lexer; None when that cannot be told so."""
    joins = joined_numbers(source, minified)
    return ends_of_joins(text, joins, encoding) if joins else None


def joined_numbers(source: bytes, minified: bytes) -> Counter[bytes]:
    """Each number before ``.name`` that ``minified`` holds more often than ``source``: rjsmin's joins."""
    return numbers_before_names(minified) - numbers_before_names(source)


def ends_of_joins(text: str, joins: Counter[bytes], encoding: str) -> list[int] | None:
    """Where the numbers of ``joins`` end in ``text``; None when that cannot be told without the lexer.

    Each join rjsmin wrote must be matched by exactly as many candidates with the same number and
    name, the name found past spaces and comments: then each is the one rjsmin read as code. A
    candidate in a template literal or a comment has no join of its own, so a count that differs
    means one of them shares a join's text, and only the lexer can tell which is code; so it is after
    a ``/`` or backtick earlier on its line.
    """
    found: dict[bytes, list[int]] = {}
    numbers = _numbers_of(joins)
    looked_at = 0
    for end in number_ends(text):
        number = text[digits_start(text, end - 1) : end]
        if number.encode(encoding, "surrogatepass") not in numbers:
            continue
        looked_at += 1
        if looked_at > MOST_CANDIDATES:
            return None  # each is followed past its spaces and comments: the lexer's one pass instead
        name = _NAME.match(text, SPACE_AND_COMMENTS.match(text, end).end())  # type: ignore[union-attr]
        if name is None:
            continue
        joined = (number + name.group()).encode(encoding, "surrogatepass")
        if joined in joins:
            found.setdefault(joined, []).append(end)
    if any(len(found.get(joined, ())) != count for joined, count in joins.items()):
        return None
    ends = sorted(end for group in found.values() for end in group)
    return ends if all(completes_as_is(text, end) and _plain_line_before(text, end) for end in ends) else None


_LINE_LOOK_BACK = 4096  # how far back _plain_line_before looks for the line's start
# The same "." in UTF-8 bytes, after a digit or "_" (the only ones that may end a number's digits).
_DOT_AT_LINE_END_BYTES = re.compile(
    rb"\.(?<=[0-9_]\.)(?=(?:[\t\x0b\x0c\x1c-\x1f ]|\xc2[\x85\xa0]|\xe1\x9a\x80|\xe2\x80[\x80-\x8a\xaf]"
    rb"|\xe2\x81\x9f|\xe3\x80\x80)*(?:[\r\n]|\xe2\x80[\xa8\xa9]|//|/\*))"
)
# How much of the script around a candidate is read through a view: the digits and the character
# before them, then the spaces, comments and name after it, widened up to _WIDEST_AFTER (what goes on
# further is left to the text).
_WINDOW_BEFORE = 64
_WINDOW_AFTER = 256
_WIDEST_AFTER = 64 * 1024
_DIGIT_BYTES = frozenset(b"0123456789_")
#: How many candidates with a joined number's digits are followed to their names: each is followed
#: past its spaces and comments, so a hostile line of ``1.//1.//…`` would cost its length each time;
#: past that many, the lexer (one pass) decides.
MOST_CANDIDATES = 256


def ends_of_joins_in_bytes(source: bytes, joins: Counter[bytes]) -> list[int] | None:
    """:func:`ends_of_joins` over a script's UTF-8 bytes, its offsets the bytes': each candidate is
    read in a window seen through :func:`script_view.class_view` (the script is never decoded whole),
    widened while the spaces and comments after it go on, its line's start looked for in the bytes.
    None when that cannot be told so (a window with no view, digits or a name past the widest): the
    text then decides."""
    found: dict[bytes, list[int]] = {}
    numbers = _numbers_of(joins)
    looked_at = 0
    plain = True
    for match in _DOT_AT_LINE_END_BYTES.finditer(source):
        start = match.start()
        while start > 0 and source[start - 1] in _DIGIT_BYTES:
            start -= 1
        if source[start : match.end()] not in numbers:
            continue
        looked_at += 1
        if looked_at > MOST_CANDIDATES:
            return None
        read = _read_candidate(source, match.start(), match.end())
        if read is None:
            return None
        view, low, end, name = read
        if end is None or name is None:
            continue
        joined = source[low + digits_start(view, end - 1) : low + end] + source[low + name.start() : low + name.end()]
        if joined in joins:
            found.setdefault(joined, []).append(low + end)
            plain = plain and completes_as_is(view, end) and _plain_line_before_bytes(source, low + end)
    if not plain or any(len(found.get(joined, ())) != count for joined, count in joins.items()):
        return None
    return sorted(end for group in found.values() for end in group)


def _read_candidate(
    source: bytes, dot: int, after_dot: int
) -> tuple[str, int, int | None, re.Match[str] | None] | None:
    """The view of a window around the ``.`` at ``dot``, where the window starts, where the number
    ends in it (None: no number) and the name after it (None: none); None when a window cannot say."""
    low = _character_start(source, max(0, dot - _WINDOW_BEFORE))
    after = _WINDOW_AFTER
    while True:
        high = _character_start(source, min(len(source), after_dot + after))
        view = class_view(source[low:high])
        if view is None:
            return None
        end = _number_end_at(view, dot - low)
        if end is None:
            return view, low, None, None
        if low > 0 and digits_start(view, end - 1) == 0:
            return None  # digits longer than the window
        gap_end = SPACE_AND_COMMENTS.match(view, end).end()  # type: ignore[union-attr]
        name = _NAME.match(view, gap_end)
        if high == len(source) or (name.end() if name else gap_end) < len(view):
            return view, low, end, name
        if after >= _WIDEST_AFTER:
            return None  # the spaces, comments or name go on past the widest window
        after *= 4


def _numbers_of(joins: Counter[bytes]) -> frozenset[bytes]:
    """The numbers (digits and ".") of the joins: a candidate with another number cannot be one."""
    return frozenset(joined[: joined.index(b".") + 1] for joined in joins)


def _plain_line_before_bytes(source: bytes, end: int) -> bool:
    """:func:`_plain_line_before` over UTF-8 bytes, looking back as many bytes as it looks back
    characters (fewer characters, so a line it cannot see the start of is not plain)."""
    line_start = line_start_within(source, end, _LINE_LOOK_BACK, _LINE_ENDS_BYTES)
    if line_start is None:
        return False
    line = source[line_start:end]
    return b"/" not in line and b"`" not in line


_LINE_ENDS_BYTES = tuple(line_end.encode("utf-8") for line_end in LINE_ENDS)


def _character_start(data: bytes, at: int) -> int:
    """``at``, or the start of the next UTF-8 character when ``at`` is inside one."""
    while at < len(data) and 0x80 <= data[at] < 0xC0:
        at += 1
    return at


def with_zeros(script: bytes, ends: list[int]) -> bytes:
    """``script`` with a ``0`` after each of the numbers ending at ``ends`` (sorted byte offsets),
    written from views of it, so that nothing but the script and the result is held."""
    buffer = io.BytesIO()
    view = memoryview(script)
    position = 0
    for end in ends:
        buffer.write(view[position:end])
        buffer.write(b"0")
        position = end
    buffer.write(view[position:])
    view.release()
    return buffer.getvalue()


def without_zeros(prepared: bytes, ends: list[int]) -> bytes:
    """The script :func:`with_zeros` was given back, from what it made."""
    buffer = io.BytesIO()
    view = memoryview(prepared)
    position = 0
    for shift, end in enumerate(ends):
        buffer.write(view[position : end + shift])
        position = end + shift + 1
    buffer.write(view[position:])
    view.release()
    return buffer.getvalue()


def _plain_line_before(text: str, end: int) -> bool:
    """Whether the line holds no ``/`` or backtick before the number: one rjsmin reads differently from
    JavaScript (a regular expression it takes for a division) can make a candidate inside it look
    joined, and only the lexer tells then. Looked at up to :data:`_LINE_LOOK_BACK` characters back
    (a longer line is left to the lexer)."""
    line_start = line_start_within(text, end, _LINE_LOOK_BACK, LINE_ENDS)
    if line_start is None:
        return False
    line = text[line_start:end]
    return "/" not in line and "`" not in line
