"""Maps that hold a value back until it has had time to propagate.

A CDN URL is useless until the CDN's edges can serve it; a :class:`SlowMap` answers with the default
until ``timeout_seconds`` have passed since the value was set. :class:`CacheSlowMap` keeps its state
in a Django cache, so every worker process and every server release a value at the same moment.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from typing import Any

Clock = Callable[[], float]
_MISSING = object()


class SlowMap:
    """An in-process, thread-safe map whose values appear ``timeout_seconds`` after being set.

    Setting the same value again does not restart the clock; setting a different value does.
    """

    def __init__(self, timeout_seconds: float, *, clock: Clock = time.time) -> None:
        self.timeout_seconds = timeout_seconds
        self.clock = clock
        self._entries: dict[Any, tuple[Any, float]] = {}
        self._lock = threading.Lock()

    def __setitem__(self, key: Any, value: Any) -> None:
        with self._lock:
            current = self._entries.get(key)
            if current is None or current[0] != value:
                self._entries[key] = (value, self.clock())

    def _released(self, entry: tuple[Any, float] | None) -> bool:
        return entry is not None and self.clock() - entry[1] >= self.timeout_seconds

    def get(self, key: Any, default: Any = None) -> Any:
        entry = self._entries.get(key)
        return entry[0] if entry is not None and self._released(entry) else default

    def __contains__(self, key: Any) -> bool:
        return self._released(self._entries.get(key))

    def is_set(self, key: Any) -> bool:
        """True once a value was set for ``key``, released or not."""
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)


class CacheSlowMap:
    """:class:`SlowMap`'s interface over a Django cache shared by every process that uses it.

    The time a value was set is stored with it, so every process releases it at the same moment.
    An entry once read is kept in-process and read again at most every ``recheck_seconds``, so a warm
    render does not ask the cache server for every asset; a key not found is asked again each time.
    """

    def __init__(
        self,
        timeout_seconds: float,
        *,
        cache: str = "default",
        prefix: str = "django-static-pipe:slowmap:",
        clock: Clock = time.time,
        recheck_seconds: float = 30.0,
    ) -> None:
        self.timeout_seconds = timeout_seconds
        self.cache_alias = cache
        self.prefix = prefix
        self.clock = clock
        self.recheck_seconds = recheck_seconds
        self._seen: dict[Any, tuple[tuple[Any, float], float]] = {}

    @property
    def _cache(self) -> Any:
        from django.core.cache import caches

        return caches[self.cache_alias]

    def _cache_key(self, key: Any) -> str:
        # Cache keys must be short and plain (memcached refuses spaces and over 250 characters).
        return self.prefix + hashlib.sha256(repr(key).encode()).hexdigest()

    def _entry(self, key: Any, *, fresh: bool = False) -> tuple[Any, float] | None:
        seen = self._seen.get(key)
        if seen is not None and not fresh and time.monotonic() - seen[1] < self.recheck_seconds:
            return seen[0]
        stored = self._cache.get(self._cache_key(key))
        if stored is None:
            self._seen.pop(key, None)
            return None
        entry = (stored[0], float(stored[1]))
        self._seen[key] = (entry, time.monotonic())
        return entry

    def __setitem__(self, key: Any, value: Any) -> None:
        current = self._entry(key, fresh=True)
        if current is not None and current[0] == value:
            return
        cache_key = self._cache_key(key)
        if current is None:
            # add() when there is nothing yet, so two processes setting one new value keep the first time.
            if self._cache.add(cache_key, (value, self.clock()), timeout=None):
                self._entry(key, fresh=True)
                return
            current = self._entry(key, fresh=True)
            if current is not None and current[0] == value:
                return
        self._cache.set(cache_key, (value, self.clock()), timeout=None)
        self._entry(key, fresh=True)

    def get(self, key: Any, default: Any = None) -> Any:
        entry = self._entry(key)
        if entry is None or self.clock() - entry[1] < self.timeout_seconds:
            return default
        return entry[0]

    def __contains__(self, key: Any) -> bool:
        return self.get(key, _MISSING) is not _MISSING

    def is_set(self, key: Any) -> bool:
        """True once a value was set for ``key`` by any process, released or not."""
        return self._entry(key) is not None
