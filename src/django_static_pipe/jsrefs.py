"""Finding the module specifiers in JavaScript: ``import … from "x"``, ``import "x"``,
``export … from "x"`` and ``import("x")`` with a literal string.

They are read with the lexer of :mod:`js_lexer`, so a specifier-looking text inside a comment, string,
template literal or regular expression is never touched. A quick look first tells most scripts that
name no local module without lexing them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from .js_lexer import LINE_ENDS, Lexer, Token, line_start_within

# A cheap first look: most scripts (jQuery, Bootstrap's bundle) have no module syntax at all.
_MAYBE_MODULE = re.compile(r"\bimport\b|\bexport\s*[{*]")


@dataclass(frozen=True)
class Specifier:
    """A module specifier: the span of its text between the quotes, and that text."""

    start: int
    end: int
    value: str
    quote: str
    dynamic: bool


def _string_value(token: Token) -> str | None:
    """The value of a plain string literal; None when it has escapes or is not closed (left alone)."""
    body = token.text[1:-1]
    if len(token.text) < 2 or token.text[-1] != token.text[0] or "\\" in body:
        return None
    return body


def _specifier(token: Token, dynamic: bool) -> Specifier | None:
    value = _string_value(token)
    if value is None:
        return None
    return Specifier(token.start + 1, token.end - 1, value, token.text[0], dynamic)


def local_specifiers(text: str) -> list[Specifier]:
    """The specifiers that name a file by path or URL (``./``, ``../``, ``/``, or holding ``://``):
    the ones a build rewrites; a bare one (``lodash``) is for an import map.

    Each is a string right after ``import``, ``import(`` or ``from``, with at most spaces and
    comments between: a script where no such string (or comment) follows those words has none, which
    a few searches tell without lexing it (webpack bundles say ``harmony import`` in every module).
    """
    if not may_name_local_module(text):
        return []
    return [specifier for specifier in specifiers(text) if is_local_specifier(specifier.value)]


def is_local_specifier(value: str) -> bool:
    return value.startswith(("./", "../", "/")) or "://" in value


# What may follow import/from (past spaces, comments and a "(") when a local specifier does.
_LOCAL_STRING = re.compile(r""""(?:\.{0,2}/|[^"\\\n\r]*://)|'(?:\.{0,2}/|[^'\\\n\r]*://)""")
_SPACES = re.compile(r"\s*")
_LINE_END = re.compile(r"[\n\r\u2028\u2029]")


def may_name_local_module(text: str, *, utf8_view: bool = False) -> bool:
    """Whether some ``import``/``from`` not inside a word is followed, past spaces, comments and a
    ``(``, by a string naming a path or URL. Exact past the comments of real code; a keyword inside a
    comment or string only costs the lexer's look. The searches past comments are given a budget (a
    text of unclosed ``/*`` after every keyword would make them quadratic); past it, the answer is yes.

    ``utf8_view``: ``text`` is a script's UTF-8 bytes seen one character per byte (Latin-1), where a
    character past ASCII is two to four characters and none of them a space; then a keyword after
    one is a candidate, and the UTF-8 of a space where the next token starts makes the answer yes:
    no wrong no, and no more yeses than real code has such spaces.
    """
    positions = []
    for word in ("import", "from"):
        position = text.find(word)
        while position >= 0:
            before = text[position - 1] if position else " "
            if utf8_view:
                in_a_word = before.isascii() and (before.isalnum() or before in "_$")
            else:
                in_a_word = before.isalnum() or before in "_$\u200c\u200d"
            if not in_a_word and not _on_a_doc_comment_line(text, position):
                positions.append(position + len(word))
            position = text.find(word, position + 1)
    budget = [2 * len(text) + 65536]
    looked_at: set[int] = set()  # keywords in comments may all lead to one long string: it is read once
    for after_keyword in sorted(positions):
        token = _past_spaces_and_comments(text, after_keyword, budget)
        if token is not None and text.startswith("(", token):
            token = _past_spaces_and_comments(text, token + 1, budget)
        if token is None or (utf8_view and _UTF8_SPACE.match(text, token)):
            return True
        if token not in looked_at:
            looked_at.add(token)
            if _LOCAL_STRING.match(text, token):
                return True
    return False


# The UTF-8 of the spaces past ASCII that ``\s`` passes (U+0085, U+00A0, U+1680, U+2000-U+200A,
# U+202F, U+205F, U+3000) and U+FEFF, as text of one character per byte.
_UTF8_SPACE = re.compile("\xc2[\x85\xa0]|\xe1\x9a\x80|\xe2\x80[\x80-\x8a\xaf]|\xe2\x81\x9f|\xe3\x80\x80|\xef\xbb\xbf")

# A documentation comment's line: "/**" or "*" and a space (or "@") at its start, past indentation.
_DOC_COMMENT_LINE = re.compile(r"[ \t]*(?:/\*\*|\*)[ \t@]")
_DOC_LOOK_BACK = 4096


def _on_a_doc_comment_line(text: str, keyword: int) -> bool:
    """Whether the keyword at ``keyword`` sits on a JSDoc line that has not closed its comment before
    it: ``/** @type {import('./eval')} */`` (plotly.js, 22 times) or `` * @import Player from './x'``
    (video.js). Code does not start a line with ``* `` and then import (a generator method is
    ``*name()``), so such a keyword is passed by without the lexer."""
    line_start = line_start_within(text, keyword, _DOC_LOOK_BACK, LINE_ENDS)
    if line_start is None:
        return False
    return _DOC_COMMENT_LINE.match(text, line_start) is not None and "*/" not in text[line_start:keyword]


def _past_spaces_and_comments(text: str, position: int, budget: list[int]) -> int | None:
    """Where the next token after ``position`` starts; None once ``budget`` (characters searched,
    shared by the calls for one text) runs out."""
    while True:
        position = _SPACES.match(text, position).end()  # type: ignore[union-attr]
        if text.startswith("/*", position):
            end = text.find("*/", position + 2)
            following = len(text) if end < 0 else end + 2
        elif text.startswith("//", position):
            line_end = _LINE_END.search(text, position + 2)
            following = len(text) if line_end is None else line_end.start()
        else:
            return position
        budget[0] -= following - position
        if budget[0] < 0:
            return None
        position = following


def _maybe_module(text: str) -> bool:
    """``_MAYBE_MODULE.search(text)``, found faster: ``str.find`` jumps to each ``import``/``export``
    in C, where the regex (no literal to start from) would test a word boundary at every position."""
    for word in ("import", "export"):
        position = text.find(word)
        while position >= 0:
            if _MAYBE_MODULE.match(text, position):
                return True
            position = text.find(word, position + 1)
    return False


def specifiers(text: str) -> list[Specifier]:
    """Every static and literal dynamic module specifier in ``text``, in order."""
    if not _maybe_module(text):
        return []
    found: list[Specifier] = []
    lexer = Lexer(text)
    tokens = iter(lexer)
    before: Token | None = None
    for token in tokens:
        if token.kind != "word" or token.text not in ("import", "export"):
            lexer.skim = True  # until the next keyword, only the token before it matters
            before = token
            continue
        lexer.skim = False  # a declaration is read token by token
        if before is not None and before.kind == "punct" and before.text == ".":  # obj.import
            before = token
            continue
        keyword = token.text
        following = next(tokens, None)
        if following is None:
            break
        if keyword == "import" and following.kind == "punct" and following.text == "(":
            argument = next(tokens, None)
            if argument is not None and argument.kind == "string":
                spec = _specifier(argument, dynamic=True)
                if spec:
                    found.append(spec)
            before = argument
            continue
        if following.kind == "string" and keyword == "import":  # import "x"
            spec = _specifier(following, dynamic=False)
            if spec:
                found.append(spec)
            before = following
            continue
        before = _clause(tokens, following, keyword, found)
    return found


def _clause(tokens: Iterator[Token], first: Token, keyword: str, found: list[Specifier]) -> Token | None:
    """After ``import``/``export``: walk the bindings (``x, { a as b }``, ``* as ns``) to ``from "x"``."""
    if keyword == "export" and not (first.kind == "punct" and first.text in "{*"):
        return first  # export const/function/default…: no specifier
    if keyword == "import" and not (first.kind == "word" or (first.kind == "punct" and first.text in "{*")):
        return first  # import.meta, or not a declaration
    if first.kind == "word" and first.text == "from":
        following = next(tokens, None)
        if following is not None and following.kind == "string":  # `import from from "x"` is rare; fine
            spec = _specifier(following, dynamic=False)
            if spec:
                found.append(spec)
        return following
    token: Token | None = first
    depth = 0
    steps = 0
    while token is not None and steps < 10_000:  # a clause is short; a runaway one is not a declaration
        steps += 1
        if token.kind == "punct":
            if token.text == "{":
                depth += 1
            elif token.text == "}":
                depth -= 1
            elif token.text in ";()" and depth <= 0:
                return token
        elif token.kind == "word" and token.text == "from" and depth <= 0:
            following = next(tokens, None)
            if following is not None and following.kind == "string":
                spec = _specifier(following, dynamic=False)
                if spec:
                    found.append(spec)
            return following
        elif token.kind == "string" and depth <= 0:
            return token
        token = next(tokens, None)
    return token


def quoted_for_js(url: str, quote: str) -> str:
    """``url`` as the body of a JS string delimited by ``quote``."""
    return url.replace("\\", "\\\\").replace(quote, "\\" + quote)
