"""The offline build: every asset the templates name, built at deploy time, on every core.

Each use found by :mod:`discovery` is built in a worker process (forked, so Django is already set
up there) under :func:`pipeline.offline_session`; the parent collects every output, nested
references included, and writes the manifest in one atomic step.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.core.exceptions import SuspiciousFileOperation

from . import allocator, charsets, css, pipeline, writer
from .discovery import Found, Use
from .exceptions import StaticPipeError
from .naming import split_name
from .sources import normalize, resolve

T = TypeVar("T")


@dataclass
class BuildResult:
    entries: dict[str, pipeline.Built] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    files_written: int = 0
    manifest_written: bool = False
    seconds: float = 0.0
    processes: int = 1


Outcome = tuple[list[pipeline.Built], int, str | None]


def _build_one(names: tuple[str, ...], slim: bool) -> Outcome:
    """Build one use in this process; return what was built, files written, and an error if any."""
    before = writer.files_written
    with pipeline.offline_session(fresh=False) as collected:  # build_all's own session started afresh
        try:
            pipeline.build(names, slim)
        except (StaticPipeError, SuspiciousFileOperation, OSError, ValueError) as exc:
            return list(collected.values()), writer.files_written - before, str(exc)
    return list(collected.values()), writer.files_written - before, None


def _build_batch(batch: list[tuple[tuple[str, ...], bool]]) -> list[Outcome]:
    return [_build_one(names, slim) for names, slim in batch]


def _batches(uses: list[Use], processes: int) -> list[list[Use]]:
    """Largest first, dealt out so each worker gets work to the end: a few uses per task keeps the
    round trips between processes few without leaving a core idle at the end."""

    def weight(use: Use) -> int:
        total = 0
        for name in use.names:
            try:
                found = resolve(normalize(name))
            except SuspiciousFileOperation:
                continue
            total += os.path.getsize(found.path) if found else 0
        return total

    ordered = sorted(uses, key=weight, reverse=True)
    size = max(1, min(8, len(ordered) // (processes * 4)))
    return [ordered[i : i + size] for i in range(0, len(ordered), size)]


class _InProcess(Executor):
    """An executor that runs each task at once, for one core or one task."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # pragma: no cover - _build_one catches what it expects
            future.set_exception(exc)
        return future


def _executor(tasks: int) -> tuple[Executor, int]:
    processes = min(os.cpu_count() or 1, tasks)
    if processes <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return _InProcess(), 1
    return ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork")), processes


def build_all(found: Found, progress: Callable[[int, int, Use], None] | None = None) -> BuildResult:
    """Build every use; errors are collected with the places that named the asset."""
    started = time.monotonic()
    allocator.map_large_buffers()  # before the workers fork: they inherit it
    result = BuildResult()
    total = len(found.uses)
    done = 0
    stale: list[Use] = []
    # What is up to date is recorded here, in this process; only the rest is worth forking for.
    with pipeline.offline_session() as collected:
        for use in found.uses.values():
            if pipeline.reuse_if_current(use.names, use.slim):
                done += 1
                if progress is not None:
                    progress(done, total, use)
            else:
                stale.append(use)
    result.entries.update(collected)
    executor, result.processes = _executor(len(stale))
    with executor:
        futures = {
            executor.submit(_build_batch, [(use.names, use.slim) for use in batch]): batch
            for batch in _batches(stale, result.processes)
        }
        for future in as_completed(futures):
            for use, (built, written, error) in zip(futures[future], future.result(), strict=True):
                result.files_written += written
                for item in built:
                    result.entries[item.key] = item
                if error:
                    places = ", ".join(str(place) for place in use.places)
                    result.errors.append(f"{places}: {error}")
                done += 1
                if progress is not None:
                    progress(done, total, use)
    result.seconds = time.monotonic() - started
    return result


def _css_problems(name: str, seen: set[str]) -> Iterator[str]:
    source = resolve(name)
    if source is None or source.path in seen:
        return
    seen.add(source.path)
    with open(source.path, "rb") as handle:
        data = handle.read()
    for ref, is_import in css.references(charsets.decode_stylesheet(data).text, source.name):
        try:
            target = resolve(ref.path)
        except SuspiciousFileOperation:
            yield f"{source.name} references {ref.written!r}, which leaves the asset roots"
            continue
        if target is None:
            yield f"{source.name} references {ref.written!r}, which does not exist"
        elif is_import or split_name(ref.path)[1].lower() == ".css":
            yield from _css_problems(ref.path, seen)


def check_all(found: Found) -> list[str]:
    """Every missing file and unresolvable reference, each with the template places that lead to it."""
    problems: list[str] = list(found.problems)
    for use in found.uses.values():
        places = ", ".join(str(place) for place in use.places)
        seen: set[str] = set()
        for name in use.names:
            try:
                source = resolve(normalize(name))
            except SuspiciousFileOperation as exc:
                problems.append(f"{places}: {exc}")
                continue
            if source is None:
                problems.append(f"{places}: {name} does not exist in any asset root")
            elif split_name(name)[1].lower() == ".css":
                problems.extend(f"{places}: {problem}" for problem in _css_problems(name, seen))
    return problems


@dataclass
class Sizes:
    files: int = 0
    source: int = 0
    output: int = 0
    gzip: int = 0
    brotli: int = 0


def sizes(entries: dict[str, pipeline.Built]) -> Sizes:
    total = Sizes()
    for built in entries.values():
        if built.filepath is None:
            continue
        total.files += 1
        total.source += built.source_bytes
        total.output += os.path.getsize(built.filepath)
        for suffix, attribute in ((".gz", "gzip"), (".br", "brotli")):
            if os.path.exists(built.filepath + suffix):
                setattr(total, attribute, getattr(total, attribute) + os.path.getsize(built.filepath + suffix))
    return total
