"""Where in a template the current build was asked for (``template:LINE``), for warnings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_current: ContextVar[str] = ContextVar("django_static_pipe_place", default="")


@contextmanager
def at(place: str) -> Iterator[None]:
    token = _current.set(place)
    try:
        yield
    finally:
        _current.reset(token)


def current() -> str:
    return _current.get()


def prefix() -> str:
    """``"templates/base.html:12: "`` inside a tag, ``""`` elsewhere."""
    place = _current.get()
    return f"{place}: " if place else ""


def shifted(place: str, lines: int) -> str:
    """``template:LINE`` moved ``lines`` further down (a tag inside a block's body)."""
    template, _colon, line = place.rpartition(":")
    return f"{template}:{int(line) + lines}" if line.isdigit() and template else place
