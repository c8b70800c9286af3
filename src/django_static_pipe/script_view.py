"""A script's UTF-8 bytes as text of one character per byte, for the text-reading helpers.

:mod:`jsrefs`, :mod:`js_numbers` and :mod:`js_prepare` read text, and ask of a character no more
than whether it is a space, a letter or digit (``isalnum``, ``\\w``), past ASCII (a name's), or one
of a few ASCII signs. A script of few characters past ASCII need not be decoded (a character past
U+00FF makes its text two or four bytes per character): ASCII is kept, and each byte of another
character becomes a stand-in that answers those questions as the character does: a space for a
space, ``ª`` for a letter or digit, ``¬`` for anything else (a sign, a combining mark, U+FEFF). So
positions in the view are positions in the bytes, and every helper reads the view as it reads the
text. What no stand-in can be (a line end past ASCII, a decimal digit past ASCII, the joiners U+200C
and U+200D, which the helpers name) makes the view None: the script is then read as text.
"""

from __future__ import annotations

import re

_CHUNK = 1 << 20
# Every byte past ASCII as a letter's stand-in, ASCII as it is.
_AS_LETTERS = bytes(byte if byte < 0x80 else 0xAA for byte in range(256))
# A character past ASCII that is neither letter nor digit (a space, a sign, a mark), or a decimal digit:
# \w and isalnum agree past ASCII, so these are what need a stand-in of their own, or have none.
_NOT_A_LETTER = re.compile(r"[^\x00-\x7f\w]|[^\D0-9]")
_SPACE, _WORD, _OTHER = 0x20, 0xAA, 0xAC  # " ", "ª", "¬"
_NO_STAND_IN = frozenset("\u2028\u2029\u200c\u200d")


def class_view(data: bytes) -> str | None:
    """``data`` (valid UTF-8) as one character per byte, each character past ASCII by stand-ins of
    its kind; None when one has no stand-in.

    Every byte past ASCII first becomes a letter's stand-in (``bytes.translate``, in C); then the
    characters that are no letter or digit are found in the text of a megabyte at a time (a regular
    expression, in C) and given their own: only those cost a step in Python, so text of Cyrillic or
    CJK strings is as quick as ASCII.
    """
    if data.isascii():
        return data.decode("ascii")
    others = []
    chunk_start = 0
    while chunk_start < len(data):
        chunk_end = min(len(data), chunk_start + _CHUNK)
        while chunk_end < len(data) and data[chunk_end] >= 0x80:
            chunk_end += 1  # a character is not split between chunks
        text = data[chunk_start:chunk_end].decode("utf-8")
        offset, previous = chunk_start, 0
        for match in _NOT_A_LETTER.finditer(text):
            offset += len(text[previous : match.start()].encode("utf-8"))
            char = match.group()
            kind = _kind(char)
            if kind is None:
                return None
            width = len(char.encode("utf-8"))
            others.append((offset, width, kind))
            offset += width
            previous = match.end()
        chunk_start = chunk_end
    marked = data.translate(_AS_LETTERS)
    if not others:
        return marked.decode("latin-1")
    view = bytearray(marked)
    del marked
    for offset, width, kind in others:
        view[offset : offset + width] = bytes((kind,)) * width
    return view.decode("latin-1")


def _kind(char: str) -> int | None:
    if char in _NO_STAND_IN or char.isdecimal():
        return None
    if char.isspace():
        return _SPACE
    return _WORD if char.isalnum() else _OTHER
