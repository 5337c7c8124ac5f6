"""--find-max's search, against strategies whose answer is known in advance."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from fitcoach.capacity import CapacityOptions
from fitcoach.capacity.accounting import DayStats
from fitcoach.capacity.run import FIND_MAX_PRECISION, next_size, search_largest
from fitcoach.capacity.world import StrategyRun

OPTIONS = CapacityOptions(athletes=200, days=2)


def strategy(
    calls_per_athlete: float, largest: int | None = None
) -> tuple[Callable[[int], StrategyRun], list[int]]:
    """A fake probe: calls grow with N; it fails past the daily limit (or past `largest`,
    a limit the calls do not show, such as a 15-minute peak)."""
    probed: list[int] = []

    def probe(athletes: int) -> StrategyRun:
        probed.append(athletes)
        calls = round(athletes * calls_per_athlete)
        over = calls > OPTIONS.read_long_limit or (largest is not None and athletes > largest)
        day = DayStats(day=1, athletes=athletes, calls=calls, views=1000, failed_views=int(over))
        return StrategyRun("fake", athletes, [day], 1.0, 1.0)

    return probe, probed


@pytest.mark.parametrize("calls_per_athlete", [0.74, 1.4, 3.6, 0.05])
def test_a_budget_bound_strategy_is_found_in_a_few_probes(calls_per_athlete: float) -> None:
    probe, probed = strategy(calls_per_athlete)
    good, bad = search_largest(OPTIONS, probe)
    truth = int(OPTIONS.read_long_limit / calls_per_athlete)
    assert good <= truth and (bad is None or bad > truth)
    assert bad is not None and bad - good <= max(1, good * FIND_MAX_PRECISION)
    assert len(probed) <= 5, probed


def test_a_limit_the_calls_do_not_show_is_still_bracketed() -> None:
    probe, _ = strategy(0.5, largest=700)
    good, bad = search_largest(OPTIONS, probe)
    assert good <= 700 < (bad or 0)
    assert (bad or 0) - good <= max(1, good * FIND_MAX_PRECISION)


def test_a_strategy_that_serves_nobody_is_found_by_halving() -> None:
    probe, probed = strategy(1.0, largest=0)
    assert search_largest(OPTIONS, probe) == (0, 1)
    assert probed[:3] == [200, 100, 50]


def test_the_next_probe_aims_just_under_the_daily_limit() -> None:
    probe, _ = strategy(0.8)
    run = probe(200)
    assert 1180 <= next_size(OPTIONS, 200, run) < 1250  # 1,000 / 0.8 = 1,250
    assert next_size(OPTIONS, 1240, probe(1240)) > 1240  # always at least one step on
    assert next_size(OPTIONS, 10, strategy(0.0)[0](10)) == 100  # no calls: ten times
