"""The figures of a run, as CAPACITY.md defines them, and the lower bound they are held to."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from fitcoach.capacity.population import Kind, Population, Upload
from fitcoach.core.metrics import BUDGET_REFUSALS, STRAVA_REQUESTS, UNCOUNTED
from fitcoach.strava.client import MAX_PER_PAGE

# A view is stale when it misses what changed more than this long before it.
STALE_AFTER_S = 300.0


@dataclass
class DayStats:
    day: int
    athletes: int = 0
    calls: int = 0  # the simulator's own count: requests that reached "Strava"
    fitcoach_count: int = 0  # requests fitcoach's client counted as sent
    window_sum: int = 0  # the day's 15-minute windows added up (must equal calls)
    peak_15min: int = 0
    views: int = 0
    failed_views: int = 0
    stale_views: int = 0
    presses: int = 0
    lower_bound: int = 0
    refused: int = 0  # requests the budget held back (they never reached Strava)
    rate_limited: int = 0  # 429s Strava answered
    presses_by_outcome: dict[str, int] = field(default_factory=dict)
    calls_by_cause: dict[str, int] = field(default_factory=dict)
    endpoints: dict[str, int] = field(default_factory=dict)

    @property
    def calls_per_athlete(self) -> float:
        return self.calls / self.athletes if self.athletes else 0.0

    @property
    def ratio(self) -> float | None:
        return self.calls / self.lower_bound if self.lower_bound else None

    @property
    def counts_agree(self) -> bool:
        return self.calls == self.fitcoach_count == self.window_sum

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(
            calls_per_athlete=round(self.calls_per_athlete, 3),
            ratio=None if self.ratio is None else round(self.ratio, 3),
            counts_agree=self.counts_agree,
        )
        return data


def lower_bound(population: Population, history: dict[int, int]) -> list[int]:
    """Per day: one list call for each view that is the athlete's first after new uploads,
    plus ceil(history / 200) list calls for each new athlete's backfill."""
    bound = [0] * population.days
    news: set[int] = set()
    for event in population.events:
        day = population.day_of(event.at)
        if event.kind is Kind.UPLOAD:
            news.add(event.person)
        elif event.kind is Kind.VIEW and event.person in news:
            bound[day] += 1
            news.discard(event.person)
        elif event.kind is Kind.JOIN:
            bound[day] += math.ceil(history.get(event.person, 0) / MAX_PER_PAGE)
    return bound


def is_stale(uploads: list[Upload], ids: dict[int, int], shown: dict[int, str], at: float) -> bool:
    """Whether a view at `at` showing `shown` (id → title) misses an upload or an edit
    made more than STALE_AFTER_S before it. `uploads` are the athlete's so far."""
    settled = at - STALE_AFTER_S
    for upload in uploads:
        if upload.at > settled or (upload.deleted_at is not None and upload.deleted_at <= at):
            continue
        title = shown.get(ids[upload.index])
        if title is None:
            return True
        current = max(i for i, (when, _) in enumerate(upload.versions) if when <= settled)
        if title not in {name for _, name in upload.versions[current:]}:
            return True
    return False


class ClientCounters:
    """fitcoach's own counts from its metrics, read as differences between two moments."""

    def __init__(self) -> None:
        self._last = self._read()

    @staticmethod
    def _read() -> tuple[int, int, int]:
        sent = limited = refused = 0
        for metric in STRAVA_REQUESTS.collect():
            for sample in metric.samples:
                if sample.name.endswith("_total") and sample.labels["priority"] != UNCOUNTED:
                    sent += int(sample.value)
                    if sample.labels["outcome"] == "rate_limited":
                        limited += int(sample.value)
        for metric in BUDGET_REFUSALS.collect():
            for sample in metric.samples:
                if sample.name.endswith("_total"):
                    refused += int(sample.value)
        return sent, limited, refused

    def since_last(self) -> tuple[int, int, int]:
        """(requests sent, 429s, budget refusals) since the previous call."""
        now = self._read()
        delta = (now[0] - self._last[0], now[1] - self._last[1], now[2] - self._last[2])
        self._last = now
        return delta


def endpoint_delta(now: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    delta = Counter(now)
    delta.subtract(before)
    return {name: count for name, count in sorted(delta.items()) if count}
