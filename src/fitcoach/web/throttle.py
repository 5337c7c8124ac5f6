"""A small in-process rate limit: token buckets by key (a client's address)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable


class Throttle:
    """``burst`` tries at once per key, refilled at ``per_minute``; the least recently
    seen keys are forgotten beyond ``max_keys`` (a forgotten key starts full again).

    Each process keeps its own buckets: with several web processes a client gets their
    sum, which is still a small number a minute.
    """

    def __init__(
        self,
        burst: int,
        per_minute: float,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        self.burst = float(burst)
        self.rate = per_minute / 60.0
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str) -> float | None:
        """Spend one try of ``key``: None when it had one, else the seconds until it will."""
        now = self.clock()
        with self._lock:
            tokens, then = self._buckets.pop(key, (self.burst, now))
            tokens = min(self.burst, tokens + max(0.0, now - then) * self.rate)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        return None if allowed else (1.0 - tokens) / self.rate
