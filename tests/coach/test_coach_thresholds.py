from datetime import timedelta

import pytest
from coach_factories import DAY0, activity

from fitcoach.coach import AthleteThresholds, Sex, Streams, resolve_thresholds
from fitcoach.coach.thresholds import one_hour_speed

TODAY = DAY0 + timedelta(days=30)


def test_settings_win_and_say_so() -> None:
    settings = AthleteThresholds(ftp=280, threshold_hr=168, max_hr=191, resting_hr=45)
    ride = activity("Ride", streams=Streams(watts=[400.0] * 1800))
    resolved = resolve_thresholds(settings, [ride], today=TODAY)
    assert (resolved.ftp.value, resolved.ftp.source) == (280, "setting")
    assert resolved.max_hr.source == "setting"


def test_ftp_from_best_20_minutes_of_power() -> None:
    # 10 min at 200 W, 20 min at 300 W, 10 min at 200 W: best 20 min = 300 W → FTP 285 W.
    watts = [200.0] * 600 + [300.0] * 1200 + [200.0] * 600
    rides = [
        activity("Ride", day=DAY0 + timedelta(days=3), streams=Streams(watts=watts)),
        activity("Ride", day=DAY0 + timedelta(days=5), streams=Streams(watts=[250.0] * 1500)),
    ]
    ftp = resolve_thresholds(AthleteThresholds(), rides, today=TODAY).ftp
    assert ftp.value == pytest.approx(285.0)
    assert ftp.source == "estimate: best 20-min power 300 W ×0.95 on 2024-01-04"


def test_ftp_from_weighted_average_power_when_there_are_no_streams() -> None:
    rides = [
        activity("Ride", 2700, weighted_average_watts=260.0, device_watts=True),
        activity("Ride", 7200, weighted_average_watts=240.0, device_watts=True),
        activity("Ride", 3600, weighted_average_watts=300.0, device_watts=False),
    ]
    ftp = resolve_thresholds(AthleteThresholds(), rides, today=TODAY).ftp
    # 45 min at 260 W × 0.95 = 247 W beats 2 h at 240 W; the estimated 300 W is ignored.
    assert ftp.value == pytest.approx(247.0)
    assert "weighted average power 260 W over 45 min" in ftp.source


def test_old_efforts_fall_outside_the_lookback() -> None:
    old = activity("Ride", streams=Streams(watts=[300.0] * 1800), day=DAY0 - timedelta(400))
    ftp = resolve_thresholds(AthleteThresholds(), [old], today=TODAY).ftp
    assert ftp.value is None
    assert ftp.source.startswith("unknown")


def test_heart_rate_estimates() -> None:
    hr = [140.0] * 300 + [180.0] * 1200 + [140.0] * 300
    run = activity("Run", 1800, streams=Streams(heartrate=hr), max_heartrate=186.0)
    resolved = resolve_thresholds(AthleteThresholds(), [run], today=TODAY)
    assert resolved.threshold_hr.value == pytest.approx(171.0)
    assert resolved.max_hr.value == pytest.approx(186.0)
    assert resolved.max_hr.source == "estimate: highest recorded 186 bpm on 2024-01-01"
    assert resolved.resting_hr.value == 60.0
    assert resolved.resting_hr.source.startswith("default")


def test_threshold_hr_from_max_hr_alone() -> None:
    resolved = resolve_thresholds(AthleteThresholds(max_hr=200), [], today=TODAY)
    assert resolved.threshold_hr.value == pytest.approx(176.0)
    assert "rule of thumb" in resolved.threshold_hr.source


def test_threshold_pace_from_a_run_summary_uses_riegel() -> None:
    # 10 km in 40 min (4.1667 m/s); one hour: × (2400/3600)^(0.06/1.06) = × 0.97731
    run = activity("Run", 2400, distance=10000.0)
    pace = resolve_thresholds(AthleteThresholds(), [run], today=TODAY).threshold_pace_s_per_km
    assert pace.value == pytest.approx(1000 / (10000 / 2400 * 0.97731), rel=1e-4)
    assert one_hour_speed(5.0, 3600) == 5.0


def test_swim_threshold_pace_from_a_swim() -> None:
    swim = activity("Swim", 3600, distance=3600.0)
    resolved = resolve_thresholds(AthleteThresholds(), [swim], today=TODAY)
    assert resolved.swim_threshold_pace_s_per_100m.value == pytest.approx(100.0)


def test_as_thresholds_carries_values_sex_and_weight() -> None:
    settings = AthleteThresholds(ftp=250, sex=Sex.FEMALE, weight_kg=60)
    plain = resolve_thresholds(settings, [], today=TODAY).as_thresholds()
    assert (plain.ftp, plain.sex, plain.weight_kg, plain.resting_hr) == (
        250,
        Sex.FEMALE,
        60,
        60.0,
    )
