"""Known ways a minifier can change what a file means, checked before its output is used.

rjsmin loses the text of a template literal nested inside another's ``${…}``, and it can join
``a < !--b`` into ``a<!--b``, which browsers read as the start of an HTML-like comment. rcssmin drops
the ``;`` after a file's last ``@import``, which swallows the next file's first rule once combined.
A file that hits a JS trap is served unminified (with a warning); the CSS one is repaired.
"""

from __future__ import annotations

import re

_IDENTIFIER_END = re.compile(r"[\w$)\]]")
# After these words a "/" starts a regular expression, not a division.
_REGEX_AFTER_WORDS = frozenset(
    {
        "return",
        "typeof",
        "instanceof",
        "in",
        "of",
        "new",
        "delete",
        "void",
        "throw",
        "case",
        "do",
        "else",
        "yield",
        "await",
    }
)


def _skip_string(text: str, index: int, quote: str) -> int:
    index += 1
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == quote or char == "\n":
            return index + 1
        index += 1
    return index


def _skip_regex(text: str, index: int) -> int:
    index += 1
    in_class = False
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == "\n":
            return index
        if char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == "/" and not in_class:
            return index + 1
        index += 1
    return index


def _regex_may_start(text: str, index: int) -> bool:
    before = text[:index].rstrip()
    if not before:
        return True
    if not _IDENTIFIER_END.match(before[-1]):
        return True
    word = re.search(r"[\w$]+$", before)
    return bool(word and word.group(0) in _REGEX_AFTER_WORDS)


def has_nested_template_literal(text: str) -> bool:
    """True when a template literal sits inside another template literal's ``${…}``."""
    index = 0
    # One entry per open template literal: the brace depth of the ${…} we are in (-1: in its text).
    templates: list[int] = []
    while index < len(text):
        char = text[index]
        if templates and templates[-1] == -1:  # inside a template literal's text
            if char == "\\":
                index += 2
                continue
            if char == "`":
                templates.pop()
            elif text.startswith("${", index):
                templates[-1] = 0
                index += 2
                continue
            index += 1
            continue
        if char == "`":
            if templates:
                return True
            templates.append(-1)
        elif char in "'\"":
            index = _skip_string(text, index, char)
            continue
        elif text.startswith("//", index):
            end = text.find("\n", index)
            index = len(text) if end < 0 else end
            continue
        elif text.startswith("/*", index):
            end = text.find("*/", index + 2)
            index = len(text) if end < 0 else end + 2
            continue
        elif char == "/" and _regex_may_start(text, index):
            index = _skip_regex(text, index)
            continue
        elif templates and char == "{":
            templates[-1] += 1
        elif templates and char == "}":
            if templates[-1] == 0:
                templates[-1] = -1
            else:
                templates[-1] -= 1
        index += 1
    return False


def _html_comment_openers(text: str) -> int:
    return text.count("<!--") + len(re.findall(r"(?m)^\s*-->", text))


def js_trap(source: str, minified: str) -> str | None:
    """Why the minified JS may not mean what ``source`` means; None when no known trap applies."""
    if "`" in source and has_nested_template_literal(source):
        return "it nests a template literal inside another's ${…}, which rjsmin cuts short"
    if _html_comment_openers(minified) > _html_comment_openers(source):
        return "minifying would write '<!--' or a line starting with '-->', which browsers read as a comment"
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
