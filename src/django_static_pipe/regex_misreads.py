"""Regular expressions rjsmin reads as a division, found by comparing a script with its output.

rjsmin starts a regular expression only after ``(,=:[!&|?{};+-*``, a line end and ``return``.
JavaScript starts one after other operators and keywords too (``x => /a b/``, ``~/a b/``,
``typeof /x/``); there rjsmin squeezes the expression as code, takes ``//`` in it for a comment or a
quote for a string's start. Such a script is found here and handed to :mod:`js_prepare` (an arrow's
is wrapped in parentheses) or served unminified. A false alarm only costs minifying: the guard
leans that way wherever it cannot tell.
"""

from __future__ import annotations

import re

from .charsets import JS_SPACES_PAST_ASCII
from .js_lexer import REGEX_AFTER_PUNCTUATION, line_start_within

#: What :func:`js_trap` says when rjsmin took a regular expression for a division.
MISREAD_REGEX_TRAP = (
    "rjsmin reads a regular expression after '=>', '>', '<', '%', '^', '~', '...' or a keyword such as "
    "typeof as a division and changes it"
)
# Where JavaScript starts a regular expression at a "/" and rjsmin reads a division.
_OPERATORS = (b">", b"<", b"%", b"^", b"~", b"...")
_WORDS: tuple[bytes, ...] = (
    b"typeof",
    b"instanceof",
    b"void",
    b"delete",
    b"case",
    b"in",
    b"of",
    b"else",
    b"throw",
    b"new",
)
_WORDS += (b"do", b"yield", b"await", b"default")
_TOKENS = _OPERATORS + _WORDS
# Where rjsmin wrote one of them right before a "/": only then is the source searched. A literal "/"
# to jump to, then fixed-width looks back: one for the operators, and the words' only after a letter
# that ends one (a "/" after other code costs two failed looks). "</" (HTML in strings: in most
# scripts) is looked for on its own, once; so are the rare spaces rjsmin keeps (no-break, U+2028).
# The spaces past ASCII, which rjsmin keeps (it takes their bytes for a name's).
_KEPT_SPACES = JS_SPACES_PAST_ASCII
_TOKEN_SLASH = re.compile(
    rb"/(?:(?<=[>%^~]/)|(?<=\.\.\./)|(?<=\+\+/)|(?<=--/)|"
    + b"|".join(rb"(?<=" + re.escape(space) + rb"/)" for space in _KEPT_SPACES)
    + rb"|(?<=["
    + bytes(sorted({word[-1] for word in _WORDS}))
    + rb"]/)(?:"
    + b"|".join(rb"(?<=[^\w$.]" + word + rb"/)" for word in _WORDS)
    + rb"))"
)
_LT_SLASH = re.compile(rb"</")
# rjsmin takes a "/" after "++" or "--" for a regular expression's start, where JavaScript divides.
_POSTFIX = (b"++", b"--")
_POSTFIX_THEN_SLASH = {b"++": re.compile(rb"\+\+[ \t]*(?=/)"), b"--": re.compile(rb"--[ \t]*(?=/)")}

# A regular expression literal as the lexer reads one (classes may hold "/"), of at most 128 parts
# and classes of at most 64, so that text of unclosed ones (anybody's inline content) is scanned in
# linear time; the parts of one too long for that, and the whole of it.
_PART = rb"(?:[^/\\\n\[]|\\.|\[(?:[^\]\\\n]|\\.){0,64}\])"
_REGEX_LITERAL = re.compile(rb"/(?![/*])" + _PART + rb"{0,128}/")
_REGEX_TOO_LONG = re.compile(rb"/(?![/*])" + _PART + rb"{128}")
_REGEX_LONG = re.compile(rb"/(?![/*])" + _PART + rb"*/")
# Between a token and the regular expression: spaces (those JavaScript knows beyond ASCII too) and
# comments of bounded length (rjsmin drops them: "~ /* c */ /a b/" comes out "~/a b/").
_GAP = rb"(?:\s|" + b"|".join(map(re.escape, _KEPT_SPACES)) + rb"|/\*(?:[^*]|\*(?!/)){0,256}\*/|//[^\n]{0,256}\n)*"
_TOKEN_THEN_SLASH = {token: re.compile(re.escape(token) + _GAP + rb"(?=/(?![/*]))") for token in _TOKENS}
# "</div>" right after "<" is HTML, never a regular expression after "<".
_CLOSING_TAG = re.compile(rb"/[A-Za-z][\w:-]*\s*>")
# What rjsmin, reading a regular expression as code, would change: a space, a quote or backtick, a
# comment opener, or a "/" after one of the characters that make it start a regular expression there.
_MISREADABLE = re.compile(rb"""[\s'"`]|[(,=:\[!&|?{};+*\-/]/|/\*""")

#: How many different regular expressions are compared by count before a script is taken as
#: misread without looking further (each comparison is a pass over the script and its result).
MAX_REGEX_TEXTS = 64
# Where rjsmin takes a "/" to start a regular expression (its own list), and how far back on a line
# the context of a candidate is looked at.
_RJSMIN_PREREGEX = frozenset(b"(,=:[!&|?{};+-*\n")
_LOOK_BACK = 512
# How much of the line after one too long to read whole is looked at for what rjsmin would change.
_LONG_LINE = 4096


class RegexMisreads:
    """Whether rjsmin, giving ``minified`` for ``source``, changed a regular expression (its text in
    the source) that it would change if it read it as code.

    Compared by count, not presence: a second copy of the same text (in a string, another regular
    expression) must not hide the one rjsmin changed. Answers None once more than
    :data:`MAX_REGEX_TEXTS` different texts were asked about (too many to tell cheaply: give up).
    ``encoding`` is how the text becomes the bytes rjsmin read (Latin-1 for text holding a character
    per byte).
    """

    def __init__(self, source: bytes | str, minified: bytes, encoding: str = "utf-8") -> None:
        self.source = source  # the script as bytes, or as its text (counted without a second copy)
        self.minified = minified
        self.encoding = encoding
        self.answers: dict[bytes, bool] = {}

    def __call__(self, regex: str) -> bool | None:
        written = regex.encode(self.encoding, "surrogatepass")
        if _MISREADABLE.search(written) is None:
            return False
        if written not in self.answers:
            if len(self.answers) >= MAX_REGEX_TEXTS:
                return None
            in_source = self.source.count(regex) if isinstance(self.source, str) else self.source.count(written)
            self.answers[written] = self.minified.count(written) < in_source
        return self.answers[written]


def regex_misread(source: bytes, minified: bytes) -> bool:
    """True when ``source`` holds, after one of the operators and keywords rjsmin takes for the end of
    an expression (where ``minified`` has one right before a ``/``), a regular expression that rjsmin
    changed or cannot have paired its quotes in, or a division rjsmin took for a regular expression.

    A candidate in a URL in a string (``'/items/new/' + id``) or in a comment on its line is not one;
    one too long for the quick read is read on to the end of its line.
    """
    tokens = _tokens_before_slashes(minified)
    if not tokens:
        return False
    misreads = RegexMisreads(source, minified)
    for token in tokens:
        if token in _POSTFIX:
            if _postfix_division(source, token):
                return True
            continue
        word = token[:1].isalpha()
        for match in _TOKEN_THEN_SLASH[token].finditer(source):
            start, slash = match.start(), match.end()
            if word and start > 0 and _in_a_name(source[start - 1]):
                continue  # the end of a longer name (xin), or a property (a.in / 2)
            if token == b"<" and (
                not _ends_an_operand(source, start) or (slash == start + 1 and _CLOSING_TAG.match(source, slash))
            ):
                continue
            if _in_a_url(source, start, slash, token):
                continue
            if _misread_at(source, slash, misreads):
                return True
    return False


def _misread_at(source: bytes, slash: int, misreads: RegexMisreads) -> bool:
    literal = _REGEX_LITERAL.match(source, slash)
    if literal is None and _REGEX_TOO_LONG.match(source, slash) is not None:
        # Read on to its end, at most _LONG_LINE bytes: a "/" no further than the next candidate's.
        literal = _REGEX_LONG.match(source, slash, slash + _LONG_LINE)
    if literal is None:  # a "/" the line never closes: no regular expression
        return False
    regex = literal.group()
    if _MISREADABLE.search(regex) is None or _closes_a_regex(source, slash) or in_a_comment(source, slash):
        return False
    texts = [regex] + (_strings_after(source, literal.end()) if _QUOTE.search(regex) else [])
    for text in texts:  # rjsmin pairs a quote in it with a later one: what it changed may come after
        misread = misreads(text.decode("utf-8", "surrogatepass"))
        if misread is None or misread:
            return True
    return False


def _in_a_url(source: bytes, start: int, slash: int, token: bytes) -> bool:
    """``'/items/new/' + id + '/edit/'``, ``'~/' + d``, ``'Total</' + t``: the token is a path segment
    or follows a quote, right before its ``/``, and what would be the regular expression starts with
    a quote. Code never reads so (``a/new/'x'/`` is no program anyone writes)."""
    if slash != start + len(token) or source[slash + 1 : slash + 2] not in (b"'", b'"', b"`"):
        return False
    return token == b"<" or (start > 0 and source[start - 1] in b"/'\"`")


def _postfix_division(source: bytes, operator: bytes) -> bool:
    """``i++ / 2 + "a/  b"``: rjsmin read a regular expression from the ``/`` to the string's ``/``
    and squeezed what followed it. Any such division in code is taken as misread."""
    for match in _POSTFIX_THEN_SLASH[operator].finditer(source):
        slash = match.end()
        if (
            _REGEX_LITERAL.match(source, slash)
            and not _closes_a_regex(source, slash)  # /--/: the "--" is in a regular expression
            and not in_a_comment(source, match.start())
        ):
            return True
    return False


def _strings_after(source: bytes, end: int) -> list[bytes]:
    """The string literals on the rest of the line after ``end`` (up to :data:`_LONG_LINE` bytes):
    ``typeof /'/; s = 'a  b'`` came out with ``'a b'`` (rjsmin read ``'/; s = '`` as the string)."""
    line_end = source.find(b"\n", end, end + _LONG_LINE)
    line_end = min(len(source), end + _LONG_LINE) if line_end < 0 else line_end
    found: list[bytes] = []
    position = end
    while True:
        opener = _QUOTE.search(source, position, line_end)
        if opener is None:
            return found
        string = _STRING_BODY[opener.group()].match(source, opener.start(), line_end)
        if string is None:
            return found
        found.append(string.group())
        position = string.end()


def _in_a_name(byte: int) -> bool:
    return byte >= 0x80 or chr(byte).isalnum() or byte in b"_$.#"


def _tokens_before_slashes(minified: bytes) -> list[bytes]:
    """Which of the tokens (and of ``++``/``--``) stand right before a ``/`` in ``minified``, in a
    fixed order; all of them when a space rjsmin keeps (no-break, U+2028…) does."""
    seen: set[bytes] = set()
    for match in _TOKEN_SLASH.finditer(minified):
        before = minified[max(0, match.start() - 10) : match.start()]
        if before.endswith(_KEPT_SPACES):
            return list(_TOKENS + _POSTFIX)
        seen.update(token for token in _TOKENS + _POSTFIX if before.endswith(token))
    seen.update(word for word in _WORDS if minified.startswith(word + b"/"))
    if _LT_SLASH.search(minified):
        seen.add(b"<")
    return [token for token in _TOKENS + _POSTFIX if token in seen]


def _ends_an_operand(source: bytes, at: int) -> bool:
    """Whether what stands before ``at`` (past spaces and line ends) may end the left side of a
    ``<``: a name, a number, ``)`` or ``]``. HTML in comments and strings (``<>{…}</>``) mostly
    does not."""
    before = at - 1
    while before >= 0 and source[before] in b" \t\r\n":
        before -= 1
    return before >= 0 and (source[before] >= 0x80 or chr(source[before]).isalnum() or source[before] in b"_$)]")


def _closes_a_regex(source: bytes, slash: int, *, nested: bool = False) -> bool:
    """True when the ``/`` at ``slash`` ends a regular expression that starts where both rjsmin and
    JavaScript read one (after an unescaped ``(``, ``,``, ``=``…): ``.replace(/<br\\/?>/g, …)`` ends
    in ``>/`` too. A start that itself ends one (``/a,/, t = ~/…``) is none."""
    found = _line_start(source, slash)  # a longer look would make hostile lines quadratic
    line_start = -1 if found is None else found  # -1: not within reach
    window = max(0, slash - _LOOK_BACK, line_start)
    start = source.rfind(b"/", window, slash)
    while start >= 0:
        literal = (
            None if source[start - 1 : start] == b"*" else _REGEX_LITERAL.match(source, start)
        )  # "*/" ends a comment
        if (
            literal is not None
            and literal.end() == slash + 1
            and (nested or not _closes_a_regex(source, start, nested=True))
        ):
            before = start - 1
            while before >= window and source[before] in b" \t":
                before -= 1
            if (line_start >= 0 and before < line_start) or (
                before >= window and source[before] in _RJSMIN_PREREGEX and source[before - 1 : before] != b"\\"
            ):
                return True
        if source[start - 1 : start] != b"\\" and not _CLASS_BRACKET.search(source, start, slash):
            # A "/" neither escaped nor in a class ends every literal that starts further back
            # before it reaches ``slash``: no further start can close here (a line of "(/~/" made
            # each look try every "/" of its window).
            return False
        start = source.rfind(b"/", window, start)
    return False


def _line_start(source: bytes, at: int, *, after_cr: bool = False) -> int | None:
    """Where the line holding ``at`` starts, looked for at most :data:`_LOOK_BACK` bytes back; None
    when it starts further back. ``after_cr``: a lone CR starts one too (it ends a ``//`` comment);
    where a regular expression may start, only a line feed is taken for one."""
    return line_start_within(source, at, _LOOK_BACK, (b"\n", b"\r") if after_cr else (b"\n",))


def _starts_a_regex(source: bytes, line_start: int, slash: int) -> bool:
    """Whether JavaScript starts a regular expression at the ``/`` at ``slash``, by what stands before
    it on its line: nothing, punctuation that ends no operand, or a keyword such as ``typeof``."""
    before = slash
    while before > line_start and source[before - 1] in b" \t":
        before -= 1
    if before == line_start or source[before - 1] in _BEFORE_A_REGEX:
        return True
    word = _WORD_BEFORE.search(source, max(line_start, before - 16), before)
    if word is None or word.group() not in _WORDS_BEFORE_A_REGEX:
        return False
    return word.start() == line_start or source[word.start() - 1] not in b".$_"


_CLASS_BRACKET = re.compile(rb"[\[\]]")
_STRING_OR_COMMENT = re.compile(rb"""["'`]|//|/\*|/""")
# What a "/" after which (past spaces) JavaScript starts a regular expression follows: punctuation
# or one of these words (a "//" in such a literal opens no comment).
_BEFORE_A_REGEX = frozenset("".join(REGEX_AFTER_PUNCTUATION).encode("ascii"))
_WORDS_BEFORE_A_REGEX = frozenset(_WORDS) | {b"return"}
_WORD_BEFORE = re.compile(rb"[A-Za-z]+\Z")
_QUOTE = re.compile(rb"""["'`]""")
_STRING_BODY = {
    quote: re.compile(rb"%s[^%s\\\n]*(?:\\.[^%s\\\n]*)*%s" % ((re.escape(quote),) * 4)) for quote in (b"'", b'"', b"`")
}


def in_a_comment(source: bytes, at: int) -> bool:
    """Whether ``at`` lies in a comment that opens on its line (read from the line's start, strings
    and regular expressions passed over, at most :data:`_LOOK_BACK` bytes back). A candidate the scan
    cannot tell about (in a string, a literal it takes for a division) is looked at."""
    line_start = _line_start(source, at, after_cr=True)
    if line_start is None:
        return False  # the line starts out of reach: look at the candidate
    position = line_start
    while True:
        opener = _STRING_OR_COMMENT.search(source, position, at)
        if opener is None:
            return False
        if opener.group() == b"//":
            return True
        if opener.group() == b"/":  # a regular expression's start, or a division
            literal = None
            if _starts_a_regex(source, line_start, opener.start()):
                literal = _REGEX_LITERAL.match(source, opener.start())
            if literal is not None and literal.end() > at:
                return False
            position = opener.end() if literal is None else literal.end()
            continue
        if opener.group() == b"/*":
            close = source.find(b"*/", opener.end(), at)
            if close < 0:
                return True
            position = close + 2
            continue
        string = _STRING_BODY[opener.group()].match(source, opener.start())
        if string is None or string.end() > at:
            return False
        position = string.end()
