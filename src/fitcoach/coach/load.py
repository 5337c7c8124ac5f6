"""Per-activity load: picks the best method the data allows and says which one it used.

Order of preference (docs/metrics.md, "Which method"): a stream beats a summary, a direct
measure of work (power, pace) beats heart rate, and the duration alone is the last resort.
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from fitcoach.coach import sports
from fitcoach.coach._samples import StreamValues, to_array
from fitcoach.coach.heart_rate import banister_trimp, heart_rate_tss, trimp_stream_details
from fitcoach.coach.models import Activity, AthleteThresholds
from fitcoach.coach.power import normalized_power_and_duration, training_stress_score
from fitcoach.coach.running import (
    normalized_graded_speed_and_duration,
    running_tss,
    threshold_speed,
)
from fitcoach.coach.swim import swim_tss


class LoadMethod(StrEnum):
    """How a load was computed, for the UI to show beside the number."""

    POWER_STREAM = "power_stream"
    WEIGHTED_AVERAGE_POWER = "weighted_average_power"
    HEART_RATE_STREAM = "heart_rate_stream"
    AVERAGE_HEART_RATE = "average_heart_rate"
    PACE_STREAM = "pace_stream"
    AVERAGE_PACE = "average_pace"
    SWIM_PACE = "swim_pace"
    DURATION_ESTIMATE = "duration_estimate"
    NONE = "none"


@dataclass(frozen=True)
class ActivityLoad:
    """A load on the TSS scale (one hour at threshold = 100) and how it was obtained."""

    load: float
    method: LoadMethod
    intensity_factor: float | None
    explanation: str


_Method = Callable[[Activity, AthleteThresholds], ActivityLoad | None]


def activity_load(activity: Activity, thresholds: AthleteThresholds) -> ActivityLoad:
    """The load of one activity by the first method its data and the thresholds allow."""
    if activity.duration_s <= 0:
        return ActivityLoad(0.0, LoadMethod.NONE, None, "no duration recorded: no load")
    for method in _METHODS[sports.sport_family(activity.sport_type)]:
        result = method(activity, thresholds)
        if result is not None:
            return result
    return _duration_estimate(activity)


def _has_readings(values: StreamValues) -> bool:
    return bool(np.isfinite(to_array(values, "stream")).any())


def _power_stream(activity: Activity, th: AthleteThresholds) -> ActivityLoad | None:
    streams = activity.streams
    watts = streams.watts if streams else None
    if th.ftp is None or streams is None or watts is None or not _has_readings(watts):
        return None
    np_w, seconds = normalized_power_and_duration(watts, time=streams.time)
    tss = training_stress_score(seconds, np_w, th.ftp)
    intensity = np_w / th.ftp
    return ActivityLoad(
        tss,
        LoadMethod.POWER_STREAM,
        intensity,
        f"power TSS from the power stream: NP {np_w:.0f} W, IF {intensity:.2f} "
        f"over {_clock(seconds)} (FTP {th.ftp:.0f} W)",
    )


def _weighted_average_power(activity: Activity, th: AthleteThresholds) -> ActivityLoad | None:
    # Strava's weighted average power is its NP over moving time; it is only a measurement
    # when a power meter recorded it (device_watts), otherwise it is Strava's guess.
    wap = activity.weighted_average_watts
    if th.ftp is None or not activity.device_watts or wap is None or wap <= 0:
        return None
    tss = training_stress_score(activity.duration_s, wap, th.ftp)
    intensity = wap / th.ftp
    return ActivityLoad(
        tss,
        LoadMethod.WEIGHTED_AVERAGE_POWER,
        intensity,
        f"power TSS from Strava's weighted average power {wap:.0f} W, IF {intensity:.2f} "
        f"over {_clock(activity.duration_s)} (FTP {th.ftp:.0f} W)",
    )


def _hr_ready(th: AthleteThresholds) -> tuple[float, float, float] | None:
    if th.threshold_hr is None or th.resting_hr is None or th.max_hr is None:
        return None
    return th.threshold_hr, th.resting_hr, th.max_hr


def _heart_rate_stream(activity: Activity, th: AthleteThresholds) -> ActivityLoad | None:
    streams = activity.streams
    heartrate = streams.heartrate if streams else None
    hr = _hr_ready(th)
    if hr is None or streams is None or heartrate is None or not _has_readings(heartrate):
        return None
    lthr, rest, hrmax = hr
    trimp, mean_hr, seconds = trimp_stream_details(
        heartrate, rest, hrmax, th.sex, time=streams.time
    )
    tss = heart_rate_tss(trimp, lthr, rest, hrmax, th.sex)
    return ActivityLoad(
        tss,
        LoadMethod.HEART_RATE_STREAM,
        mean_hr / lthr,
        f"heart-rate TSS from the heart-rate stream: TRIMP {trimp:.0f}, mean {mean_hr:.0f} bpm "
        f"over {_clock(seconds)} (threshold {lthr:.0f}, rest {rest:.0f}, max {hrmax:.0f} bpm)",
    )


def _average_heart_rate(activity: Activity, th: AthleteThresholds) -> ActivityLoad | None:
    hr = _hr_ready(th)
    avg = activity.average_heartrate
    if hr is None or avg is None:
        return None
    lthr, rest, hrmax = hr
    trimp = banister_trimp(activity.duration_s, avg, rest, hrmax, th.sex)
    tss = heart_rate_tss(trimp, lthr, rest, hrmax, th.sex)
    return ActivityLoad(
        tss,
        LoadMethod.AVERAGE_HEART_RATE,
        avg / lthr,
        f"heart-rate TSS from the average heart rate {avg:.0f} bpm over "
        f"{_clock(activity.duration_s)} (threshold {lthr:.0f}, rest {rest:.0f}, "
        f"max {hrmax:.0f} bpm); lower than a stream would give",
    )


def _pace_stream(activity: Activity, th: AthleteThresholds) -> ActivityLoad | None:
    streams = activity.streams
    velocity = streams.velocity_smooth if streams else None
    pace = th.threshold_pace_s_per_km
    if pace is None or streams is None or velocity is None or not _has_readings(velocity):
        return None
    ngs, seconds = normalized_graded_speed_and_duration(
        velocity,
        grade_percent=streams.grade_smooth,
        altitude=streams.altitude,
        distance=streams.distance,
        time=streams.time,
    )
    graded = streams.grade_smooth is not None or streams.altitude is not None
    intensity = ngs / threshold_speed(pace)
    return ActivityLoad(
        running_tss(seconds, ngs, pace),
        LoadMethod.PACE_STREAM,
        intensity,
        f"running TSS from the pace stream{' (grade-adjusted)' if graded else ''}: "
        f"normalized pace {_pace(1000 / ngs if ngs > 0 else 0)}/km, IF {intensity:.2f} over "
        f"{_clock(seconds)} (threshold {_pace(pace)}/km)",
    )


def _average_pace(activity: Activity, th: AthleteThresholds) -> ActivityLoad | None:
    pace = th.threshold_pace_s_per_km
    if pace is None or activity.distance <= 0:
        return None
    speed = activity.distance / activity.duration_s
    intensity = speed / threshold_speed(pace)
    return ActivityLoad(
        running_tss(activity.duration_s, speed, pace),
        LoadMethod.AVERAGE_PACE,
        intensity,
        f"running TSS from the average pace {_pace(1000 / speed)}/km, IF {intensity:.2f} over "
        f"{_clock(activity.duration_s)} (threshold {_pace(pace)}/km; no grade adjustment)",
    )


def _swim_pace(activity: Activity, th: AthleteThresholds) -> ActivityLoad | None:
    pace = th.swim_threshold_pace_s_per_100m
    if pace is None or activity.distance <= 0:
        return None
    tss = swim_tss(activity.duration_s, activity.distance, pace)
    intensity = (activity.distance / activity.duration_s) / (100.0 / pace)
    return ActivityLoad(
        tss,
        LoadMethod.SWIM_PACE,
        intensity,
        f"swim TSS from the average pace {_pace(100 * activity.duration_s / activity.distance)}"
        f"/100 m, IF {intensity:.2f} (cubed) over {_clock(activity.duration_s)} "
        f"(threshold {_pace(pace)}/100 m)",
    )


def _duration_estimate(activity: Activity) -> ActivityLoad:
    intensity = sports.assumed_intensity(activity.sport_type)
    tss = activity.duration_s / 3600.0 * intensity * intensity * 100.0
    return ActivityLoad(
        tss,
        LoadMethod.DURATION_ESTIMATE,
        intensity,
        f"estimated from {_clock(activity.duration_s)} of {activity.sport_type} at an assumed "
        f"IF {intensity:.2f}: no power, heart rate or pace to measure it with",
    )


_METHODS: dict[str, tuple[_Method, ...]] = {
    sports.RIDE: (_power_stream, _weighted_average_power, _heart_rate_stream, _average_heart_rate),
    sports.RUN: (_pace_stream, _heart_rate_stream, _average_pace, _average_heart_rate),
    sports.SWIM: (_swim_pace, _heart_rate_stream, _average_heart_rate),
    sports.WALK: (_heart_rate_stream, _average_heart_rate),
    sports.STRENGTH: (_heart_rate_stream, _average_heart_rate),
    sports.OTHER: (_heart_rate_stream, _average_heart_rate),
}


def _clock(seconds: float) -> str:
    total = round(seconds)
    return f"{total // 3600}:{total % 3600 // 60:02d}:{total % 60:02d}"


def _pace(seconds: float) -> str:
    total = round(seconds)
    return f"{total // 60}:{total % 60:02d}"
