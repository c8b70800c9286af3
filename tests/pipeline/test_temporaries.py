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


def _leftover(folder: Path, pid: int) -> Path:
    path = folder / f"{TEMP_PREFIX}{pid}-7.tmp"
    path.write_bytes(b"half a file")
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


def test_a_live_writers_link_to_an_old_source_stays(tmp_path):
    # A hard link keeps its source's mtime; the link was made now (its ctime), by a live writer.
    source = tmp_path / "photo.png"
    source.write_bytes(b"png")
    then = time.time() - 7200
    os.utime(source, (then, then))
    writer = _child("sleep")
    try:
        link = tmp_path / f"{TEMP_PREFIX}{writer}-3.lnk"
        os.link(source, link)
        assert link.stat().st_mtime < time.time() - 3600
        assert remove_stale_temporaries(str(tmp_path)) == []
        assert link.exists()
    finally:
        os.kill(writer, signal.SIGKILL)
        os.waitpid(writer, 0)


@pytest.mark.parametrize("pid_text", ["99999999999999999999", "4294967296", "²", "x", ""])
def test_a_name_whose_pid_is_no_pid_is_a_leftover_and_breaks_nothing(tmp_path, pid_text):
    odd = tmp_path / f"{TEMP_PREFIX}{pid_text}-0.tmp"
    odd.write_bytes(b"")
    assert remove_stale_temporaries(str(tmp_path)) == [str(odd)]


def test_past_the_age_limit_a_leftover_goes_whoever_holds_the_pid(tmp_path):
    # A writer on another machine sharing the folder: only age tells (its ctime, the last change).
    leftover = _leftover(tmp_path, os.getpid())
    assert remove_stale_temporaries(str(tmp_path), older_than_seconds=3600) == []
    assert remove_stale_temporaries(str(tmp_path), older_than_seconds=-60) == [str(leftover)]
