"""A short-lived cache of Strava answers for repeated identical reads.

Only reads whose answer does not carry news are cached (an activity's detail, its
streams, the athlete): activity lists are how new data arrives and are never cached, and a
webhook-driven refetch bypasses the cache. In production the cache lives in Redis, shared
by every process; in the embedded mode it is a small in-process map.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

from redis import Redis


class ResponseCache(Protocol):
    def get(self, key: str) -> Any | None: ...

    def put(self, key: str, value: Any) -> None: ...


class MemoryCache:
    """Per process, bounded (least recently used entries go first), with expiry."""

    def __init__(
        self, ttl_s: float, max_entries: int = 512, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self.clock = clock
        self._entries: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Any | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires, value = entry
            if expires <= self.clock():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value

    def put(self, key: str, value: Any) -> None:
        with self._lock:
            self._entries[key] = (self.clock() + self.ttl_s, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)


class RedisCache:
    """Shared by every process; Redis expires the entries."""

    def __init__(self, client: Redis[bytes], ttl_s: float, prefix: str = "fitcoach:cache:") -> None:
        self.client = client
        self.ttl_s = ttl_s
        self.prefix = prefix

    def get(self, key: str) -> Any | None:
        raw = self.client.get(self.prefix + key)
        return None if raw is None else json.loads(raw)

    def put(self, key: str, value: Any) -> None:
        self.client.set(self.prefix + key, json.dumps(value), px=int(self.ttl_s * 1000))
