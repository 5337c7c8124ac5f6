"""Running load: grade-adjusted, normalized speed against threshold pace (rTSS)."""

import numpy as np

from fitcoach.coach._checks import require_non_negative, require_positive
from fitcoach.coach._samples import (
    DEFAULT_MAX_GAP_S,
    FloatArray,
    StreamValues,
    regular_samples,
    to_array,
)
from fitcoach.coach.errors import CoachError
from fitcoach.coach.power import NP_WINDOW_S, fourth_power_mean

# Minetti et al. (2002) measured the energy cost of running between −45 % and +45 %;
# beyond that the polynomial is an extrapolation, so grades are clamped to the range.
MAX_GRADE = 0.45
_MINETTI = np.array([155.4, -30.4, -43.3, 46.3, 19.5, 3.6])
FLAT_COST = 3.6
# Half-width, in samples, of the window over which altitude becomes a grade: one sample
# of GPS altitude is too noisy to give a slope on its own.
_GRADE_HALF_WINDOW = 5
# Below this horizontal distance the runner is standing and no slope can be measured.
_MIN_RUN_M = 5.0


def minetti_cost(grade: FloatArray) -> FloatArray:
    """Energy cost of running (J/kg/m) at each grade (a fraction, 0.1 = 10 %)."""
    clipped = np.clip(grade, -MAX_GRADE, MAX_GRADE)
    result: FloatArray = np.polyval(_MINETTI, clipped)
    return result


def grades_from_altitude(altitude: FloatArray, distance: FloatArray) -> FloatArray:
    """Slope (fraction) at each sample from altitude over the surrounding distance."""
    n = len(altitude)
    idx = np.arange(n)
    ahead = np.minimum(idx + _GRADE_HALF_WINDOW, n - 1)
    behind = np.maximum(idx - _GRADE_HALF_WINDOW, 0)
    run = distance[ahead] - distance[behind]
    rise = altitude[ahead] - altitude[behind]
    with np.errstate(divide="ignore", invalid="ignore"):
        grade = np.where(run >= _MIN_RUN_M, rise / run, 0.0)
    result: FloatArray = np.nan_to_num(grade, nan=0.0, posinf=0.0, neginf=0.0)
    return result


def normalized_graded_speed(
    velocity: StreamValues,
    *,
    grade_percent: StreamValues | None = None,
    altitude: StreamValues | None = None,
    distance: StreamValues | None = None,
    time: StreamValues | None = None,
    sample_rate_hz: float = 1.0,
    max_gap_s: float = DEFAULT_MAX_GAP_S,
) -> float:
    """Normalized graded speed (m/s): speed scaled by Minetti's cost of the slope, then NP's
    30-s rolling fourth-power mean. The slope comes from grade_smooth when given, otherwise
    from altitude over distance (the distance stream, or speed integrated over time);
    without either the speed is used as it is."""
    return normalized_graded_speed_and_duration(
        velocity,
        grade_percent=grade_percent,
        altitude=altitude,
        distance=distance,
        time=time,
        sample_rate_hz=sample_rate_hz,
        max_gap_s=max_gap_s,
    )[0]


def normalized_graded_speed_and_duration(
    velocity: StreamValues,
    *,
    grade_percent: StreamValues | None = None,
    altitude: StreamValues | None = None,
    distance: StreamValues | None = None,
    time: StreamValues | None = None,
    sample_rate_hz: float = 1.0,
    max_gap_s: float = DEFAULT_MAX_GAP_S,
) -> tuple[float, float]:
    """Normalized graded speed and the seconds of running it covers (pauses excluded)."""
    v = to_array(velocity, "velocity_smooth")
    if len(v) == 0:
        raise CoachError("velocity_smooth is empty: running load needs at least one reading")
    grade = _grade(v, grade_percent, altitude, distance, time, sample_rate_hz)
    adjusted = v if grade is None else v * minetti_cost(grade) / FLAT_COST
    x = regular_samples(
        adjusted, "velocity_smooth", time=time, sample_rate_hz=sample_rate_hz, max_gap_s=max_gap_s
    )
    if len(x) == 0:
        raise CoachError("velocity_smooth has no readings: running load needs at least one")
    ngs = fourth_power_mean(np.maximum(x, 0.0), round(NP_WINDOW_S * sample_rate_hz))
    return ngs, len(x) / sample_rate_hz


def _grade(
    v: FloatArray,
    grade_percent: StreamValues | None,
    altitude: StreamValues | None,
    distance: StreamValues | None,
    time: StreamValues | None,
    sample_rate_hz: float,
) -> FloatArray | None:
    if grade_percent is not None:
        g = _same_length(to_array(grade_percent, "grade_smooth"), v, "grade_smooth")
        return np.nan_to_num(g / 100.0, nan=0.0)
    if altitude is None:
        return None
    alt = _same_length(to_array(altitude, "altitude"), v, "altitude")
    if distance is not None:
        dist = _same_length(to_array(distance, "distance"), v, "distance")
    else:
        t = (
            np.arange(len(v)) / sample_rate_hz
            if time is None
            else _same_length(to_array(time, "time"), v, "time")
        )
        steps = np.diff(t, prepend=t[0]) * np.nan_to_num(v, nan=0.0)
        dist = np.cumsum(steps)
    return grades_from_altitude(alt, dist)


def _same_length(x: FloatArray, v: FloatArray, name: str) -> FloatArray:
    if len(x) != len(v):
        raise CoachError(f"{name} has {len(x)} samples but velocity_smooth has {len(v)}")
    return x


def threshold_speed(threshold_pace_s_per_km: float) -> float:
    """Threshold pace (s/km) as a speed (m/s)."""
    require_positive("threshold_pace_s_per_km", threshold_pace_s_per_km)
    return 1000.0 / threshold_pace_s_per_km


def running_tss(duration_s: float, speed_m_s: float, threshold_pace_s_per_km: float) -> float:
    """rTSS = hours × IF² × 100 with IF = speed / threshold speed (speed: normalized graded
    speed from a stream, or the average speed from a summary)."""
    require_non_negative("duration_s", duration_s)
    require_non_negative("speed_m_s", speed_m_s)
    intensity = speed_m_s / threshold_speed(threshold_pace_s_per_km)
    return duration_s / 3600.0 * intensity * intensity * 100.0
