"""Stylesheets that import each other: every file is stamped, and each names the others' stamped URLs.

Browsers ignore an ``@import`` that would load a stylesheet already being loaded, so such a page
renders. Django's Manifest storage reaches the same end (each file naming the other's hashed name)
by hashing again and again, which cannot settle when the hashes depend on each other: its
``collectstatic`` stops with "Max post-process passes exceeded" and leaves a file naming a hash it
never wrote. Here the files of a cycle are built together, under one rule:

* The cycle is the strongly connected component of the references between stylesheets (``@import``,
  and ``url()`` naming a ``.css``) that contains the file found again; each member is one output.
* All members share one stamp. With mtime stamps it is the newest mtime among the members and
  everything they reference, which is what each member's own stamp would be anyway. With content
  stamps it is the SHA-256 of every member's output with the references *between members* left as
  written (members in name order), so a change to any member changes every member's name, and one
  name still always means one content: a member's bytes follow from those outputs and that stamp.
  A content stamp cannot include both hashes; this one covers both files' content instead.
* Between members a reference is written relative (``b.<stamp>.css``), as Django writes it: it then
  depends on nothing but the stamp, not on where the file proxy serves the other file from.
"""

from __future__ import annotations

import hashlib
import posixpath
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol, TypeVar
from urllib.parse import quote

from django.core.exceptions import SuspiciousFileOperation

from . import charsets, css
from .conf import pipe_settings
from .exceptions import ImportCycleWarning
from .naming import CONTENT_STAMP_LENGTH, mtime_stamp, split_name
from .products import Fingerprint, read_source, warn_missing
from .sources import Source, resolve

#: An output in a cycle: (source path, slim).
Node = tuple[str, bool]
_URL_SAFE = "/~!$&'()*+,;=:@"


class CycleFound(Exception):
    """Raised when a stylesheet's build reaches one being built: the builds in between unwind to it."""

    def __init__(self, node: Node, names: list[str]) -> None:
        super().__init__(" → ".join(names))
        self.node = node
        self.names = names


@dataclass
class Group:
    """The members of one cycle (node → absolute name) while they are being built."""

    names: dict[Node, str]
    stamp: str | None = None  # None while the outputs that decide it are made
    fingerprints: list[Fingerprint] = field(default_factory=list)

    def url_between(self, origin: Node, target: Node, stamped_path: Callable[[str, bool, str], str]) -> str:
        """The relative URL of ``target``'s output as written in ``origin``'s output."""
        assert self.stamp is not None
        here = stamped_path(self.names[origin], origin[1], self.stamp)
        there = stamped_path(self.names[target], target[1], self.stamp)
        relative = posixpath.relpath("/" + there.lstrip("/"), posixpath.dirname("/" + here.lstrip("/")))
        return quote(relative, safe=_URL_SAFE)


class _State(threading.local):
    def __init__(self) -> None:
        self.building: list[tuple[Node, str]] = []  # single stylesheets being rewritten, outermost first
        self.groups: dict[Node, Group] = {}


_state = _State()


@contextmanager
def building(node: Node, name: str) -> Iterator[None]:
    _state.building.append((node, name))
    try:
        yield
    finally:
        _state.building.pop()


def check(node: Node, name: str) -> Group | None:
    """Before building ``node``: its group when one is being built; :class:`CycleFound` when it is
    already being built further up (a cycle); None otherwise."""
    group = _state.groups.get(node)
    if group is not None:
        return group
    nodes = [item[0] for item in _state.building]
    if node in nodes:
        names = [item[1] for item in _state.building[nodes.index(node) :]] + [name]
        raise CycleFound(node, names)
    return None


def group_of(node: Node) -> Group | None:
    return _state.groups.get(node)


@contextmanager
def active(group: Group) -> Iterator[None]:
    """Make ``group`` known to the builds below (its members are then built as members)."""
    for node in group.names:
        _state.groups[node] = group
    try:
        yield
    finally:
        for node in group.names:
            _state.groups.pop(node, None)


Edges = Callable[[Node, str], Iterable[tuple[Node, str]]]


def strongly_connected(start: Node, name: str, edges: Edges) -> dict[Node, str]:
    """The members of ``start``'s cycle: what it reaches that also reaches it back (name by node)."""
    names: dict[Node, str] = {start: name}
    forward: dict[Node, list[Node]] = {}
    pending = [start]
    while pending:  # everything reachable from start, each file read once
        node = pending.pop()
        forward[node] = []
        for target, target_name in edges(node, names[node]):
            forward[node].append(target)
            if target not in names:
                names[target] = target_name
                pending.append(target)
    backward: dict[Node, list[Node]] = {}
    for node, targets in forward.items():
        for target in targets:
            backward.setdefault(target, []).append(node)
    members = {start}
    pending = [start]
    while pending:  # of those, everything that reaches start back
        for origin in backward.get(pending.pop(), []):
            if origin not in members:
                members.add(origin)
                pending.append(origin)
    return {node: names[node] for node in members}


def group_stamp(kind: str, outputs: dict[str, bytes], fingerprints: Iterable[Fingerprint]) -> str:
    """The one stamp of a cycle (see the module's docstring): ``outputs`` by name, with the references
    between members as written."""
    if kind == "content":
        digest = hashlib.sha256()
        for name in sorted(outputs):
            data = outputs[name]
            digest.update(f"{name}\n{len(data)}\n".encode("utf-8", "surrogatepass") + data)
        return digest.hexdigest()[:CONTENT_STAMP_LENGTH]
    return mtime_stamp(max(mtime for _path, mtime, _size in fingerprints) / 1e9)


def stylesheet_edges(node: Node, name: str) -> Iterator[tuple[Node, str]]:
    """The stylesheets a member's output references as files: its imports, and url() of a ``.css``."""
    source = resolve(name)
    if source is None:
        return
    data, _own = read_source(source)
    for ref, is_import in css.references(charsets.decode_stylesheet(data).text, source.name):
        try:
            target = resolve(ref.path)
        except SuspiciousFileOperation:
            continue
        if target is not None and split_name(target.name)[1].lower() == ".css":
            yield (target.path, node[1] if is_import else False), ref.path


class Member(Protocol):
    """A stylesheet built as a member of a group; :meth:`rewrite` makes its text for the group's pass."""

    fingerprints: list[Fingerprint]
    raw: bool
    stamp: str | None

    def rewrite(self) -> str: ...


M = TypeVar("M", bound=Member)


def build(
    head: Node,
    source: Source,
    cycle: list[str],
    member: Callable[[Node, str, Group], M],
    nested: Callable[[str, bool], object],
) -> tuple[M, str]:
    """Build every member of the cycle just found from ``head`` (the file found again), with one stamp.

    One pass makes each member's output with the references between members as written, which
    decides the stamp; the members other than ``head`` are then built (through ``nested``, so they are
    recorded like any output) and ``head``'s own final text is returned with its member.
    """
    names = strongly_connected(head, "/" + source.name.lstrip("/"), stylesheet_edges)
    warn_missing(
        f"@import cycle: {' → '.join(cycle)}; browsers ignore the repeated import. The {len(names)} files "
        "of the cycle share one stamp and name each other's stamped URLs.",
        ImportCycleWarning,
    )
    group = Group(names)
    ordered = sorted(names.items(), key=lambda item: item[1])
    with active(group):
        outputs: dict[str, bytes] = {}
        for node, name in ordered:
            first = member(node, name, group)
            outputs[name] = charsets.encode(first.rewrite().strip("\n"), first.raw)  # as _join writes it
            group.fingerprints.extend(first.fingerprints)
        group.stamp = group_stamp(pipe_settings.stamp, outputs, group.fingerprints)
        for node, name in ordered:
            if node != head:
                nested(name, node[1])
        final = member(head, names[head], group)
        return final, final.rewrite()
