import math

import numpy as np
import pytest
from coach_factories import DETERMINISTIC
from hypothesis import given
from hypothesis import strategies as st

from fitcoach.coach import CoachError, normalized_graded_speed, running_tss, swim_tss
from fitcoach.coach.running import minetti_cost

THRESHOLD_PACE = 240.0  # 4:00/km = 4.1667 m/s


def test_one_hour_at_threshold_pace_on_the_flat_is_rtss_100() -> None:
    speed = 1000 / THRESHOLD_PACE
    ngs = normalized_graded_speed([speed] * 3600)
    assert ngs == pytest.approx(speed)
    assert running_tss(3600, ngs, THRESHOLD_PACE) == pytest.approx(100.0)


def test_minetti_cost_is_3_6_on_the_flat_and_higher_uphill() -> None:
    cost = minetti_cost(np.array([0.0, 0.1, -0.1, 0.45, 0.9]))
    assert cost[0] == pytest.approx(3.6)
    # +10 %: 0.001554 − 0.00304 − 0.0433 + 0.463 + 1.95 + 3.6 = 5.968214
    assert cost[1] == pytest.approx(5.968214)
    assert cost[2] < cost[0]
    assert cost[4] == cost[3]  # clamped to the measured range


def test_uphill_running_counts_for_more_than_the_same_speed_on_the_flat() -> None:
    speed = [3.0] * 1200
    flat = normalized_graded_speed(speed)
    uphill = normalized_graded_speed(speed, grade_percent=[10.0] * 1200)
    assert uphill == pytest.approx(flat * 5.968214 / 3.6, rel=1e-4)


def test_grade_from_altitude_over_distance() -> None:
    # 3 m/s for 20 min climbing 1 m every 10 m (10 %): the same as a grade stream of 10 %.
    n = 1200
    distance = np.arange(n) * 3.0
    altitude = distance * 0.1
    from_altitude = normalized_graded_speed([3.0] * n, altitude=altitude, distance=distance)
    from_speed_only = normalized_graded_speed([3.0] * n, altitude=altitude)
    from_grade = normalized_graded_speed([3.0] * n, grade_percent=[10.0] * n)
    assert from_altitude == pytest.approx(from_grade, rel=1e-3)
    assert from_speed_only == pytest.approx(from_grade, rel=1e-3)


def test_one_hour_at_threshold_swim_pace_is_stss_100_and_intensity_is_cubed() -> None:
    # 100 s/100 m for an hour is 3600 m.
    assert swim_tss(3600, 3600, 100) == pytest.approx(100.0)
    # 10 % faster: IF 1.1, sTSS = 1.1³ × 100 = 133.1
    assert swim_tss(3600, 3960, 100) == pytest.approx(133.1)


@DETERMINISTIC
@given(
    st.floats(min_value=60, max_value=20000),
    st.floats(min_value=0.5, max_value=7),
    st.floats(min_value=0.1, max_value=10),
)
def test_running_and_swim_loads_scale_as_documented(seconds: float, speed: float, k: float) -> None:
    rtss = running_tss(seconds, speed, THRESHOLD_PACE)
    assert rtss == pytest.approx(seconds / 3600 * (speed * THRESHOLD_PACE / 1000) ** 2 * 100)
    assert running_tss(k * seconds, speed, THRESHOLD_PACE) == pytest.approx(k * rtss)
    assert running_tss(seconds, k * speed, THRESHOLD_PACE) == pytest.approx(k**2 * rtss)
    stss = swim_tss(seconds, speed * seconds, 100)
    assert swim_tss(k * seconds, k * speed * seconds, 100) == pytest.approx(k * stss)
    assert swim_tss(seconds, k * speed * seconds, 100) == pytest.approx(k**3 * stss)


def test_bad_running_input_is_a_coach_error() -> None:
    with pytest.raises(CoachError, match="threshold_pace"):
        running_tss(3600, 3.0, -240)
    with pytest.raises(CoachError, match="empty"):
        normalized_graded_speed([])
    with pytest.raises(CoachError, match="grade_smooth has 2 samples"):
        normalized_graded_speed([3.0, 3.0, 3.0], grade_percent=[1.0, 1.0])
    with pytest.raises(CoachError, match="threshold_pace_s_per_100m"):
        swim_tss(3600, 3000, math.nan)
