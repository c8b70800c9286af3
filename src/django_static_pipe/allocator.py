"""Large buffers given back to the system when freed, during an offline build.

glibc's malloc serves a request of 128 KB or more with a mapping of its own, returned to the system
on ``free``; but each time such a mapping is freed it raises that threshold to the freed size (up to
32 MB). After a build's first large script, its copies (the text, the prepared script, rjsmin's
output) come from the heap instead, where freed memory stays resident: a 10.8 MB script made the
build's workers peak at 26 MB over their start instead of 18. Fixing the threshold (which also stops
the raising) keeps the peak what the build holds at once. Elsewhere than glibc this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

logger = logging.getLogger("django_static_pipe")

#: glibc's ``M_MMAP_THRESHOLD`` parameter of ``mallopt``, and the size it is fixed at (glibc's own
#: starting value).
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 128 * 1024


def map_large_buffers() -> bool:
    """Fix glibc's mmap threshold for this process and the workers it forks; False where there is
    no glibc (or it refused)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
        gnu_get_libc_version = libc.gnu_get_libc_version  # only glibc's malloc reads this parameter
    except (OSError, AttributeError):
        return False
    del gnu_get_libc_version
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    done = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))
    if not done:  # pragma: no cover - glibc accepts any value up to 32 MB
        logger.debug("django-static-pipe: mallopt(M_MMAP_THRESHOLD) was refused.")
    return done
