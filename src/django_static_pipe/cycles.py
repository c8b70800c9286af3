"""Import cycles: files that reference each other (``a.js`` imports ``b.js``, which imports ``a.js``;
two stylesheets that ``@import`` each other) are stamped together.

Each file's name depends on its content, and its content names the others, so no member of a cycle
can be named before the others. While a thread builds, it keeps the stack of builds in progress. A
reference back to a build still in progress (or to one waiting for its cycle) closes a cycle: every
build from that one up to the top of the stack joins one group, and the reference is written as a
placeholder. A member that finishes before its group's first (outermost) member waits, unnamed.
When the outermost member finishes, the whole group gets one stamp, made from every member's bytes
(placeholders included, so everything the group depends on is in it) or from the newest modification
time among all their sources; then each placeholder becomes its member's URL and the files are
written. So each file names the others' stamped URLs, the names change whenever any member (or
anything they reference) changes, and the result does not depend on which member was asked first.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Waiting:
    """A finished member of a cycle, waiting for the group's outermost member to name it."""

    key: str
    details: Any  # what the producer needs to finish it (its bytes, fingerprints, output name…)


@dataclass
class _Thread(threading.local):
    stack: list[str] = field(default_factory=list)
    # key → stack index of its group's outermost member, for builds in progress and waiting members
    root_of: dict[str, int] = field(default_factory=dict)
    waiting: dict[str, Waiting] = field(default_factory=dict)
    nonce: str = ""
    numbers: dict[str, int] = field(default_factory=dict)


_thread = _Thread()


@contextlib.contextmanager
def building(key: str) -> Iterator[None]:
    """Mark ``key`` as in progress on this thread for the duration of its production."""
    if not _thread.stack:
        _thread.nonce = secrets.token_hex(6)
        _thread.numbers = {}
    _thread.stack.append(key)
    try:
        yield
    finally:
        _thread.stack.pop()
        if not _thread.stack:  # the outermost build is over: nothing can be waiting any more
            _thread.root_of.clear()
            _thread.waiting.clear()


def closes_cycle(key: str) -> bool:
    """True when a reference to ``key`` closes a cycle; joins the builds involved into one group."""
    stack = _thread.stack
    if key in _thread.waiting:
        first = _thread.root_of[key]
    elif key in stack:
        first = stack.index(key)
    else:
        return False
    for index in range(first, len(stack)):
        first = min(first, _thread.root_of.get(stack[index], index))
    # Everything from the outermost member to the top of the stack, and whatever waits for a root in
    # that range, becomes one group.
    for member, root in list(_thread.root_of.items()):
        if root >= first:
            _thread.root_of[member] = first
    for index in range(first, len(stack)):
        _thread.root_of[stack[index]] = first
    return True


def placeholder(key: str) -> str:
    """A stand-in for ``key``'s URL: plain ASCII that minifiers keep and no real text contains."""
    number = _thread.numbers.setdefault(key, len(_thread.numbers))
    return f"static-pipe-cycle-{_thread.nonce}-{number}"


def role(key: str) -> str:
    """For a build that just finished: ``"plain"``, ``"member"`` (waits) or ``"outermost"`` (names all)."""
    root = _thread.root_of.get(key)
    if root is None:
        return "plain"
    return "outermost" if _thread.stack[root] == key and root == len(_thread.stack) - 1 else "member"


def wait(key: str, details: Any) -> None:
    _thread.waiting[key] = Waiting(key, details)


def take_group(key: str) -> list[Waiting]:
    """The members waiting for ``key`` (the outermost member, now finishing); they stop waiting."""
    root = _thread.root_of[key]
    members = [waiting for member, waiting in _thread.waiting.items() if _thread.root_of.get(member) == root]
    for waiting in members:
        del _thread.waiting[waiting.key]
        del _thread.root_of[waiting.key]
    del _thread.root_of[key]
    return members


def placeholders_of(keys: list[str]) -> dict[str, str]:
    return {key: placeholder(key) for key in keys}
