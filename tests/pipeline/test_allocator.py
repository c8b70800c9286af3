"""The offline build has glibc give large buffers back when they are freed (allocator.py): without
that, every script after the first large one is copied on the heap, where freed memory stays."""

from __future__ import annotations

import json
import subprocess
import sys

from django_static_pipe import allocator

# Free one large buffer (glibc then raises its mmap threshold to that size), then make and free a
# smaller one, and say how much of it stays resident.
PROBE = """
import json, resource, sys
from django_static_pipe import allocator
fixed = allocator.map_large_buffers() if sys.argv[1] == "fixed" else None
def resident():
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize()
first = b"a" * (16 << 20)
del first
before = resident()
second = b"b" * (8 << 20)
del second
print(json.dumps({"fixed": fixed, "kept": resident() - before}))
"""


def _kept(mode: str) -> dict:
    run = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True)
    return json.loads(run.stdout)


def test_a_freed_large_buffer_is_given_back_once_the_threshold_is_fixed():
    assert allocator.map_large_buffers() is True  # this machine's libc is glibc
    fixed = _kept("fixed")
    assert fixed["fixed"] is True
    assert fixed["kept"] < 1 << 20
    # glibc's own behaviour, which the fix is for: the second buffer stays resident after its free.
    assert _kept("default")["kept"] > 6 << 20
