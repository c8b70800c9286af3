"""Minifying inline HTML for ``{% slimcontent "html" %}``: whitespace runs collapsed and comments
dropped, outside ``pre``, ``textarea``, ``script`` and ``style`` (and conditional comments).

It runs in linear time on any input: protected elements are found with ``str.find`` from left to
right, and an element that is never closed protects the rest of the text (as a browser would keep it).
"""

from __future__ import annotations

import re

_PROTECTED_START = re.compile(r"<(pre|textarea|script|style)\b|<!--\[if", re.IGNORECASE)
_SPACE_RUN = re.compile(r"\s+")


def _without_comments(text: str) -> str:
    """``text`` without its ``<!-- … -->`` comments; an unclosed one is kept with what follows it."""
    parts: list[str] = []
    position = 0
    while True:
        start = text.find("<!--", position)
        if start < 0:
            break
        end = text.find("-->", start + 4)
        if end < 0:
            break
        parts.append(text[position:start])
        position = end + 3
    parts.append(text[position:])
    return "".join(parts)


def _minify_segment(text: str) -> str:
    return _SPACE_RUN.sub(" ", _without_comments(text))


#: The end tag of each protected element, found case-blind in the text itself (``str.lower`` can
#: change the length of text outside ASCII, so no lowered copy is searched).
_PROTECTED_END = {tag: re.compile(rf"</{tag}\b", re.IGNORECASE) for tag in ("pre", "textarea", "script", "style")}
_CONDITIONAL_END = "<![endif]-->"


def _protected_end(html: str, match: re.Match[str]) -> int:
    """Where the protected element starting at ``match`` ends (the end of the text if never)."""
    tag = match.group(1)
    if tag is None:  # a conditional comment
        end = html.find(_CONDITIONAL_END, match.end())
        return len(html) if end < 0 else end + len(_CONDITIONAL_END)
    close = _PROTECTED_END[tag.lower()].search(html, match.end())
    if close is None:
        return len(html)
    end = html.find(">", close.start())
    return len(html) if end < 0 else end + 1


def minify_html(html: str) -> str:
    """Collapse whitespace runs to one space and drop comments, outside protected elements.

    One space is kept where there was any, so inline elements keep their separation.
    """
    parts: list[str] = []
    position = 0
    while True:
        match = _PROTECTED_START.search(html, position)
        if match is None:
            break
        end = _protected_end(html, match)
        # A comment that opens before the element and closes inside it is left whole to the segment.
        parts.append(_minify_segment(html[position : match.start()]))
        parts.append(html[match.start() : end])
        position = end
    parts.append(_minify_segment(html[position:]))
    return "".join(parts).strip()
