"""Rate limits: token buckets by key (a client's address, an account), kept in the
process or, for sign-in tries in production, in Redis so that every web process spends
the same buckets."""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

from redis import Redis, RedisError

log = logging.getLogger("fitcoach.web.throttle")

# A client that waits exactly the seconds it was told gets its try, whatever the rounding.
EPSILON = 1e-9


class Limiter(Protocol):
    def take(self, key: str) -> float | None:
        """Spend one try of ``key``: None when it had one, else the seconds until it will."""
        ...


class Throttle:
    """``burst`` tries at once per key, refilled at ``per_minute``; the least recently
    seen keys are forgotten beyond ``max_keys`` (a forgotten key starts full again).

    Each process keeps its own buckets: with several web processes a client gets their
    sum (``SharedThrottle`` keeps one set for all of them).
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
            allowed = tokens >= 1.0 - EPSILON
            if allowed:
                tokens -= 1.0
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        return None if allowed else (1.0 - tokens) / self.rate


# One bucket, refilled and spent in one step on the Redis server (two processes spending
# the last try at once cannot both get it). Returns whether a try was taken, and the
# tokens left as text (a Lua number returned as such is cut to an integer).
_TAKE = """
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local taken = 0
if tokens >= 1 - 1e-9 then
  tokens = tokens - 1
  taken = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
return {taken, tostring(tokens)}
"""


class SharedThrottle:
    """``Throttle``'s buckets kept in Redis, shared by every process that uses the same
    ``name``. Keys are stored as their SHA-256 (an e-mail typed at sign-in is not kept in
    Redis). While Redis cannot be reached the process's own buckets decide, so sign-in
    stays limited and open."""

    def __init__(
        self,
        redis: Redis[bytes],
        name: str,
        burst: int,
        per_minute: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.redis = redis
        self.name = name
        self.burst = float(burst)
        self.rate = per_minute / 60.0
        self.clock = clock
        # A bucket left alone this long is full again: Redis may forget it.
        self.expiry = math.ceil(self.burst / self.rate) + 60
        self.script = redis.register_script(_TAKE)
        self.fallback = Throttle(burst, per_minute, clock=clock)

    def take(self, key: str) -> float | None:
        digest = hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()
        try:
            taken, left = self.script(
                keys=[f"fitcoach:throttle:{self.name}:{digest}"],
                args=[self.burst, self.rate, self.clock(), self.expiry],
            )
        except RedisError as error:
            log.warning(
                "shared rate limit unavailable: this process's own limit applies",
                extra={"limit": self.name, "error": str(error)},
            )
            return self.fallback.take(key)
        if int(taken):
            return None
        return max(0.0, 1.0 - float(left)) / self.rate


# Password tries: a burst of 5 per account, then one every 3 minutes (an attacker gets
# some 480 guesses a day at one account, a person who mistypes is not locked out); a burst
# of 20 per address, then 10 a minute (spraying many accounts from one address).
ACCOUNT_BURST, ACCOUNT_PER_MINUTE = 5, 1 / 3
SOURCE_BURST, SOURCE_PER_MINUTE = 20, 10.0


class LoginLimits:
    """Sign-in tries, limited per account (the e-mail typed, whether or not it has an
    account, so the limit says nothing of which exist) and per source address; in the
    process, or in Redis (shared by every web process) when one is given."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, redis: Redis[bytes] | None = None
    ) -> None:
        self.per_account: Limiter
        self.per_source: Limiter
        if redis is None:
            self.per_account = Throttle(ACCOUNT_BURST, ACCOUNT_PER_MINUTE, clock=clock)
            self.per_source = Throttle(SOURCE_BURST, SOURCE_PER_MINUTE, clock=clock)
        else:
            self.per_account = SharedThrottle(
                redis, "login-account", ACCOUNT_BURST, ACCOUNT_PER_MINUTE, clock=clock
            )
            self.per_source = SharedThrottle(
                redis, "login-source", SOURCE_BURST, SOURCE_PER_MINUTE, clock=clock
            )

    def take(self, account: str, source: str) -> float | None:
        """Spend a try of both; None when both had one, else the seconds to wait."""
        waits = [
            wait
            for wait in (self.per_source.take(source), self.per_account.take(account))
            if wait is not None
        ]
        return max(waits) if waits else None
