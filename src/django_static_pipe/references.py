"""The shared half of reference rewriting: a URL found by a scanner (CSS ``url()``/``@import``, JS
module specifiers, source-map comments) becomes the stamped URL of the file it names.

Scanners only find spans; this module resolves what they found, builds it through the pipeline
(recursively: an imported module's own imports are stamped too, and cycles are handled by
:mod:`cycles`) and splices the results in.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.exceptions import SuspiciousFileOperation

from .products import Fingerprint, NestedBuilder, warn_missing
from .sources import Located, resolve

logger = logging.getLogger("django_static_pipe")


def stamped_url(
    located: Located,
    *,
    origin: str,
    written: str,
    slim: bool,
    nested: NestedBuilder,
    fingerprints: list[Fingerprint],
) -> str | None:
    """The stamped URL (query and fragment kept) of what ``origin`` references as ``written``; None
    when it must stay as written: refused (it climbs out of the roots) or missing (with a warning)."""
    try:
        found = resolve(located.name)
    except SuspiciousFileOperation as exc:
        logger.warning("django-static-pipe: %s references %r, which was refused: %s", origin, written, exc)
        return None
    if found is None:
        warn_missing(f"{origin} references {written!r}, which does not exist; it is kept as it is.")
        return None
    url, depends_on = nested(located.name, slim)
    fingerprints.extend(depends_on)
    return url + located.suffix


def splice(text: str, edits: Iterable[tuple[int, int, str]]) -> str:
    """``text`` with each ``(start, end)`` span replaced; spans in order and not overlapping."""
    parts: list[str] = []
    position = 0
    for start, end, replacement in edits:
        parts.append(text[position:start])
        parts.append(replacement)
        position = end
    parts.append(text[position:])
    return "".join(parts)
