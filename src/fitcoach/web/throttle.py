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


# Password tries: a burst of 5 per account, then one every 3 minutes (an attacker gets
# some 480 guesses a day at one account, a person who mistypes is not locked out); a burst
# of 20 per address, then 10 a minute (spraying many accounts from one address).
ACCOUNT_BURST, ACCOUNT_PER_MINUTE = 5, 1 / 3
SOURCE_BURST, SOURCE_PER_MINUTE = 20, 10.0


class LoginLimits:
    """Sign-in tries, limited per account (the e-mail typed, whether or not it has an
    account, so the limit says nothing of which exist) and per source address."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_account = Throttle(ACCOUNT_BURST, ACCOUNT_PER_MINUTE, clock=clock)
        self.per_source = Throttle(SOURCE_BURST, SOURCE_PER_MINUTE, clock=clock)

    def take(self, account: str, source: str) -> float | None:
        """Spend a try of both; None when both had one, else the seconds to wait."""
        waits = [
            wait
            for wait in (self.per_source.take(source), self.per_account.take(account))
            if wait is not None
        ]
        return max(waits) if waits else None
