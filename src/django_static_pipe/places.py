"""Where in a template the current build was asked for (``template:LINE``), for warnings.

Every warm render of a block enters a place or two, and almost none of them ever warns, so a place
is cheap to enter (a class, not a generator-based context manager) and may be a function that makes
the ``template:LINE`` text only when a warning asks for it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar, Token

#: ``template:LINE``, or a function that makes it.
PlaceLike = str | Callable[[], str]

_current: ContextVar[PlaceLike] = ContextVar("django_static_pipe_place", default="")


class Place:
    """A context manager that names ``place`` in the warnings of whatever runs inside it."""

    __slots__ = ("_token", "place")

    def __init__(self, place: PlaceLike) -> None:
        self.place = place
        self._token: Token[PlaceLike] | None = None

    def __enter__(self) -> None:
        self._token = _current.set(self.place)

    def __exit__(self, *exc: object) -> None:
        if self._token is not None:
            _current.reset(self._token)


def at(place: PlaceLike) -> Place:
    """``with places.at("base.html:3"):`` names that place in the warnings raised inside."""
    return Place(place)


def _text(place: PlaceLike) -> str:
    return place() if callable(place) else place


def current() -> str:
    return _text(_current.get())


def prefix() -> str:
    """``"templates/base.html:12: "`` inside a tag, ``""`` elsewhere."""
    place = current()
    return f"{place}: " if place else ""


def shifted(place: str, lines: int) -> str:
    """``template:LINE`` moved ``lines`` further down (a tag inside a block's body)."""
    template, _colon, line = place.rpartition(":")
    return f"{template}:{int(line) + lines}" if line.isdigit() and template else place


def below(text: str, offset: int) -> Place:
    """The current place moved down by the lines of ``text`` before ``offset`` (where in a block's body
    a tag stands), worked out only if a warning asks for it."""
    outer = _current.get()
    return Place(lambda: shifted(_text(outer), text.count("\n", 0, offset)))
