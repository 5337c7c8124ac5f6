"""Each athlete's Strava requests in the current windows, read from the budget's counters.

The budget keeps one counter per athlete and window (``athlete:<id>``), in the
``api_usage`` table or in Redis; it only ever reads them one athlete at a time, so the
monitoring reads them all here, read-only, in the layout those backends document.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from itertools import islice

from sqlalchemy import select

from fitcoach.store.models import ApiUsage
from fitcoach.strava.budget import Budget, DatabaseBackend, RedisBackend, Window, window_start
from fitcoach.strava.budget.policy import athlete_scope

_PREFIX = athlete_scope(0).removesuffix("0")  # "athlete:"
_GLOB_SPECIAL = re.compile(r"([*?\[\]\\])")


def athlete_requests(budget: Budget, window: Window) -> dict[int, int]:
    """Requests made for each athlete in the current `window` (athletes with none omitted)."""
    start = window_start(window, budget.now())
    backend = budget.backend
    if isinstance(backend, DatabaseBackend):
        query = select(ApiUsage.scope, ApiUsage.used).where(
            ApiUsage.window == window.value,
            ApiUsage.window_start == start,
            ApiUsage.scope.startswith(_PREFIX),
        )
        with backend.engine.connect() as connection:
            return _by_athlete((row.scope, row.used) for row in connection.execute(query))
    if isinstance(backend, RedisBackend):
        return _from_redis(backend, window, int(start.timestamp()))
    return {}


def _from_redis(backend: RedisBackend, window: Window, start: int) -> dict[int, int]:
    # Keys are "<prefix><scope>:<window>:<start>" (RedisBackend.key).
    escaped = _GLOB_SPECIAL.sub(r"\\\1", backend.prefix + _PREFIX)  # Redis: \x is x
    pattern = f"{escaped}*:{window.value}:{start}"
    client = backend.client
    found: dict[int, int] = {}
    keys = client.scan_iter(match=pattern, count=1000)
    while batch := list(islice(keys, 500)):
        scopes = (key.decode()[len(backend.prefix) :].rsplit(":", 2)[0] for key in batch)
        found.update(_by_athlete(zip(scopes, _ints(client.mget(batch)), strict=True)))
    return found


def _ints(raw: list[bytes | None]) -> Iterator[int]:
    for value in raw:
        yield int(value) if value is not None else 0


def _by_athlete(rows: Iterable[tuple[str, int]]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for scope, used in rows:
        athlete = scope.removeprefix(_PREFIX)
        if athlete.isdigit() and used > 0:
            counts[int(athlete)] = used
    return counts


def top(counts: Mapping[int, int], n: int) -> list[tuple[int, int]]:
    """The `n` athletes with the most requests, most first (ties by athlete id)."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:n]
