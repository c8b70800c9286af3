"""Which source line each line of a produced file came from, and the ``mappings`` string that says so.

A rewrite (stamped URLs in CSS, imported CSS written in place) keeps most lines where they were;
:func:`track` follows its edits so every output line knows its origin: the source (a URL) and the
0-based line in it. Lines of inlined text keep the origins of the file they came from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

#: (source URL, 0-based line in it)
Origin = tuple[str, int]

_BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def vlq(value: int) -> str:
    """One Base64 VLQ number, as source map mappings write them."""
    number = (-value << 1) | 1 if value < 0 else value << 1
    digits = []
    while True:
        digit = number & 31
        number >>= 5
        digits.append(_BASE64[digit | (32 if number else 0)])
        if not number:
            return "".join(digits)


def encode_mappings(origins: Sequence[Origin | None], indexes: Mapping[str, int]) -> str:
    """``mappings`` with one segment per line: column 0 of output line ``n`` → column 0 of ``origins[n]``."""
    parts: list[str] = []
    previous_source = 0
    previous_line = 0
    for origin in origins:
        if origin is None:
            parts.append("")
            continue
        source = indexes[origin[0]]
        parts.append("A" + vlq(source - previous_source) + vlq(origin[1] - previous_line) + "A")
        previous_source, previous_line = source, origin[1]
    return ";".join(parts)


def lines_of(source: str, text: str, first_line: int = 0) -> list[Origin]:
    """Origins for ``text`` taken line for line from ``source``, its first line being ``first_line``."""
    return [(source, first_line + index) for index in range(text.count("\n") + 1)]


@dataclass(frozen=True)
class Edit:
    """``text[start:end]`` became ``replacement``; ``origins`` (one per line of it) when it came from
    elsewhere, else its lines count as the line the edit starts on."""

    start: int
    end: int
    replacement: str
    origins: tuple[Origin | None, ...] | None = None  # None in it: the line the edit starts on


def track(source: str, text: str, edits: Sequence[Edit], first_line: int = 0) -> list[Origin]:
    """The origin of every line of ``text`` after ``edits`` (in order, not overlapping) are applied.

    A line's origin is the origin of its first character.
    """
    origins: list[Origin] = [(source, first_line)]
    line = first_line  # line in ``source`` at ``position``
    position = 0
    for edit in edits:
        for _ in range(text.count("\n", position, edit.start)):
            line += 1
            origins.append((source, line))
        newlines = edit.replacement.count("\n")
        if edit.origins is not None and len(edit.origins) == newlines + 1:
            origins.extend(origin or (source, line) for origin in edit.origins[1:])
        else:
            origins.extend([(source, line)] * newlines)
        line += text.count("\n", edit.start, edit.end)
        position = edit.end
    for _ in range(text.count("\n", position)):
        line += 1
        origins.append((source, line))
    return origins
