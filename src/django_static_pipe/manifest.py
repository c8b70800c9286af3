"""The JSON manifest: which stamped file each asset (or bundle) maps to, shared by processes.

With ``DJANGO_STATIC_USE_MANIFEST_FILE`` on, every build is recorded here, and a process that has not
built an asset itself reads its name from here instead of touching the sources. ``static_pipe_build``
writes the whole file at deploy time. Paths are stored relative to the manifest's folder, so the
build output can be shipped to other machines as one tree.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from typing import Any

from . import locks, writer

FORMAT_VERSION = 1
STORED_FOLDERS = 4096  # folders whose relative path is remembered
Entry = dict[str, Any]


class Manifest:
    """A manifest file, read lazily and re-read when another process has replaced it."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.folder = os.path.dirname(os.path.abspath(path))
        self._stored_folders: dict[str, str] = {}
        self._entries: dict[str, Entry] = {}
        self._signature: tuple[int, int, int] | None = None
        self._guard = threading.Lock()

    def _stat_signature(self) -> tuple[int, int, int] | None:
        try:
            stat = os.stat(self.path)
        except OSError:
            return None
        return (stat.st_ino, stat.st_mtime_ns, stat.st_size)

    def _read_file(self) -> dict[str, Entry]:
        try:
            with open(self.path, encoding="utf-8") as handle:
                document = json.load(handle)
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise ValueError(f"django-static-pipe: the manifest {self.path} cannot be read: {exc}") from exc
        if not isinstance(document, dict) or document.get("version") != FORMAT_VERSION:
            raise ValueError(
                f"django-static-pipe: the manifest {self.path} is not a version {FORMAT_VERSION} manifest; "
                "run `manage.py static_pipe_build` to write a new one."
            )
        entries = document.get("entries", {})
        return entries if isinstance(entries, dict) else {}

    def refresh(self) -> None:
        """Re-read the file if it changed since the last read (one ``stat``)."""
        signature = self._stat_signature()
        if signature == self._signature:
            return
        with self._guard:
            self._entries = self._read_file()
            self._signature = signature

    def get(self, key: str, *, refresh: bool = True) -> Entry | None:
        """The entry for ``key``; when this process has none, the file is re-read if it changed
        (unless ``refresh`` is False)."""
        entry = self._entries.get(key)
        if entry is None and refresh:
            self.refresh()
            entry = self._entries.get(key)
        return entry

    def entries(self) -> dict[str, Entry]:
        self.refresh()
        return dict(self._entries)

    def _write(self, entries: Mapping[str, Entry], *, durable: bool = False) -> None:
        document = {"version": FORMAT_VERSION, "entries": entries}
        # Compact and sorted: the C encoder (an indent would take the slow one), the same bytes every time.
        data = json.dumps(document, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode("utf-8") + b"\n"
        writer.write_atomic(self.path, data, durable=durable)
        self._entries = dict(entries)
        self._signature = self._stat_signature()

    def update(self, new_entries: Mapping[str, Entry]) -> None:
        """Merge entries into the file under a lock, keeping what other processes wrote meanwhile."""
        with locks.exclusive("manifest:" + os.path.abspath(self.path)):
            merged = self._read_file()
            if all(merged.get(key) == value for key, value in new_entries.items()):
                self._entries, self._signature = merged, self._stat_signature()
                return
            merged.update(new_entries)
            self._write(merged)

    def replace(self, entries: Mapping[str, Entry]) -> bool:
        """Write exactly ``entries``; return False (writing nothing) when the file already says that."""
        with locks.exclusive("manifest:" + os.path.abspath(self.path)):
            if self._read_file() == dict(entries):
                return False
            self._write(entries, durable=True)  # what production reads after a deploy: on disk for sure
            return True

    def to_stored_path(self, path: str) -> str:
        # A clean absolute path is its folder's relative path and its name: relpath's abspath and
        # commonprefix work is done once per folder, not for every path (a cold page stores dozens).
        if not path.startswith("/") or "/." in path or "//" in path or path.endswith("/"):
            return os.path.relpath(path, self.folder)
        head, _slash, name = path.rpartition("/")
        stored = self._stored_folders.get(head)
        if stored is None:
            if len(self._stored_folders) >= STORED_FOLDERS:
                self._stored_folders.clear()
            stored = self._stored_folders[head] = os.path.relpath(head or "/", self.folder)
        if stored == ".":
            return name
        # In a folder that holds the manifest's (stored as ../..), the name may be on the way back down.
        return os.path.relpath(path, self.folder) if stored.endswith("..") else f"{stored}/{name}"

    def from_stored_path(self, stored: str) -> str:
        return os.path.normpath(os.path.join(self.folder, stored))


_manifests: dict[str, Manifest] = {}


def get_manifest(path: str) -> Manifest:
    manifest = _manifests.get(path)
    if manifest is None:
        manifest = _manifests.setdefault(path, Manifest(path))
    return manifest


def forget_manifests() -> None:
    _manifests.clear()
