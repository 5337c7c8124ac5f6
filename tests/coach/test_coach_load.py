"""Which method computes each kind of activity's load, and what it gives."""

import pytest
from coach_factories import DETERMINISTIC, THRESHOLDS, activity
from hypothesis import given
from hypothesis import strategies as st

from fitcoach.coach import (
    Activity,
    AthleteThresholds,
    CoachError,
    LoadMethod,
    Streams,
    activity_load,
)


def method(a: Activity, thresholds: AthleteThresholds = THRESHOLDS) -> LoadMethod:
    return activity_load(a, thresholds).method


def test_ride_with_a_power_stream_uses_the_stream() -> None:
    ride = activity(
        "Ride",
        streams=Streams(watts=[200.0] * 3600, heartrate=[150.0] * 3600),
        weighted_average_watts=180.0,
        device_watts=True,
    )
    load = activity_load(ride, THRESHOLDS)
    assert load.method is LoadMethod.POWER_STREAM
    assert load.load == pytest.approx((200 / 250) ** 2 * 100)
    assert "NP 200 W" in load.explanation


def test_ride_with_only_weighted_average_watts_uses_it() -> None:
    ride = activity("VirtualRide", 5400, weighted_average_watts=225.0, device_watts=True)
    load = activity_load(ride, THRESHOLDS)
    assert load.method is LoadMethod.WEIGHTED_AVERAGE_POWER
    # 1.5 h × (225/250)² × 100 = 1.5 × 0.81 × 100
    assert load.load == pytest.approx(121.5)
    assert load.intensity_factor == pytest.approx(0.9)


def test_ride_with_strava_estimated_power_ignores_it() -> None:
    estimated = dict(average_watts=180.0, weighted_average_watts=190.0, device_watts=False)
    with_hr = activity("Ride", average_heartrate=150.0, has_heartrate=True, **estimated)
    assert method(with_hr) is LoadMethod.AVERAGE_HEART_RATE
    assert method(activity("Ride", **estimated)) is LoadMethod.DURATION_ESTIMATE


def test_ride_with_power_but_no_ftp_falls_back_to_heart_rate() -> None:
    ride = activity(
        "Ride", streams=Streams(watts=[200.0] * 600, heartrate=[150.0] * 600), device_watts=True
    )
    no_ftp = AthleteThresholds(threshold_hr=170, max_hr=190, resting_hr=50)
    assert method(ride, no_ftp) is LoadMethod.HEART_RATE_STREAM


def test_run_with_a_pace_stream_uses_it() -> None:
    speed = 1000 / 270
    run = activity(
        "Run",
        streams=Streams(velocity_smooth=[speed] * 3600, heartrate=[160.0] * 3600),
        distance=speed * 3600,
        average_heartrate=160.0,
    )
    load = activity_load(run, THRESHOLDS)
    assert load.method is LoadMethod.PACE_STREAM
    assert load.load == pytest.approx(100.0)


def test_run_with_only_a_distance_uses_the_average_pace() -> None:
    run = activity("Run", 3000, distance=10000.0)
    load = activity_load(run, THRESHOLDS)
    assert load.method is LoadMethod.AVERAGE_PACE
    # 10 km in 50 min = 3.333 m/s; threshold 1000/270 = 3.7037 m/s; IF 0.9
    assert load.load == pytest.approx(3000 / 3600 * 0.9**2 * 100)


def test_run_with_only_heart_rate() -> None:
    treadmill = activity("Run", 2400, average_heartrate=155.0, has_heartrate=True, trainer=True)
    assert method(treadmill) is LoadMethod.AVERAGE_HEART_RATE
    with_stream = activity("TrailRun", 600, streams=Streams(heartrate=[155.0] * 600))
    assert method(with_stream) is LoadMethod.HEART_RATE_STREAM


def test_swim_uses_the_swim_pace() -> None:
    swim = activity("Swim", 3600, distance=3600.0, average_heartrate=140.0)
    load = activity_load(swim, THRESHOLDS)
    assert load.method is LoadMethod.SWIM_PACE
    assert load.load == pytest.approx(100.0)


def test_swim_without_a_distance_falls_back() -> None:
    assert method(activity("Swim", 1800)) is LoadMethod.DURATION_ESTIMATE


def test_manual_entry_with_no_data_is_estimated_from_its_duration() -> None:
    manual = Activity(
        sport_type="Ride",
        start_date_local=activity().start_date_local,
        moving_time=0,
        elapsed_time=3600,
        manual=True,
    )
    load = activity_load(manual, THRESHOLDS)
    assert load.method is LoadMethod.DURATION_ESTIMATE
    assert load.load == pytest.approx(0.70**2 * 100)


@pytest.mark.parametrize(
    ("sport", "expected"), [("Yoga", 0.45**2 * 100), ("Kitesurf", 0.60**2 * 100)]
)
def test_other_sports_get_a_duration_estimate(sport: str, expected: float) -> None:
    load = activity_load(activity(sport, 3600), THRESHOLDS)
    assert load.method is LoadMethod.DURATION_ESTIMATE
    assert load.load == pytest.approx(expected)
    assert sport in load.explanation


def test_other_sport_with_heart_rate_uses_it() -> None:
    assert method(activity("Rowing", average_heartrate=150.0)) is LoadMethod.AVERAGE_HEART_RATE


def test_an_activity_without_duration_has_no_load() -> None:
    empty = activity("Ride", 0)
    load = activity_load(empty, THRESHOLDS)
    assert (load.method, load.load) == (LoadMethod.NONE, 0.0)


def test_a_stream_of_dropouts_falls_through_to_the_next_method() -> None:
    ride = activity(
        "Ride", streams=Streams(watts=[None] * 60), weighted_average_watts=200, device_watts=True
    )
    assert method(ride) is LoadMethod.WEIGHTED_AVERAGE_POWER


def test_heart_rate_methods_need_resting_and_maximum() -> None:
    partial = AthleteThresholds(threshold_hr=170)
    assert method(activity("Run", average_heartrate=150.0), partial) is (
        LoadMethod.DURATION_ESTIMATE
    )


@DETERMINISTIC
@given(st.floats(min_value=60, max_value=20000), st.floats(min_value=0.1, max_value=5))
def test_duration_estimate_scales_with_duration(seconds: float, k: float) -> None:
    one = activity_load(activity("Yoga", seconds), THRESHOLDS).load
    assert activity_load(activity("Yoga", k * seconds), THRESHOLDS).load == pytest.approx(k * one)


@DETERMINISTIC
@given(st.floats(min_value=0, max_value=600), st.integers(min_value=30, max_value=3600))
def test_power_stream_load_is_hours_times_if_squared(watts: float, seconds: int) -> None:
    ride = activity("Ride", seconds, streams=Streams(watts=[watts] * seconds))
    load = activity_load(ride, THRESHOLDS).load
    assert load == pytest.approx(seconds / 3600 * (watts / 250) ** 2 * 100, abs=1e-9)


def test_bad_activity_input_is_a_coach_error() -> None:
    with pytest.raises(CoachError, match="same length"):
        Streams(watts=[1.0, 2.0], heartrate=[1.0])
    with pytest.raises(CoachError, match="moving_time"):
        activity("Ride", -5)
    with pytest.raises(CoachError, match="ftp"):
        AthleteThresholds(ftp=-250)
    with pytest.raises(CoachError, match="resting_hr"):
        AthleteThresholds(resting_hr=190, max_hr=180)
    with pytest.raises(CoachError, match="average_heartrate"):
        activity("Run", average_heartrate=0.0)
