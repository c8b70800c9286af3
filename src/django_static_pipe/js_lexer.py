"""A small JavaScript lexer: the tokens of a script, with whitespace and comments skipped.

It skips strings, template literals (with their ``${…}`` parts, to any depth) and regular expression
literals whole, so what looks like code inside them is never read as code. Whether a ``/`` starts a
regular expression is decided the usual way, from the token before it. It runs in linear time: every
character is looked at a bounded number of times, whatever the input. :mod:`jsrefs` reads module
specifiers with it, :mod:`js_prepare` the spans rjsmin would misread.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import AnyStr

from .next_match import NextMatch

# Words after which a '/' starts a regular expression; after any other word (a name) it divides.
_REGEX_AFTER_WORDS = frozenset(
    {"return", "typeof", "instanceof", "in", "of", "new", "delete", "void", "throw", "case", "do", "else"}
    | {"yield", "await", "extends"}
)
#: The punctuation after which a "/" starts a regular expression.
REGEX_AFTER_PUNCTUATION = frozenset("(,=:[!&|?{};+-*%<>~^")
# A name: ASCII letters, digits (after the first), "_" and "$", and every character past ASCII but the
# spaces (U+00A0 ends a word as a space does).
_WORD = re.compile(
    r"[^\s\x00-\x23\x25-\x40\x5b-\x5e\x60\x7b-\x7f]"  # not a digit first
    r"[^\s\x00-\x23\x25-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f]*"
)
_NUMBER = re.compile(r"\d[\w.]*|\.\d[\w.]*")
_SPACE = re.compile(r"(?:\s+|//[^\n\r\u2028\u2029]*|/\*.*?(?:\*/|\Z))*", re.DOTALL)
#: Whitespace and comments, as the lexer skips them before each token.
SPACE_AND_COMMENTS = _SPACE
# The bodies of strings, templates and regular expressions, each written as a run of plain characters
# between escapes ("unrolled"): a repeated alternation of single characters kept a backtracking entry
# per character, 120 MB and 40 times the time for a 1 MB string.
_STRING = {  # a backslash before a line end (CRLF included) continues the string on the next line
    '"': re.compile(r'"[^"\\\n]*(?:(?:\\\r\n|\\.)[^"\\\n]*)*"?', re.DOTALL),
    "'": re.compile(r"'[^'\\\n]*(?:(?:\\\r\n|\\.)[^'\\\n]*)*'?", re.DOTALL),
}
_TEMPLATE_PART = re.compile(r"[^`\\$]*(?:(?:\\.|\$(?!\{))[^`\\$]*)*", re.DOTALL)
_REGEX_BODY = re.compile(r"[^/\\\n\[\r\u2028\u2029]*(?:\\.[^/\\\n\[\r\u2028\u2029]*)*")
_CLASS_BODY = re.compile(r"[^\]\\\n\r\u2028\u2029]*(?:\\.[^\]\\\n\r\u2028\u2029]*)*")
_FLAGS = re.compile(r"[A-Za-z]*")
# Where a run of plain code ends: text with no string, comment, template or regular expression in it
# holds only words, numbers, braces and other punctuation, whose only effect on the lexer is its last
# token (see Lexer.skim). Inside a template's ${…} braces count too, so there a run ends at a brace.
_CODE_RUN_END = re.compile(r"[\"'`/]")
_PLAIN_RUN_END = re.compile(r"[\"'`/{}]")
_KEYWORD = re.compile(r"import|export")
_SKIM_AT_LEAST = 4  # shorter runs are lexed one token at a time
# "#!" at the very start of a script (a CLI also run by node) comments out its first line.
_HASHBANG = re.compile(r"(?:#![^\n\r\u2028\u2029]*)?")


@dataclass
class Token:
    """One token: its kind, its span in the text, and its text."""

    kind: str  # "word", "string", "punct", "template", "regex", "number"
    start: int
    end: int
    text: str


class Lexer:
    """Tokens of a script, with comments and whitespace skipped (a hashbang line is a comment)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.position = _HASHBANG.match(text).end()  # type: ignore[union-attr]
        self.previous: Token | None = None
        self.braces: list[str] = []  # "{" for a block or object, "${" for a template substitution
        self.substitutions = 0  # how many "${" are in self.braces
        self.unclosed_template = False  # a template literal ran to the end of the text
        self._next_bracket = NextMatch(text, re.compile(r"\]"))
        self._next_line_end = NextMatch(text, re.compile(r"[\n\r\u2028\u2029]"))
        self._unclosed_class_until = -1
        # When the reader only needs the last token before each import/export (see jsrefs.specifiers), a plain
        # run without those words is jumped over in C and only its last token is yielded.
        self.skim = False
        self._code_run_end = NextMatch(text, _CODE_RUN_END)
        self._plain_run_end = NextMatch(text, _PLAIN_RUN_END)
        self._next_keyword = NextMatch(text, _KEYWORD)
        self._chain_memo = (-1, -1)  # (keyword, start of the chain of words before it)

    def _regex_allowed(self) -> bool:
        previous = self.previous
        if previous is None:
            return True
        if previous.kind == "punct":
            if previous.text in "+-" and self._ends_an_update(previous):
                return False  # i++ / 2: a division (a regular expression cannot be incremented)
            return previous.text in REGEX_AFTER_PUNCTUATION or previous.text == "}"
        if previous.kind == "template":  # right after "${" an expression starts
            return previous.text.endswith("${")
        if previous.kind == "word":
            return previous.text in _REGEX_AFTER_WORDS and not self._is_property_name(previous)
        return False

    def _ends_an_update(self, token: Token) -> bool:
        """Whether the ``+`` or ``-`` ``token`` ends a ``++`` or ``--``: the run of that character
        ending at it is even (JavaScript reads ``a+++/x/`` as ``a++ + /x/``). Each run is walked for
        the one token after it only, so a text of runs stays linear."""
        text, char = self.text, token.text
        start = token.start
        while start > 0 and text[start - 1] == char:
            start -= 1
        return (token.start + 1 - start) % 2 == 0

    def _is_property_name(self, token: Token) -> bool:
        """True when ``token`` follows a ``.`` (``a.in``, ``a?.delete``): a property, never a keyword."""
        text = self.text
        position = token.start - 1
        while position >= 0 and text[position].isspace():  # U+00A0 as well: "a.\u00a0in"
            position -= 1
        return position >= 0 and text[position] == "."

    def __iter__(self) -> Iterator[Token]:
        text = self.text
        length = len(text)
        while True:
            self.position = _SPACE.match(text, self.position).end()  # type: ignore[union-attr]
            position = self.position
            if position >= length:
                return
            if self.skim:
                last = self._skimmed(position)
                if last is not None:
                    self.position = last.end
                    self.previous = last
                    yield last
                    continue
            char = text[position]
            token: Token
            if char in _STRING:
                end = _STRING[char].match(text, position).end()  # type: ignore[union-attr]
                token = Token("string", position, end, text[position:end])
            elif char == "`" or (char == "}" and self.braces and self.braces[-1] == "${"):
                if char == "}":
                    self.braces.pop()
                    self.substitutions -= 1
                token = self._template(position)
            elif char == "/" and self._regex_allowed():
                end = self._regex_end(position)
                kind = "punct" if end is None else "regex"
                end = position + 1 if end is None else end
                token = Token(kind, position, end, text[position:end])
            elif (char.isdigit() or char == ".") and (number := _NUMBER.match(text, position)):
                # str.isdigit() also takes "²", which is no \d: such a character is lexed as a word
                token = Token("number", position, number.end(), number.group())
            else:
                word = _WORD.match(text, position)
                if word:
                    token = Token("word", position, word.end(), word.group())
                else:
                    if char == "{":
                        self.braces.append("{")
                    elif char == "}" and self.braces:
                        self.braces.pop()
                    token = Token("punct", position, position + 1, char)
            self.position = token.end
            self.previous = token
            yield token

    def _skimmed(self, position: int) -> Token | None:
        """The last token of the plain run at ``position``, when the run is long and holds no
        ``import``/``export``; None otherwise (lex token by token).

        Exact: a plain run has no construct that changes the lexer's state, and the last word or
        number in it starts after whitespace or punctuation, where the lexer starts a token too.
        Outside every ``${…}`` the braces are read by nobody (only a ``}`` met while a ``${`` is on
        top of the stack matters), so there a run goes on past them and the stack of plain ``{`` is
        dropped: a ``}`` later pops nothing either way.
        """
        text = self.text
        outside = self.substitutions == 0
        end = (self._code_run_end if outside else self._plain_run_end).at_or_after(position)
        end = len(text) if end < 0 else end
        keyword = self._next_keyword.at_or_after(position)
        if 0 <= keyword < end:  # the run stops before the word or number that holds the keyword
            end = max(position, self._chain_start(keyword))
        if end - position < _SKIM_AT_LEAST:
            return None
        if outside:
            self.braces.clear()
        last = end
        while text[last - 1].isspace():  # the run starts with a token, so this stops inside it
            last -= 1
        start = last
        while start > position and _in_word_or_number(text[start - 1]):
            start -= 1
        if start == last:
            return Token("punct", last - 1, last, text[last - 1])
        token = None
        while start < last:  # the last word, number or "." of a chain such as a.b.c, as the lexer reads it
            char = text[start]
            if (char.isdigit() or char == ".") and (number := _NUMBER.match(text, start)):
                token = Token("number", start, number.end(), number.group())
            else:
                word = _WORD.match(text, start)
                token = (
                    Token("word", start, word.end(), word.group()) if word else Token("punct", start, start + 1, char)
                )
            start = token.end
        return token

    def _chain_start(self, keyword: int) -> int:
        """Where the run of word and number characters (``a.b.c``) that ends at ``keyword`` starts.

        Remembered per keyword: a long chain before one is lexed a token at a time, and walking back
        over all of it for every token made ``a.a.a.….import`` quadratic.
        """
        if self._chain_memo[0] != keyword:
            start = keyword
            while start > 0 and _in_word_or_number(self.text[start - 1]):
                start -= 1
            self._chain_memo = (keyword, start)
        return self._chain_memo[1]

    def _regex_end(self, start: int) -> int | None:
        """The end of a regular expression literal at ``start``; None when there is none (a division).

        A character class (``[…]``) may hold ``/``; one that does not close on its line ends the
        attempt at once (the next ``]`` and line end are remembered), so hostile text stays linear.
        """
        text = self.text
        position = start + 1
        while True:
            position = _REGEX_BODY.match(text, position).end()  # type: ignore[union-attr]
            char = text[position : position + 1]
            if char == "/":
                return _FLAGS.match(text, position + 1).end()  # type: ignore[union-attr]
            if char != "[":
                return None  # a line end or the end of the text
            close = self._next_bracket.at_or_after(position)
            line_end = self._next_line_end.at_or_after(position)
            if close < 0 or (0 <= line_end < close) or position < self._unclosed_class_until:
                return None
            opened = position
            position = _CLASS_BODY.match(text, position + 1).end()  # type: ignore[union-attr]
            if text[position : position + 1] != "]":
                # No class opened before this line end can close (its "]"s are all escaped): a
                # later attempt on the same line gives up at once instead of scanning it again.
                self._unclosed_class_until = position if position > opened else opened + 1
                return None
            position += 1

    def _template(self, position: int) -> Token:
        """From a backtick (or the ``}`` closing a substitution) to the next backtick or ``${``."""
        text = self.text
        end = _TEMPLATE_PART.match(text, position + 1).end()  # type: ignore[union-attr]
        if text.startswith("${", end):
            self.braces.append("${")
            self.substitutions += 1
            end += 2
        elif end < len(text) and text[end] == "`":
            end += 1  # the closing backtick
        else:
            self.unclosed_template = True
        return Token("template", position, end, text[position:end])


def _in_word_or_number(char: str) -> bool:
    """True for the characters words and numbers are made of: a name's, and ``.``."""
    return in_a_name(char) or char == "."


def in_a_name(char: str) -> bool:
    """Whether ``char`` may be part of a name: ASCII letters, digits, ``_`` and ``$``, and what is past
    ASCII but a space (U+00B7 and combining marks are, and are not alphanumeric to Python; U+00A0
    and U+3000 end a word as a space does)."""
    return char.isalnum() or char in "_$" or (char >= "\u0080" and not char.isspace())


#: JavaScript's line ends.
LINE_ENDS = ("\n", "\r", "\u2028", "\u2029")


def line_start_within(text: AnyStr, at: int, look_back: int, line_ends: Sequence[AnyStr]) -> int | None:
    """Where the line holding ``at`` starts (after any of ``line_ends``), looked for at most
    ``look_back`` characters (or bytes) back; None when it starts further back (every caller's look
    stays bounded, so hostile text with a candidate on every line is read in linear time)."""
    window = max(0, at - look_back)
    line_start = 0
    for line_end in line_ends:
        found = text.rfind(line_end, window, at)
        if found >= 0:
            line_start = max(line_start, found + len(line_end))
    return None if line_start == 0 and window > 0 else line_start
