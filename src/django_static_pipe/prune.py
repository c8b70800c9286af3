"""Which old outputs may go: every stamped file the manifest no longer names, beyond the newest few.

An asset's generations are its stamped files (``a.min.<stamp>.js``) in one folder. The files the
manifest names are always kept; of the others, the newest ``keep`` stay for rollbacks.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from . import writer

STAMPED_FILE = re.compile(r"^(?P<asset>.+)\.(?P<stamp>\d{10}|[0-9a-f]{12})(?P<ext>\.[^./]+)$")


@dataclass(frozen=True)
class Generation:
    path: str
    mtime: float


def _stamped_files(folder: str) -> Iterable[Generation]:
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [name for name in dirnames if not name.startswith(".")]
        for filename in filenames:
            if STAMPED_FILE.match(filename):
                path = os.path.join(dirpath, filename)
                try:
                    yield Generation(path, os.lstat(path).st_mtime)
                except OSError:
                    continue


def plan(folders: Iterable[str], named: set[str], keep: int) -> list[str]:
    """Paths of outputs to remove (their .gz/.br siblings go with them)."""
    groups: dict[tuple[str, str], list[Generation]] = defaultdict(list)
    for folder in folders:
        for generation in _stamped_files(folder):
            match = STAMPED_FILE.match(os.path.basename(generation.path))
            assert match is not None
            groups[(os.path.dirname(generation.path), match["asset"] + match["ext"])].append(generation)
    doomed: list[str] = []
    for generations in groups.values():
        others = sorted(
            (g for g in generations if os.path.normpath(g.path) not in named),
            key=lambda g: (g.mtime, g.path),
            reverse=True,
        )
        doomed.extend(g.path for g in others[keep:])
    return sorted(doomed)


def remove(paths: Iterable[str]) -> list[str]:
    removed: list[str] = []
    for path in paths:
        removed.extend(writer.remove_output(path))
    return removed
