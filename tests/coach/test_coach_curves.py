"""Best efforts and duration curves against independent computations, and the critical
power and speed fits against known models."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fitcoach.coach.curves import (
    CurvePoint,
    best_means,
    best_times,
    critical_power,
    critical_speed,
    ftp_by_month,
    merge_best,
)

streams = st.lists(st.floats(0, 1500, allow_nan=False), min_size=1, max_size=400)


def plain_rolling_best(values: list[float], window: int) -> float:
    """The best mean of ``window`` consecutive samples, the slow and obvious way."""
    return max(sum(values[i : i + window]) / window for i in range(len(values) - window + 1))


@settings(max_examples=60, deadline=None)
@given(streams)
def test_best_means_equal_a_plain_rolling_mean(values: list[float]) -> None:
    for point in best_means(values, durations=(1, 2, 5, 30, 60, 300)):
        window = int(point.key)
        assert point.value == pytest.approx(plain_rolling_best(values, window), abs=1.0)
    assert all(p.key <= len(values) for p in best_means(values))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(1.5, 6.0), min_size=30, max_size=600),
    st.integers(1, 5),
)
def test_best_times_equal_a_brute_force_search(speeds: list[float], step: int) -> None:
    """Recorded every ``step`` seconds; the brute force walks the 1-second truth."""
    truth = np.concatenate(([0.0], np.cumsum(speeds)))  # metres at each second
    recorded = np.arange(0, len(truth), step)
    distance, time = truth[recorded], recorded.astype(float)
    for point in best_times(distance, time, distances=(100.0, 400.0, 1000.0)):
        best = math.inf
        for i in range(len(recorded)):
            reach = distance[i] + point.key
            j = int(np.searchsorted(distance, reach))
            if j >= len(distance):
                break
            share = (reach - distance[j - 1]) / (distance[j] - distance[j - 1])
            best = min(best, time[j - 1] + share * (time[j] - time[j - 1]) - time[i])
        per_km = 1000.0 / point.key
        assert point.value * per_km == pytest.approx(best * per_km, abs=1.0)


def test_a_steady_effort_has_a_flat_curve() -> None:
    curve = best_means([250.0] * 3600)
    assert [p.key for p in curve][-1] == 3600.0
    assert all(p.value == pytest.approx(250.0) for p in curve)


def test_pauses_count_for_nothing() -> None:
    """Two 60 s efforts 10 minutes apart (recording paused between) are not one effort."""
    time = list(range(60)) + list(range(660, 720))
    curve = {p.key: p.value for p in best_means([300.0] * 60 + [100.0] * 60, time=time)}
    assert curve[60.0] == pytest.approx(300.0)
    assert curve[120.0] == pytest.approx(200.0)


def test_merge_keeps_the_best_of_each_point() -> None:
    a = [CurvePoint(1, 800), CurvePoint(60, 400)]
    b = [CurvePoint(1, 900), CurvePoint(60, 350), CurvePoint(300, 300)]
    assert merge_best([a, b]) == [CurvePoint(1, 900), CurvePoint(60, 400), CurvePoint(300, 300)]
    times = merge_best([[CurvePoint(400, 90)], [CurvePoint(400, 85)]], higher_is_better=False)
    assert times == [CurvePoint(400, 85)]


def test_critical_power_recovers_a_known_model() -> None:
    cp, w_prime = 280.0, 20_000.0
    curve = [CurvePoint(t, cp + w_prime / t) for t in (60, 120, 180, 300, 600, 900, 1200, 3600)]
    fit = critical_power(curve)
    assert fit is not None
    assert fit.critical == pytest.approx(cp) and fit.capacity == pytest.approx(w_prime)
    assert fit.r_squared == pytest.approx(1.0) and fit.points == 6  # 2 to 20 minutes only


def test_critical_speed_recovers_a_known_model() -> None:
    cs, d_prime = 4.2, 180.0
    curve = [CurvePoint(d, (d - d_prime) / cs) for d in (800, 1000, 1609.344, 3000, 5000)]
    fit = critical_speed(curve)
    assert fit is not None
    assert fit.critical == pytest.approx(cs) and fit.capacity == pytest.approx(d_prime)


def test_too_few_efforts_fit_nothing() -> None:
    assert critical_power([CurvePoint(300, 300), CurvePoint(600, 280)]) is None
    assert critical_power([]) is None


def test_ftp_by_month_from_the_best_20_minutes() -> None:
    from datetime import date

    months = [
        (date(2025, 1, 1), [CurvePoint(1200, 280.0)]),
        (date(2025, 2, 1), [CurvePoint(t, 260 + 15_000 / t) for t in (180, 300, 600, 900)]),
        (date(2025, 3, 1), [CurvePoint(60, 500.0)]),
    ]
    found = ftp_by_month(months)
    assert [m.month.month for m in found] == [1, 2]
    assert found[0].watts == pytest.approx(266.0) and "20-minute" in found[0].source
    assert found[1].watts == pytest.approx(260.0) and "critical power" in found[1].source
