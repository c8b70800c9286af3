"""Figures the hardening suite measures, written to test-output/ so README.md can quote the last run."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

OUTPUT = Path(os.environ.get("TEST_OUTPUT_DIR", Path(__file__).resolve().parents[2] / "test-output"))


def record(section: str, **values: Any) -> None:
    """Merge ``values`` into this worker's figures file (each xdist worker writes its own)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    path = OUTPUT / f"hardening-figures.{worker}.json"
    OUTPUT.mkdir(parents=True, exist_ok=True)
    figures = json.loads(path.read_text()) if path.exists() else {}
    figures.setdefault(section, {}).update(values)
    path.write_text(json.dumps(figures, indent=1, sort_keys=True))


def cpu_seconds(function: Callable[[str], object], text: str) -> float:
    """The least CPU time of five calls of ``function(text)``: what the linear-time cases compare (a
    virtual machine's stolen time can inflate any one call)."""
    best = float("inf")
    for _ in range(5):
        started = time.process_time()
        function(text)
        best = min(best, time.process_time() - started)
    return best


def collected() -> dict[str, dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for path in sorted(OUTPUT.glob("hardening-figures.*.json")):
        for section, values in json.loads(path.read_text()).items():
            merged.setdefault(section, {}).update(values)
    return merged


if __name__ == "__main__":
    print(json.dumps(collected(), indent=1, sort_keys=True))
