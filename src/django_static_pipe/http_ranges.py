"""Reading an HTTP ``Range`` header (RFC 9110 §14) for one representation of known size.

Only ASCII digits count (``\\d`` would also take ``١`` or ``３``), and a number longer than any file
size is never converted (Python refuses ``int()`` of more than 4,300 digits): like nginx, such a
range is unsatisfiable.
"""

from __future__ import annotations

import re
from typing import Literal

_SPEC = re.compile(r"[ \t]*([0-9]*)[ \t]*-[ \t]*([0-9]*)[ \t]*", re.ASCII)
MAX_DIGITS = 18  # 10**18 bytes is an exabyte: no stored file comes near it

Wanted = tuple[int, int] | Literal["unsatisfiable"] | None


def _if_range_matches(if_range: str, etag: str) -> bool:
    """Only a strong entity tag can match: a date is a weak validator (two revisions may share a second),
    so ``If-Range`` with a date always gets the whole file."""
    return if_range.strip(" \t") == etag and not etag.startswith("W/")


def _number(digits: str) -> int | None:
    """The value of ``digits``, or None when it is longer than any file size."""
    digits = digits.lstrip("0") or "0"
    return None if len(digits) > MAX_DIGITS else int(digits)


def parse_range(header: str | None, size: int, if_range: str | None, etag: str) -> Wanted:
    """``(start, end)`` inclusive for one satisfiable range; ``"unsatisfiable"``; or None to send the
    whole file (no header, an ``If-Range`` that does not match, a malformed header, or several
    ranges: answering those with the whole file keeps overlapping ranges from multiplying the work).
    """
    if not header:
        return None
    if if_range is not None and not _if_range_matches(if_range, etag):
        return None
    unit, equals, specs = header.partition("=")
    if not unit.isascii() or unit.strip(" \t").lower() != "bytes" or not equals or "," in specs:
        return None
    match = _SPEC.fullmatch(specs)
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # suffix: the last N bytes
        length = _number(last)
        if length is None or length == 0 or size == 0:
            return "unsatisfiable"
        return (max(size - length, 0), size - 1)
    start = _number(first)
    end = _number(last) if last else None
    if start is None or (last and end is None):
        return "unsatisfiable"
    if end is not None and end < start:
        return None
    if start >= size:
        return "unsatisfiable"
    return (start, size - 1 if end is None else min(end, size - 1))
