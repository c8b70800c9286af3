"""Fuzzing the minify path: hostile bytes and text never kill the process (issue 13).

A Latin-1 script decoded with ``surrogateescape`` put lone surrogates into rjsmin's C extension,
which died with SIGSEGV: under gunicorn, a dead worker on every render of the page. The cases run
in a child process (``fuzz_minify_child.py``), since a segfault cannot be caught in this one; the
test asserts the child ends normally, and that no case raised. The work is bounded by a fixed
number of cases of bounded size (a seeded generator, so a failure can be replayed).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hardening.figures import record

REPO = Path(__file__).resolve().parents[2]


def run_child(seed: int, cases: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)])}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "-X", "faulthandler", "-m", "tests.hardening.fuzz_minify_child",
         "--seed", str(seed), "--cases", str(cases)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip


def _check(result: subprocess.CompletedProcess[str], seed: int) -> dict[str, object]:
    if result.returncode < 0:
        pytest.fail(
            f"the minify path died by {signal.Signals(-result.returncode).name} (seed {seed}):\n{result.stderr[-3000:]}"
        )
    assert result.returncode == 0, result.stderr[-3000:]
    summary: dict[str, object] = json.loads(result.stdout.splitlines()[-1])
    assert summary["errors"] == {}, f"seed {seed}: cases raised"
    return summary


def test_hostile_input_never_kills_the_process():
    summary = _check(run_child(seed=13, cases=600), 13)
    assert summary["cases"] == 600
    record("fuzz_minify", quick=summary)


@pytest.mark.slow
def test_hostile_input_never_kills_the_process_many_seeds():
    totals = {"cases": 0, "source_bytes": 0, "seconds": 0.0}
    for seed in range(100, 103):
        summary = _check(run_child(seed=seed, cases=2000), seed)
        for key in totals:
            totals[key] += summary[key]  # type: ignore[operator]
    assert totals["cases"] == 6000
    record("fuzz_minify", many={"seeds": 3, **totals})


def test_the_child_does_report_a_segfault():
    """The test can fail: a child that crashes the way rjsmin did is reported as a signal."""
    result = subprocess.run(
        [sys.executable, "-c", "import rjsmin; rjsmin.jsmin('\"\\udcdc\"')"], capture_output=True, text=True
    )
    assert result.returncode == -signal.SIGSEGV
    with pytest.raises(pytest.fail.Exception, match="died by SIGSEGV"):
        _check(result, 0)
