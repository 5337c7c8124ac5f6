"""The chart's future: fitness, fatigue and form projected to a goal from the recent load
and the taper the coach advises; race morning's form is the one the advice quotes."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from fitcoach.coach import (
    CoachError,
    GoalEvent,
    daily_numbers,
    performance_series,
    project,
    recommend,
)
from fitcoach.coach.recommendations import Kind

START = date(2025, 1, 1)


def loads(seed: int, days: int = 120) -> list[float]:
    rng = random.Random(seed)
    return [0.0 if rng.random() < 0.3 else round(rng.uniform(20, 160), 1) for _ in range(days)]


@pytest.mark.parametrize(("seed", "priority", "ahead"), [(1, "A", 40), (2, "B", 12), (3, "C", 5)])
def test_race_morning_form_is_the_advices(seed: int, priority: str, ahead: int) -> None:
    series = performance_series(loads(seed), START)
    today = series.end
    goal = GoalEvent("Race", today + timedelta(days=ahead), priority)  # type: ignore[arg-type]
    projection = project(series, today, goal.day, goal)
    assert projection.start == today and projection.end == goal.day
    # Today's morning is measured, the same numbers as everywhere else.
    morning = daily_numbers(series).on(today)
    assert projection.fitness[0] == pytest.approx(morning.ctl)
    assert projection.fatigue[0] == pytest.approx(morning.atl)
    assert list(projection.form) == pytest.approx(list(projection.fitness - projection.fatigue))
    advice = next(r for r in recommend(series, today=today, goal=goal) if r.kind is Kind.GOAL_EVENT)
    assert round(float(projection.form[-1]), 1) == pytest.approx(
        advice.numbers["projected_tsb"], abs=0.051
    )
    assert round(float(projection.fitness[-1]), 1) == pytest.approx(
        advice.numbers["projected_ctl"], abs=0.051
    )
    # The taper cuts the recent load over its last days, and only those.
    assert projection.daily_load == pytest.approx(advice.numbers["recent_daily_load"], abs=0.051)
    assert projection.load[0] == pytest.approx(projection.daily_load)
    assert projection.load[-2] < projection.daily_load or projection.daily_load == 0


def test_without_a_goal_the_recent_load_is_held_and_bad_days_are_refused() -> None:
    series = performance_series([50.0] * 1500, START)
    projection = project(series, series.end, series.end + timedelta(days=30))
    # At a steady load held long enough, fitness and fatigue stay where they are.
    assert list(projection.fitness) == pytest.approx([50.0] * 31)
    assert list(projection.fatigue) == pytest.approx([50.0] * 31)
    with pytest.raises(CoachError, match="before today"):
        project(series, series.end, series.end - timedelta(days=1))
    with pytest.raises(CoachError, match="outside the series"):
        project(series, series.end + timedelta(days=1), series.end + timedelta(days=2))
