"""Reading an HTTP ``Range`` header (RFC 9110 §14) for one representation of known size."""

from __future__ import annotations

import re
from typing import Literal

from django.utils.http import parse_http_date_safe

_SPEC = re.compile(r"^\s*(\d*)\s*-\s*(\d*)\s*$")

Wanted = tuple[int, int] | Literal["unsatisfiable"] | None


def _if_range_matches(if_range: str, etag: str, last_modified: int) -> bool:
    if_range = if_range.strip()
    if if_range.startswith(('"', "W/")):
        return if_range == etag  # a strong comparison: a weak tag never matches
    return parse_http_date_safe(if_range) == last_modified


def parse_range(header: str | None, size: int, if_range: str | None, etag: str, last_modified: int) -> Wanted:
    """``(start, end)`` inclusive for one satisfiable range; ``"unsatisfiable"``; or None to send the
    whole file (no header, an ``If-Range`` that no longer matches, a malformed header, or several
    ranges: answering those with the whole file keeps overlapping ranges from multiplying the work).
    """
    if not header:
        return None
    if if_range is not None and not _if_range_matches(if_range, etag, last_modified):
        return None
    unit, _equals, specs = header.partition("=")
    if unit.strip().lower() != "bytes" or not _equals or "," in specs:
        return None
    match = _SPEC.match(specs)
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # suffix: the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            return "unsatisfiable"
        return (max(size - length, 0), size - 1)
    start = int(first)
    if last and int(last) < start:
        return None
    if start >= size:
        return "unsatisfiable"
    end = int(last) if last else size - 1
    return (start, min(end, size - 1))
