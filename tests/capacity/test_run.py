"""A small capacity run of every strategy, checking the accounting and the seed's designs.

One run (100 athletes, 2 simulated days) is shared by the tests of this module.
"""

from __future__ import annotations

import pytest

from fitcoach.capacity import CapacityOptions, CapacityReport, run_capacity
from fitcoach.capacity.own import UPGRADES
from fitcoach.capacity.population import Kind, Population, generate
from fitcoach.capacity.seed import SEED_CACHE
from fitcoach.capacity.world import StrategyRun
from fitcoach.sync.upgrades import DAY_SHARE

LIST = "GET /api/v3/athlete/activities"
DETAIL = "GET /api/v3/activities/{id}"
OPTIONS = CapacityOptions(athletes=100, days=2, history_days=60, seed=2)


@pytest.fixture(scope="module")
def report() -> CapacityReport:
    return run_capacity(OPTIONS)


@pytest.fixture(scope="module")
def population() -> Population:
    return generate(OPTIONS)


def by_name(report: CapacityReport, name: str) -> StrategyRun:
    return next(run for run in report.runs if run.strategy == name)


def per_day(population: Population, kinds: set[Kind]) -> list[int]:
    counts = [0] * population.days
    for event in population.events:
        if event.kind in kinds:
            counts[population.day_of(event.at)] += 1
    return counts


def test_fitcoach_counts_what_the_simulator_counts(report: CapacityReport) -> None:
    for run in report.runs:
        for day in run.days:
            assert day.calls > 0
            assert day.calls == day.fitcoach_count == day.window_sum, (run.strategy, day)
            assert sum(day.calls_by_cause.values()) == day.calls, (run.strategy, day)
            assert sum(day.endpoints.values()) == day.calls
            assert day.peak_15min <= OPTIONS.read_short_limit


def test_the_lower_bound_is_below_every_strategy(report: CapacityReport) -> None:
    bounds = {tuple(d.lower_bound for d in run.days) for run in report.runs}
    assert len(bounds) == 1  # the same population and events for every strategy
    for run in report.runs:
        for day in run.days:
            assert 0 < day.lower_bound <= day.calls, (run.strategy, day)


def test_seed_current_spends_a_list_call_per_uncached_view(
    report: CapacityReport, population: Population
) -> None:
    # Replay the five-minute cache over the views (a refresh press is another view).
    fetched_at: dict[int, float] = {}
    expected = [0] * population.days
    for event in population.events:
        if event.kind in (Kind.VIEW, Kind.PRESS):
            last = fetched_at.get(event.person)
            if last is None or event.at - last >= SEED_CACHE.total_seconds():
                fetched_at[event.person] = event.at
                expected[population.day_of(event.at)] += 1
    run = by_name(report, "seed-current")
    assert [d.endpoints.get(LIST, 0) for d in run.days] == expected
    assert all(d.failed_views == d.stale_views == d.refused == 0 for d in run.days)


def test_seed_webhooks_fetches_each_created_or_updated_activity(
    report: CapacityReport, population: Population
) -> None:
    run = by_name(report, "seed-webhooks")
    assert [d.endpoints.get(DETAIL, 0) for d in run.days] == per_day(
        population, {Kind.UPLOAD, Kind.EDIT}
    )
    # List calls: only a new athlete's first sync and the refresh button.
    joins, presses = per_day(population, {Kind.JOIN}), per_day(population, {Kind.PRESS})
    for day in run.days:
        assert day.endpoints.get(LIST, 0) == joins[day.day] + presses[day.day]
        assert day.stale_views == 0


def test_seed_daily_syncs_once_a_day_per_athlete_plus_presses(
    report: CapacityReport, population: Population
) -> None:
    run = by_name(report, "seed-daily")
    presses = per_day(population, {Kind.PRESS})
    assert all(DETAIL not in d.endpoints for d in run.days)
    for day in run.days:
        assert day.calls_by_cause.get("refresh presses", 0) == presses[day.day]
        assert day.calls_by_cause.get("views", 0) <= day.athletes
    # Data a day old: views miss the day's uploads (the seed's trade).
    assert sum(d.stale_views for d in run.days) > 0


def test_fitcoach_serves_everyone_fresh_at_this_size(report: CapacityReport) -> None:
    run = by_name(report, "fitcoach")
    assert run.serves_all
    assert all(d.failed_views == d.stale_views == 0 for d in run.days)
    backfill = sum(d.calls_by_cause.get("backfill", 0) for d in run.days)
    assert backfill >= 2 * OPTIONS.days  # each new athlete's history, paged


def test_fitcoach_stays_near_the_lower_bound(report: CapacityReport) -> None:
    """Events only mark athletes dirty; views make the calls; presses without news and
    athletes without news cost nothing while webhooks flow. Stream upgrades fill only the
    spare budget: up to half the daily limit, paced over the day."""
    run = by_name(report, "fitcoach")
    for day in run.days:
        upgrades = day.calls_by_cause.get(UPGRADES, 0)
        assert 0 < upgrades <= DAY_SHARE * OPTIONS.read_long_limit, day
        assert day.calls - upgrades <= 1.2 * day.lower_bound, day
        assert "webhook follow-ups" not in day.calls_by_cause
        assert day.calls_by_cause.get("refresh presses", 0) < day.presses / 4
        assert day.presses_by_outcome.get("no news", 0) > 0
    assert run.extra["upgraded_loads"] > 0
    seed_webhooks = by_name(report, "seed-webhooks")
    sync_calls = sum(d.calls - d.calls_by_cause.get(UPGRADES, 0) for d in run.days)
    assert sync_calls < sum(d.calls for d in seed_webhooks.days)
