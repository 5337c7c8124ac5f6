import math

import pytest
from coach_factories import THRESHOLDS, activity

from fitcoach.coach import (
    CoachError,
    Streams,
    activity_zone_times,
    heart_rate_zones,
    pace_zones,
    power_zones,
    time_in_zones,
)


def test_coggan_power_zones_for_ftp_250() -> None:
    zones = power_zones(250)
    assert [z.low for z in zones] == pytest.approx([0, 140, 190, 227.5, 265, 302.5, 377.5])
    assert zones[-1].high == math.inf
    assert zones[1].label == "Z2 Endurance 140–190 W"


def test_heart_rate_zones_by_sport_and_from_max() -> None:
    ride = heart_rate_zones(threshold_hr=170, sport_type="Ride")
    run = heart_rate_zones(threshold_hr=170, sport_type="Run")
    assert ride[1].low == pytest.approx(0.81 * 170)
    assert run[1].low == pytest.approx(0.85 * 170)
    from_max = heart_rate_zones(max_hr=200)
    assert [z.low for z in from_max] == pytest.approx([0, 120, 140, 160, 180])
    with pytest.raises(CoachError, match="threshold_hr or max_hr"):
        heart_rate_zones()


def test_pace_zones_bounds_are_speeds_and_labels_are_paces() -> None:
    zones = pace_zones(300)  # 5:00/km
    assert zones[-1].low == pytest.approx(1000 / 300)
    assert zones[-1].label == "Z5 Above threshold faster than 5:00/km"
    assert zones[0].label == "Z1 Recovery slower than 6:27/km"


def test_time_in_zones_adds_up_and_respects_bounds() -> None:
    zones = power_zones(200)
    # 10 s at 100 W (Z1), 10 s at exactly 112 W (the Z2 lower bound), 10 s at 400 W (Z7).
    result = time_in_zones([100.0] * 10 + [112.0] * 10 + [400.0] * 10, zones)
    seconds = [zt.seconds for zt in result]
    assert seconds == [10, 10, 0, 0, 0, 0, 10]


def test_time_in_zones_skips_pauses() -> None:
    time = list(range(10)) + list(range(100, 110))
    result = time_in_zones([150.0] * 20, heart_rate_zones(max_hr=200), time=time)
    assert sum(zt.seconds for zt in result) == 20


def test_activity_zone_times_per_stream() -> None:
    n = 600
    run = activity(
        "Run",
        n,
        streams=Streams(heartrate=[150.0] * n, velocity_smooth=[3.5] * n, watts=[250.0] * n),
    )
    result = activity_zone_times(run, THRESHOLDS)
    assert set(result) == {"power", "heart_rate", "pace"}
    assert all(sum(zt.seconds for zt in times) == n for times in result.values())
    assert activity_zone_times(activity("Run"), THRESHOLDS) == {}
