import math

import numpy as np
import pytest
from coach_factories import DETERMINISTIC, THRESHOLDS, activity
from hypothesis import given
from hypothesis import strategies as st

from fitcoach.coach import (
    CoachError,
    Streams,
    activity_load,
    intensity_factor,
    normalized_power,
    training_stress_score,
)

watts_lists = st.lists(st.floats(min_value=0, max_value=2000, allow_nan=False), max_size=400)


@pytest.mark.parametrize("power", [0.0, 1.0, 150.0, 250.0, 1234.5])
def test_normalized_power_of_constant_power_is_that_power(power: float) -> None:
    assert normalized_power([power] * 3600) == pytest.approx(power)


def test_one_hour_at_ftp_is_tss_100_and_if_1() -> None:
    assert intensity_factor(250.0, 250.0) == pytest.approx(1.0)
    assert training_stress_score(3600.0, 250.0, 250.0) == pytest.approx(100.0)
    ride = activity("Ride", 3600, streams=Streams(watts=[250.0] * 3600))
    load = activity_load(ride, THRESHOLDS)
    assert load.load == pytest.approx(100.0)
    assert load.intensity_factor == pytest.approx(1.0)


def test_normalized_power_of_an_interval_session_matches_the_hand_computation() -> None:
    # 10 min at 100 W, 10 min at 300 W, 10 min at 100 W, 1 Hz (1800 samples).
    # Valid 30-s windows: 1800 − 29 = 1771. Windows inside one block are flat:
    #   3 blocks × (600 − 29) = 1713 windows: 1142 at 100 W, 571 at 300 W.
    # Each of the 2 transitions has 29 windows holding k = 1..29 samples of the other
    # block; their means are 100 + 200·k/30 = 100·(1 + k/15) (down: the same set).
    #   Σ_k (1 + k/15)^4 = Σ (1 + 4u + 6u² + 4u³ + u⁴), u = k/15, with
    #   Σk = 435, Σk² = 8555, Σk³ = 189225, Σk⁴ = 4463999 for k = 1..29:
    #   = 29 + 4·435/15 + 6·8555/225 + 4·189225/3375 + 4463999/50625
    #   = 29 + 116 + 228.1333 + 224.2667 + 88.1778 = 685.5778
    # Sum of 4th powers / 100⁴ = 1142·1 + 571·3⁴ + 2·685.5778 = 1142 + 46251 + 1371.1556
    #   = 48764.1556; mean = 48764.1556 / 1771 = 27.53481;
    # NP = 100 · 27.53481^(1/4) = 100 · 2.29071 = 229.07 W (average power: 166.67 W).
    watts = [100.0] * 600 + [300.0] * 600 + [100.0] * 600
    assert normalized_power(watts) == pytest.approx(229.07, abs=0.5)
    assert normalized_power(watts) == pytest.approx(229.07, abs=0.01)


def test_zeros_count_as_coasting() -> None:
    # Half the time coasting: 30 min at 200 W then 30 min at 0 W.
    np_w = normalized_power([200.0] * 1800 + [0.0] * 1800)
    assert 100.0 < np_w < 200.0


def test_dropouts_hold_the_last_reading() -> None:
    watts: list[float | None] = [200.0] * 100
    watts[40:45] = [None] * 5
    assert normalized_power(watts) == pytest.approx(200.0)
    assert normalized_power(np.array([200.0, math.nan] * 50)) == pytest.approx(200.0)


def test_a_pause_in_the_time_array_counts_for_nothing() -> None:
    # 20 min at 300 W, a 10-minute stop (recording halted), 20 min at 300 W: NP stays 300,
    # where filling the stop with zeros would pull it down.
    time = list(range(1200)) + list(range(1800, 3000))
    assert normalized_power([300.0] * 2400, time=time) == pytest.approx(300.0)
    filled = [300.0] * 1200 + [0.0] * 600 + [300.0] * 1200
    assert normalized_power(filled) < 290


def test_smart_recording_samples_are_held_for_their_interval() -> None:
    # One reading every 3 s (smart recording) is the same ride as 1 Hz readings.
    steps = [100.0] * 200 + [300.0] * 200
    every3 = steps[::3]
    time = list(range(0, 400, 3))
    assert normalized_power(every3, time=time) == pytest.approx(normalized_power(steps), abs=2)


def test_negative_readings_count_as_zero() -> None:
    assert normalized_power([-50.0] * 60 + [0.0] * 60) == 0.0


def test_higher_sample_rate_uses_a_30_second_window() -> None:
    watts = [100.0] * 600 + [300.0] * 600 + [100.0] * 600
    doubled = [w for w in watts for _ in range(2)]
    assert normalized_power(doubled, sample_rate_hz=2.0) == pytest.approx(
        normalized_power(watts), abs=0.5
    )


@DETERMINISTIC
@given(st.floats(min_value=0, max_value=3000), st.integers(min_value=1, max_value=2000))
def test_normalized_power_of_any_constant_series_is_that_value(power: float, n: int) -> None:
    assert normalized_power([power] * n) == pytest.approx(power, rel=1e-9, abs=1e-9)


@DETERMINISTIC
@given(watts_lists.filter(bool))
def test_normalized_power_is_at_least_the_mean_of_its_30s_averages(watts: list[float]) -> None:
    # The power-mean inequality, which holds for any non-negative series.
    x = np.array(watts)
    rolled = np.convolve(x, np.ones(30) / 30, "valid") if len(x) >= 30 else [x.mean()]
    assert normalized_power(watts) >= float(np.mean(rolled)) * (1 - 1e-9) - 1e-9


@DETERMINISTIC
@given(watts_lists)
def test_normalized_power_is_at_least_average_power(watts: list[float]) -> None:
    # A ride starts and ends with 30 s of rolling out (0 W): Coggan's valid-window
    # convention weighs the first and last 29 s less (docs/metrics.md shows why), so
    # with them quiet NP >= average power holds for any effort in between.
    ride = [0.0] * 30 + watts + [0.0] * 30
    assert normalized_power(ride) >= float(np.mean(ride)) * (1 - 1e-9) - 1e-9


@DETERMINISTIC
@given(
    st.floats(min_value=60, max_value=20000),
    st.floats(min_value=0, max_value=1500),
    st.floats(min_value=50, max_value=500),
    st.floats(min_value=0.1, max_value=10),
)
def test_tss_scales_with_duration_and_the_square_of_intensity(
    seconds: float, np_w: float, ftp: float, k: float
) -> None:
    tss = training_stress_score(seconds, np_w, ftp)
    assert tss == pytest.approx(seconds / 3600 * (np_w / ftp) ** 2 * 100)
    assert training_stress_score(k * seconds, np_w, ftp) == pytest.approx(k * tss)
    assert training_stress_score(seconds, k * np_w, ftp) == pytest.approx(k * k * tss)


def test_bad_power_input_is_a_coach_error() -> None:
    with pytest.raises(CoachError, match="ftp"):
        training_stress_score(3600, 200, -250)
    with pytest.raises(CoachError, match="ftp"):
        intensity_factor(200, 0)
    with pytest.raises(CoachError, match="no readings"):
        normalized_power([])
    with pytest.raises(CoachError, match="no readings"):
        normalized_power([None, None])
    with pytest.raises(CoachError, match="time has 2 samples but watts has 3"):
        normalized_power([1.0, 2.0, 3.0], time=[0, 1])
    with pytest.raises(CoachError, match="backwards"):
        normalized_power([1.0, 2.0, 3.0], time=[0, 2, 1])
    with pytest.raises(CoachError, match="sample_rate_hz"):
        normalized_power([1.0], sample_rate_hz=0)
    with pytest.raises(CoachError, match="numbers"):
        normalized_power(["a", "b"])  # type: ignore[list-item]
