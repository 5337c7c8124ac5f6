import math
from datetime import date, timedelta

import numpy as np
import pytest
from coach_factories import DETERMINISTIC
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from fitcoach.coach import (
    CoachError,
    DailyLoads,
    daily_load_totals,
    performance_on,
    performance_series,
)

START = date(2015, 1, 1)


def reference(loads: list[float], days: float, start: float = 0.0) -> list[float]:
    """The recurrence written out day by day."""
    alpha = 1 - math.exp(-1 / days)
    out, y = [], start
    for load in loads:
        y += (load - y) * alpha
        out.append(y)
    return out


def test_ctl_after_42_days_of_constant_load_from_zero() -> None:
    # Exponential form: CTL(n) = L·(1 − e^(−n/42)); at n = 42, L·(1 − e^(−1)) = 0.63212·L.
    series = performance_series([100.0] * 42, START)
    assert series.ctl[-1] == pytest.approx(100 * (1 - math.exp(-1)), rel=1e-12)
    assert series.ctl[-1] == pytest.approx(63.212, abs=1e-3)
    assert series.atl[6] == pytest.approx(100 * (1 - math.exp(-1)), rel=1e-12)


def test_series_agrees_with_the_day_by_day_recurrence() -> None:
    rng = np.random.default_rng(7)
    loads = rng.uniform(0, 250, 1000).tolist()
    series = performance_series(loads, START, ctl_start=40, atl_start=55)
    assert series.ctl == pytest.approx(reference(loads, 42, 40), rel=1e-12)
    assert series.atl == pytest.approx(reference(loads, 7, 55), rel=1e-12)


def test_the_simple_form_uses_one_over_the_time_constant() -> None:
    # TrainingPeaks' published recurrence: CTL(d) = CTL(d−1) + (TSS(d) − CTL(d−1)) / 42.
    loads = [100.0, 0.0, 50.0, 200.0] * 30
    series = performance_series(loads, START, smoothing="simple")
    assert series.ctl[0] == pytest.approx(100 / 42)
    ctl = 0.0
    for d, load in enumerate(loads):
        ctl += (load - ctl) / 42
        assert series.ctl[d] == pytest.approx(ctl, rel=1e-12)
    with pytest.raises(CoachError, match="smoothing"):
        performance_series(loads, START, smoothing="linear")  # type: ignore[arg-type]


def test_tsb_is_yesterdays_ctl_minus_yesterdays_atl() -> None:
    loads = [0, 100, 200, 0, 50, 300, 0, 0, 80]
    series = performance_series(loads, START, ctl_start=30, atl_start=20)
    assert series.tsb[0] == pytest.approx(10.0)
    for d in range(1, len(loads)):
        assert series.tsb[d] == pytest.approx(series.ctl[d - 1] - series.atl[d - 1])


def test_tsb_sign_conventions() -> None:
    # Training hard from rest: fatigue outruns fitness, form goes negative.
    block = performance_series([150.0] * 21, START)
    assert (block.tsb[1:] < 0).all()
    # Resting after months of steady training: fatigue drains first, form goes positive.
    rested = performance_series([100.0] * 120 + [0.0] * 10, START)
    assert rested.tsb[-1] > 0
    # Steady state: fitness and fatigue meet, form near zero.
    steady = performance_series([100.0] * 1000, START)
    assert steady.tsb[-1] == pytest.approx(0.0, abs=1e-6)


def test_ramp_rate_is_the_change_in_ctl_over_seven_days() -> None:
    series = performance_series([100.0] * 60, START, ctl_start=20)
    assert series.ramp[30] == pytest.approx(series.ctl[30] - series.ctl[23])
    assert series.ramp[3] == pytest.approx(series.ctl[3] - 20)


def test_performance_on_and_the_end_date() -> None:
    series = performance_series([10.0] * 10, START)
    assert series.end == START + timedelta(days=9)
    day = performance_on(series, START + timedelta(days=4))
    assert day.ctl == pytest.approx(series.ctl[4])
    with pytest.raises(CoachError, match="outside the series"):
        performance_on(series, START - timedelta(days=1))


def test_series_arrays_are_read_only() -> None:
    series = performance_series([10.0] * 10, START)
    with pytest.raises(ValueError, match="read-only"):
        series.ctl[0] = 5


def test_daily_load_totals_sums_per_day_and_ignores_days_outside() -> None:
    totals = daily_load_totals(
        [(START, 50), (START, 25), (START + timedelta(days=2), 10), (START - timedelta(1), 99)],
        START,
        START + timedelta(days=3),
    )
    assert totals.tolist() == [75, 0, 10, 0]


def test_daily_loads_as_arrays_match_the_dated_pairs() -> None:
    dated = [(START + timedelta(days=2), 10.0), (START, 50.0), (START, 25.0)]
    loads = DailyLoads.of(dated)
    assert loads.first() == START
    assert sorted(loads.dated()) == sorted(dated)
    assert loads.totals(START, START + timedelta(days=3)).tolist() == [75, 0, 10, 0]
    assert DailyLoads.of([]).first() is None
    assert DailyLoads.of([]).totals(START, START).tolist() == [0]


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf])
def test_a_bad_daily_load_is_a_coach_error(bad: float) -> None:
    with pytest.raises(CoachError, match="load must be a finite number"):
        DailyLoads.of([(START, 5.0), (START, bad)]).totals(START, START)


@settings(DETERMINISTIC, max_examples=25)
@given(arrays(np.float64, 3650, elements=st.floats(min_value=0, max_value=1000)))
def test_ten_years_of_days_stay_finite_and_bounded(loads: np.ndarray) -> None:
    series = performance_series(loads, START)
    top = float(loads.max())
    for values in (series.ctl, series.atl):
        assert np.isfinite(values).all()
        assert (values >= -1e-9).all()
        assert (values <= top + 1e-9).all()
    assert (np.abs(series.tsb) <= top + 1e-9).all()
    assert (np.abs(series.ramp) <= top + 1e-9).all()


@settings(DETERMINISTIC, max_examples=25)
@given(
    st.lists(st.floats(min_value=0, max_value=500), min_size=1, max_size=300),
    st.floats(min_value=0, max_value=200),
)
def test_any_length_matches_the_recurrence(loads: list[float], seed: float) -> None:
    series = performance_series(loads, START, ctl_start=seed, atl_start=seed)
    assert series.ctl == pytest.approx(reference(loads, 42, seed), rel=1e-9, abs=1e-9)
    assert series.atl == pytest.approx(reference(loads, 7, seed), rel=1e-9, abs=1e-9)


def test_bad_series_input_is_a_coach_error() -> None:
    with pytest.raises(CoachError, match="non-empty"):
        performance_series([], START)
    with pytest.raises(CoachError, match=r"daily_loads\[1\]"):
        performance_series([1.0, math.nan], START)
    with pytest.raises(CoachError, match=r"daily_loads\[0\]"):
        performance_series([-5.0], START)
    with pytest.raises(CoachError, match="ctl_days"):
        performance_series([1.0], START, ctl_days=0)
    with pytest.raises(CoachError, match="before start"):
        daily_load_totals([], START, START - timedelta(days=1))
