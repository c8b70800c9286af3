"""Known ways a minifier can change what a file means, checked before its output is used.

rjsmin loses the text of a template literal nested inside another's ``${…}``, and it can join
``a < !--b`` into ``a<!--b``, which browsers read as the start of an HTML-like comment. rcssmin drops
the ``;`` after a file's last ``@import``, which swallows the next file's first rule once combined.
A file that hits a JS trap is served unminified (with a warning); the CSS one is repaired.
"""

from __future__ import annotations

import re
from collections import Counter

# A template literal as rjsmin sees one: from a backtick to the next unescaped backtick.
_NAIVE_TEMPLATE = re.compile(r"`[^`\\]*(?:\\.[^`\\]*)*`", re.DOTALL)
# The same over UTF-8 bytes: no byte of a multibyte character is a backtick or a backslash, so the
# spans are the same ones.
_NAIVE_TEMPLATE_BYTES = re.compile(rb"`[^`\\]*(?:\\.[^`\\]*)*`", re.DOTALL)
_COMMENT_OPEN_BYTES = re.compile(rb"<!--")

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

#: What :func:`js_trap` says when rjsmin took a regular expression for a division.
MISREAD_REGEX_TRAP = (
    "rjsmin reads a regular expression after '=>', '>', '<', '%', '^', '~' or a keyword such as typeof "
    "as a division and changes it"
)
# Where JavaScript starts a regular expression at a "/" and rjsmin reads a division (it knows only
# "(,=:[!&|?{};+-*", a line end and "return"): after these operators and keywords.
_MISREAD_AFTER_OPERATORS = (b">", b"<", b"%", b"^", b"~")
_MISREAD_AFTER_WORDS: tuple[bytes, ...] = (b"typeof", b"instanceof", b"void", b"delete", b"case", b"in", b"of")
_MISREAD_AFTER_WORDS += (b"else", b"throw", b"new", b"do", b"yield", b"await")
# Where rjsmin wrote one of them right before a "/": only then is the source searched. A literal "/"
# to jump to, then fixed-width looks back: one for the operators, and the words' only after a letter
# that ends one (a "/" after other code costs two failed looks). A word must not end a longer name or follow a ".".
# "</" (HTML in strings: in most scripts) is looked for on its own, once.
_MISREAD_SLASH = re.compile(
    rb"/(?:(?<=[>%^~]/)|(?<=["
    + bytes(sorted({word[-1] for word in _MISREAD_AFTER_WORDS}))
    + rb"]/)(?:"
    + b"|".join(rb"(?<=[^\w$.]" + word + rb"/)" for word in _MISREAD_AFTER_WORDS)
    + rb"))"
)
_LT_SLASH = re.compile(rb"</")
# A regular expression literal as the lexer reads one (classes may hold "/"), of at most 256 parts, so
# that text of unclosed ones (inline content is anybody's) is scanned in linear time.
_REGEX_LITERAL_PATTERN = rb"/(?![/*])(?:[^/\\\n\[]|\\.|\[(?:[^\]\\\n]|\\.){0,256}\]){0,256}/"
_REGEX_LITERAL = re.compile(_REGEX_LITERAL_PATTERN)
# A regular expression right after each of them in the source, searched from its literal text.
_REGEX_AFTER = {
    token: re.compile(re.escape(token) + rb"\s*(" + _REGEX_LITERAL_PATTERN + rb")")
    for token in _MISREAD_AFTER_OPERATORS + _MISREAD_AFTER_WORDS
}
# "</div>" in a string is no regular expression after "<": a closing tag is never looked at.
_CLOSING_TAG = re.compile(rb"/[A-Za-z][\w:-]*\s*>")


# What rjsmin, reading a regular expression as code, would change: a space, a quote or backtick, a
# comment opener, or a "/" after one of the characters that make it start a regular expression there.
_MISREADABLE = re.compile(rb"""[\s'"`]|[(,=:\[!&|?{};+*\-/]/|/\*""")


#: How many different regular expressions after ">" are compared by count before a script is taken
#: as misread without looking further (each comparison is a pass over the script and its result).
MAX_REGEX_TEXTS = 64


class RegexMisreads:
    """Whether rjsmin, giving ``minified`` for ``source``, changed a regular expression (its text in
    the source) that it would change if it read it as code.

    Compared by count, not presence: a second copy of the same text (in a string, another regular
    expression) must not hide the one rjsmin changed. Answers None once more than
    :data:`MAX_REGEX_TEXTS` different texts were asked about (too many to tell cheaply: give up).
    """

    def __init__(self, source: bytes | str, minified: bytes) -> None:
        self.source = source  # the script as bytes, or as its text (counted without a second copy)
        self.minified = minified
        self.answers: dict[bytes, bool] = {}

    def __call__(self, regex: str) -> bool | None:
        written = regex.encode("utf-8", "surrogatepass")
        if _MISREADABLE.search(written) is None:
            return False
        if written not in self.answers:
            if len(self.answers) >= MAX_REGEX_TEXTS:
                return None
            in_source = self.source.count(regex) if isinstance(self.source, str) else self.source.count(written)
            self.answers[written] = self.minified.count(written) < in_source
        return self.answers[written]


# Where rjsmin takes a "/" to start a regular expression (its own list), and how far back on a line
# a regular expression that ends in ">/" is looked for.
_RJSMIN_PREREGEX = frozenset(b"(,=:[!&|?{};+-*\n")
_LOOK_BACK = 512


def _closes_a_regex(source: bytes, slash: int) -> bool:
    """True when the ``/`` at ``slash`` ends a regular expression that starts where both rjsmin and
    JavaScript read one (after ``(``, ``,``, ``=``…): ``.replace(/<br\\/?>/g, …)`` ends in ``>/`` too."""
    window = max(0, slash - _LOOK_BACK)  # a longer look would make hostile lines quadratic
    newline = source.rfind(b"\n", window, slash)
    line_start = newline + 1 if newline >= 0 else (0 if window == 0 else -1)  # -1: not within reach
    window = max(window, line_start)
    start = source.rfind(b"/", window, slash)
    while start >= 0:
        literal = _REGEX_LITERAL.match(source, start)
        if literal is not None and literal.end() == slash + 1:
            before = start - 1
            while before >= window and source[before] in b" \t":
                before -= 1
            if (line_start >= 0 and before < line_start) or (before >= window and source[before] in _RJSMIN_PREREGEX):
                return True
        start = source.rfind(b"/", window, start)
    return False


def _regex_misread(source: bytes, minified: bytes) -> bool:
    """True when a regular expression after an operator or keyword rjsmin takes for the end of an
    expression (``>``, ``~``, ``typeof``…, where ``minified`` has it right before a ``/``) in
    ``source``, one that rjsmin would change if it read it as code, is not in ``minified`` as it was.

    rjsmin copies a regular expression it recognises byte for byte; one it took for a division only
    survives when nothing in it looks like a space, string or comment to code. A ``> /…/`` inside a
    comment or string can only make this say yes (the file is then minified with the lexer's help).
    """
    tokens = _tokens_before_slashes(minified)
    if not tokens:
        return False
    misreads = RegexMisreads(source, minified)
    for token in tokens:
        word = token[0] in b"abcdefghijklmnopqrstuvwxyz"
        for match in _REGEX_AFTER[token].finditer(source):
            start = match.start()
            if (
                word
                and start > 0
                and (source[start - 1] >= 0x80 or source[start - 1 : start].isalnum() or source[start - 1] in b"_$.")
            ):
                continue  # the end of a longer name (xin), or a property (a.in / 2)
            regex = match.group(1)
            if _MISREADABLE.search(regex) is None or _closes_a_regex(source, match.start(1)):
                continue
            if token == b"<" and (_CLOSING_TAG.match(regex) or not _ends_an_operand(source, start)):
                continue
            misread = misreads(regex.decode("utf-8", "surrogatepass"))
            if misread is None or misread:
                return True
    return False


def _ends_an_operand(source: bytes, at: int) -> bool:
    """Whether what stands before ``at`` (past spaces) may end the left side of a ``<``: a name, a
    number, ``)`` or ``]``. HTML in comments and strings (``<>{…}</>``, ``(?:</\\1>``) mostly does
    not, and a comment holding one would look like a regular expression rjsmin dropped."""
    before = at - 1
    while before >= 0 and source[before] in b" \t":
        before -= 1
    return before >= 0 and (
        source[before] >= 0x80 or source[before : before + 1].isalnum() or source[before] in b"_$)]"
    )


def _tokens_before_slashes(minified: bytes) -> list[bytes]:
    """Which of the operators and keywords rjsmin misreads a regular expression after stand right
    before a ``/`` in ``minified``, in a fixed order."""
    seen: set[bytes] = set()
    for match in _MISREAD_SLASH.finditer(minified):
        before = minified[max(0, match.start() - 10) : match.start()]
        seen.update(token for token in _MISREAD_AFTER_OPERATORS + _MISREAD_AFTER_WORDS if before.endswith(token))
    if _LT_SLASH.search(minified):
        seen.add(b"<")
    return [token for token in _MISREAD_AFTER_OPERATORS + _MISREAD_AFTER_WORDS if token in seen]


#: How much of a text is translated at a time (then up to its next line end): a 10 MB script's shape
#: is not held whole beside the script, its minified text and the minifier's output.
_SHAPE_CHUNK = 1 << 20


def numbers_before_names(text: bytes) -> Counter[bytes]:
    """Each number (digits not ending a name) followed by ``.`` and a name, as written in ``text``.

    Looked for a line range at a time: such a number and its name never span a line end, and a
    range that starts after one starts where the text would.
    """
    found: Counter[bytes] = Counter()
    start = 0
    while start < len(text):
        line_end = text.find(b"\n", start + _SHAPE_CHUNK)
        end = len(text) if line_end < 0 else line_end + 1
        _count_numbers_before_names(text[start:end], found)
        start = end
    return found


def _count_numbers_before_names(text: bytes, found: Counter[bytes]) -> None:
    shape = text.translate(_SHAPES)
    length = len(shape)
    for match in _NUMBER_DOT_NAME.finditer(shape):
        start = match.start()
        while start > 0 and shape[start - 1] in b"0_":
            start -= 1
        if shape[start] == 0x5F or (start > 0 and shape[start - 1] in b"a."):
            continue  # a name (_1, a_1, x1) or a member (.1 of 1.1) before the dot, not a number
        end = match.end()
        while end < length and shape[end] in b"a0_":
            end += 1
        found[text[start:end]] += 1


#: What :func:`js_trap` says of a script that nests template literals (minified around them instead).
NESTED_TEMPLATE_TRAP = "it nests a template literal inside another's ${…}, which rjsmin cuts short"


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


def js_trap_bytes(source: bytes, minified: bytes, *, templates: bool = True) -> str | None:
    """:func:`js_trap` over the UTF-8 bytes of the source and of its minified text: the same answer,
    one byte per character to look at (text with a character past U+00FF takes two or four).

    Searched with compiled patterns: ``bytes.__contains__`` looks for a two- or four-byte needle at
    about half the speed of the regex engine, and the spans alone tell whether any holds ``${``.
    """
    if templates and b"`" in source:
        spans = _NAIVE_TEMPLATE_BYTES.findall(source)
        if any(b"${" in span and span.count(b"{") > span.count(b"}") for span in spans):
            return NESTED_TEMPLATE_TRAP
    if _COMMENT_OPEN_BYTES.search(minified) and minified.count(b"<!--") > source.count(b"<!--"):
        return "minifying would write '<!--', which browsers read as the start of a comment"
    if _regex_misread(source, minified):
        return MISREAD_REGEX_TRAP
    # rjsmin drops the line break in "1.\nx" (a number, then a statement). A number right before ".x"
    # is never code (1.x is a syntax error): one the source does not hold is that join.
    # Compared by their text, so that "step 3.a" in a comment (gone from the result) hides nothing.
    joined = numbers_before_names(minified)
    if joined and joined - numbers_before_names(source):
        return NUMBER_JOINED_TRAP
    return None


def repair_css(minified: str) -> str:
    """End a minified stylesheet with ``;`` when its last statement lost it (a trailing ``@import``)."""
    stripped = minified.rstrip()
    if stripped and stripped[-1] not in ";}":
        return stripped + ";"
    return minified


_PROLOGUE_GAP = re.compile(r"(?:\s+|//[^\n]*|/\*.*?\*/)*", re.DOTALL)
_DIRECTIVE = re.compile(r"""(["'])((?:\\.|(?!\1)[^\\\n])*)\1[ \t]*(?:;|\n|$)""")


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
        if directive.group(2) == "use strict":
            return True
        position = _PROLOGUE_GAP.match(text, directive.end()).end()  # type: ignore[union-attr]


#: Characters a scan can be retried from, and how many character steps of such retries are allowed
#: (about a second of rjsmin's time).
RESCAN_BUDGET = 200_000_000
# What rjsmin and rcssmin try from a quote, backtick or slash: a token ending on its line (strings,
# regular expressions, // comments) or at the end of the text (template literals, /* comments). Each
# alternative consumes what it scanned, closed or not (its ``c…`` group is set when it closed), so this
# pass is linear.
_SCRIPT_TOKENS = re.compile(
    r"""/\*(?:.*?(?P<c1>\*/)|.*)|//[^\n]*(?P<c2>)"""
    r"""|"(?:[^"\\\n]|\\.)*(?P<c3>")?|'(?:[^'\\\n]|\\.)*(?P<c4>')?|`(?:[^`\\]|\\.)*(?P<c5>`)?"""
    r"""|/(?:[^/\\\n\[]|\\.|\[(?:[^\]\\\n]|\\.)*\]?)*(?P<c6>/)?""",
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
