"""The search engines' in-process caches: cachetools' LRU caches, behind a lock because
requests run in threads (cachetools' caches are not thread-safe). What each holds, and how it
is keyed (by index generation, segment, …), is said where it is made."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

from cachetools import LRUCache, TTLCache


class SharedCache:
    """A least-recently-used cache of at most `maxsize` (counted by `getsizeof`, one per item
    by default) that threads can share. A value larger than the whole cache is not kept.
    With `ttl`, an item is also dropped that many seconds after it was put."""

    def __init__(self, maxsize: int, getsizeof: Callable[[object], int] | None = None, *,
                 ttl: float | None = None):
        self._lock = threading.Lock()
        self._cache = (LRUCache(maxsize=maxsize, getsizeof=getsizeof) if ttl is None
                       else TTLCache(maxsize=maxsize, ttl=ttl, getsizeof=getsizeof))

    def get(self, key, default=None):
        with self._lock:
            return self._cache.get(key, default)

    def put(self, key, value) -> None:
        # A value larger than the whole cache raises ValueError: it is not kept.
        with self._lock, contextlib.suppress(ValueError):
            self._cache[key] = value

    __setitem__ = put

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._cache)

    @property
    def held(self) -> int:
        """What the cache holds, counted by `getsizeof`."""
        with self._lock:
            return self._cache.currsize
