"""The project's own checks run with the suite: ruff (lint and format) and mypy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PATHS = ["src", "tests", "devservers", "example_site", "bench"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    present = [path for path in PATHS if (REPO / path).exists()]
    return subprocess.run([sys.executable, "-m", *args, *present], cwd=REPO, capture_output=True, text=True)


def test_ruff_check():
    result = run("ruff", "check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format():
    result = run("ruff", "format", "--check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_on_the_package():
    result = subprocess.run([sys.executable, "-m", "mypy"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
