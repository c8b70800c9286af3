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

_MARKS = bytes(0 if byte < 0x80 else 1 for byte in range(256))
_SPACE, _WORD, _OTHER = 0x20, 0xAA, 0xAC  # " ", "ª", "¬"
_NO_STAND_IN = frozenset("\u2028\u2029\u200c\u200d")


def class_view(data: bytes) -> str | None:
    """``data`` (valid UTF-8) as one character per byte, each character past ASCII by stand-ins of
    its kind; None when one has no stand-in."""
    if data.isascii():
        return data.decode("ascii")
    runs = _non_ascii_runs(data)
    view = bytearray(data)
    for start, end in runs:
        position = start
        for char in data[start:end].decode("utf-8"):
            kind = _kind(char)
            if kind is None:
                return None
            width = len(char.encode("utf-8"))
            view[position : position + width] = bytes((kind,)) * width
            position += width
    text = view.decode("latin-1")
    del view
    return text


def _non_ascii_runs(data: bytes) -> list[tuple[int, int]]:
    """Where the runs of bytes past ASCII are: ``bytes.find`` over a mark per byte jumps to each in C
    (a regular expression of a byte class looks at every byte in turn, five times slower)."""
    marks = data.translate(_MARKS)
    runs = []
    start = marks.find(1)
    while start >= 0:
        end = marks.find(0, start)
        end = len(marks) if end < 0 else end
        runs.append((start, end))
        start = marks.find(1, end)
    return runs


def _kind(char: str) -> int | None:
    if char in _NO_STAND_IN or char.isdecimal():
        return None
    if char.isspace():
        return _SPACE
    return _WORD if char.isalnum() else _OTHER
