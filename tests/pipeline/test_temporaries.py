"""Temporary files a killed writer left behind are removed; a live writer's are not."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

from django_static_pipe.writer import TEMP_PREFIX, remove_stale_temporaries

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def _leftover(folder: Path, pid: int, *, age_seconds: float = 0.0) -> Path:
    path = folder / f"{TEMP_PREFIX}{pid}-7.tmp"
    path.write_bytes(b"half a file")
    if age_seconds:
        then = time.time() - age_seconds
        os.utime(path, (then, then))
    return path


def _child(action: str) -> int:
    pid = os.fork()
    if pid == 0:
        if action == "sleep":
            time.sleep(60)
        os._exit(0)
    return pid


def test_a_zombie_writers_leftover_is_removed(tmp_path):
    # A killed build's pool workers stay zombies where PID 1 does not reap; kill(pid, 0) finds them.
    zombie = _child("exit")
    try:
        deadline = time.monotonic() + 10
        while Path(f"/proc/{zombie}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
            assert time.monotonic() < deadline
            time.sleep(0.01)
        os.kill(zombie, 0)  # still "there" to the old check
        leftover = _leftover(tmp_path, zombie)
        assert remove_stale_temporaries(str(tmp_path)) == [str(leftover)]
        assert not leftover.exists()
    finally:
        os.waitpid(zombie, 0)


def test_a_live_writers_temporary_file_stays(tmp_path):
    writer = _child("sleep")
    try:
        time.sleep(0.05)
        mine = _leftover(tmp_path, os.getpid())
        theirs = _leftover(tmp_path, writer)
        assert remove_stale_temporaries(str(tmp_path)) == []
        assert mine.exists() and theirs.exists()
    finally:
        os.kill(writer, signal.SIGKILL)
        os.waitpid(writer, 0)


def test_a_reused_pid_does_not_keep_an_old_leftover(tmp_path):
    # The file was last written a minute before the process now holding that pid started.
    newcomer = _child("sleep")
    try:
        leftover = _leftover(tmp_path, newcomer, age_seconds=60)
        assert remove_stale_temporaries(str(tmp_path)) == [str(leftover)]
    finally:
        os.kill(newcomer, signal.SIGKILL)
        os.waitpid(newcomer, 0)


def test_an_hour_old_leftover_goes_whoever_holds_the_pid(tmp_path):
    leftover = _leftover(tmp_path, os.getpid(), age_seconds=3700)
    assert remove_stale_temporaries(str(tmp_path)) == [str(leftover)]


def test_a_name_without_a_pid_is_a_leftover(tmp_path):
    odd = tmp_path / f"{TEMP_PREFIX}x-1.tmp"
    odd.write_bytes(b"")
    assert remove_stale_temporaries(str(tmp_path)) == [str(odd)]
