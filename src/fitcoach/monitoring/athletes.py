"""Each athlete's Strava requests in the current windows, read from the budget's counters
(one per athlete and window, ``athlete:<id>``), whichever backend keeps them."""

from __future__ import annotations

from collections.abc import Mapping

from fitcoach.strava.budget import Budget, Window, window_start
from fitcoach.strava.budget.policy import athlete_scope

_PREFIX = athlete_scope(0).removesuffix("0")  # "athlete:"


def athlete_requests(budget: Budget, window: Window) -> dict[int, int]:
    """Requests made for each athlete in the current `window` (athletes with none omitted)."""
    start = window_start(window, budget.now())
    counts: dict[int, int] = {}
    for scope, used in budget.backend.scope_counts(_PREFIX, window.value, start).items():
        athlete = scope.removeprefix(_PREFIX)
        if athlete.isdigit() and used > 0:
            counts[int(athlete)] = used
    return counts


def top(counts: Mapping[int, int], n: int) -> list[tuple[int, int]]:
    """The `n` athletes with the most requests, most first (ties by athlete id)."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:n]
