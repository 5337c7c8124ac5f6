"""Budget counters in Redis, for the production mode (many web and worker processes).

Atomicity: each step is one Lua script, and Redis runs a script with no other command in
between. The take script reads every counter of the request and its limit in force, and
increments all of them only if each is below its cap. Keys expire a while after their
window ends, measured from the budget's clock, so Redis cleans up on its own.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from itertools import islice
from typing import Any, cast

import redis

from fitcoach.strava.budget.backend import Count, Take
from fitcoach.strava.budget.errors import BudgetUnavailable
from fitcoach.strava.budget.policy import BASIS, Slot

_GLOB_SPECIAL = re.compile(r"([*?\[\]\\])")

DEFAULT_PREFIX = "fitcoach:budget:"
# Keys outlive their window so the admin page can still show the window that just ended.
GRACE = timedelta(hours=1)

# KEYS[1]: hash of learnt limits; KEYS[2..]: counters.
# ARGV: share in basis points, then for each counter: limit field ('' = not learnable),
# configured limit, time to live in seconds.
_TAKE = """
local n = #KEYS - 1
local share = tonumber(ARGV[1])
local used, limits, granted = {}, {}, 1
for i = 1, n do
  local base = 1 + (i - 1) * 3
  local limit = tonumber(ARGV[base + 2])
  if ARGV[base + 1] ~= '' then
    local learnt = redis.call('HGET', KEYS[1], ARGV[base + 1])
    if learnt then limit = tonumber(learnt) end
  end
  used[i] = tonumber(redis.call('GET', KEYS[i + 1]) or '0')
  limits[i] = limit
  if used[i] >= math.floor(limit * share / BASIS) then granted = 0 end
end
if granted == 1 then
  for i = 1, n do
    used[i] = redis.call('INCR', KEYS[i + 1])
    if used[i] == 1 then redis.call('EXPIRE', KEYS[i + 1], ARGV[1 + (i - 1) * 3 + 3]) end
  end
end
local out = {granted}
for i = 1, n do
  out[#out + 1] = used[i]
  out[#out + 1] = limits[i]
end
return out
""".replace("BASIS", str(BASIS))

# KEYS as for _TAKE. ARGV: number of learnt limits m, then m (field, value) pairs, then for
# each counter: target ('' = its limit in force), limit field, configured limit, ttl.
_CORRECT = """
local m = tonumber(ARGV[1])
for j = 1, m do
  redis.call('HSET', KEYS[1], ARGV[2 * j], ARGV[2 * j + 1])
end
local base = 2 + 2 * m
for i = 1, #KEYS - 1 do
  local at = base + (i - 1) * 4
  local target = tonumber(ARGV[at])
  if not target then
    target = tonumber(ARGV[at + 2])
    if ARGV[at + 1] ~= '' then
      local learnt = redis.call('HGET', KEYS[1], ARGV[at + 1])
      if learnt then target = tonumber(learnt) end
    end
  end
  local current = tonumber(redis.call('GET', KEYS[i + 1]) or '0')
  if target > current then
    redis.call('SET', KEYS[i + 1], target, 'EX', ARGV[at + 3])
  end
end
return {}
"""

# KEYS as for _TAKE. ARGV: for each counter, limit field and configured limit.
_READ = """
local out = {}
for i = 1, #KEYS - 1 do
  local limit = tonumber(ARGV[2 * i])
  if ARGV[2 * i - 1] ~= '' then
    local learnt = redis.call('HGET', KEYS[1], ARGV[2 * i - 1])
    if learnt then limit = tonumber(learnt) end
  end
  out[#out + 1] = tonumber(redis.call('GET', KEYS[i + 1]) or '0')
  out[#out + 1] = limit
end
return out
"""


class RedisBackend:
    """The `Backend` on one Redis server; `prefix` namespaces the keys (tests, installations)."""

    def __init__(self, client: redis.Redis[bytes], *, prefix: str = DEFAULT_PREFIX) -> None:
        self._client = client
        self._prefix = prefix
        self._take = client.register_script(_TAKE)
        self._correct = client.register_script(_CORRECT)
        self._read = client.register_script(_READ)

    @classmethod
    def from_url(cls, url: str, *, prefix: str = DEFAULT_PREFIX) -> RedisBackend:
        return cls(redis.Redis.from_url(url), prefix=prefix)

    @property
    def prefix(self) -> str:
        return self._prefix

    @property
    def client(self) -> redis.Redis[bytes]:
        return self._client

    def key(self, slot: Slot) -> str:
        return f"{self._prefix}{slot.scope}:{slot.window.value}:{int(slot.start.timestamp())}"

    def take(self, slots: Sequence[Slot], share_bp: int, now: datetime) -> Take:
        args: list[Any] = [share_bp]
        for slot in slots:
            args += [_field(slot), slot.limit, _ttl(slot, now)]
        reply = self._run(self._take, slots, args)
        return Take(reply[0] == 1, _counts(reply[1:]))

    def correct(
        self,
        slots: Sequence[Slot],
        used: Sequence[int | None],
        limits: Mapping[str, int],
        now: datetime,
    ) -> None:
        args: list[Any] = [len(limits)]
        for field, value in sorted(limits.items()):
            args += [field, value]
        for slot, target in zip(slots, used, strict=True):
            args += ["" if target is None else target, _field(slot), slot.limit, _ttl(slot, now)]
        self._run(self._correct, slots, args)

    def read(self, slots: Sequence[Slot]) -> list[Count]:
        args: list[Any] = []
        for slot in slots:
            args += [_field(slot), slot.limit]
        return _counts(self._run(self._read, slots, args))

    def scope_counts(self, prefix: str, window: str, start: datetime) -> dict[str, int]:
        # Keys are "<prefix><scope>:<window>:<start>" (``key``).
        escaped = _GLOB_SPECIAL.sub(r"\\\1", self._prefix + prefix)  # Redis: \x is x
        pattern = f"{escaped}*:{window}:{int(start.timestamp())}"
        found: dict[str, int] = {}
        keys = self._client.scan_iter(match=pattern, count=1000)
        while batch := list(islice(keys, 500)):
            scopes = [key.decode()[len(self._prefix) :].rsplit(":", 2)[0] for key in batch]
            values = self._client.mget(batch)
            found.update(
                (scope, int(value) if value is not None else 0)
                for scope, value in zip(scopes, values, strict=True)
            )
        return found

    def dispose(self) -> None:
        self._client.close()

    def clear(self) -> int:
        """Delete every key under the prefix (tests and resets); returns how many."""
        keys = list(self._client.scan_iter(match=self._prefix + "*", count=500))
        return int(self._client.delete(*keys)) if keys else 0

    def _run(self, script: Any, slots: Sequence[Slot], args: list[Any]) -> list[int]:
        keys = [self._prefix + "limits", *(self.key(slot) for slot in slots)]
        try:
            reply = script(keys=keys, args=args)
        except redis.RedisError as error:
            raise BudgetUnavailable(f"budget counters in Redis are unavailable: {error}") from error
        return [int(value) for value in cast(list[Any], reply)]


def _field(slot: Slot) -> str:
    return slot.limit_key if slot.learnable else ""


def _ttl(slot: Slot, now: datetime) -> int:
    return max(1, math.ceil((slot.end + GRACE - now).total_seconds()))


def _counts(flat: list[int]) -> list[Count]:
    return [Count(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)]
