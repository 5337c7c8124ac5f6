"""Heart-rate load: Banister's TRIMP and a TSS-scaled form of it (hrTSS)."""

import math

import numpy as np

from fitcoach.coach._checks import require_non_negative, require_positive
from fitcoach.coach._samples import (
    DEFAULT_MAX_GAP_S,
    FloatArray,
    StreamValues,
    samples_with_durations,
)
from fitcoach.coach.errors import CoachError
from fitcoach.coach.models import Sex

# Banister (1991): weighting y = a·e^(b·x) of the heart-rate reserve fraction x, fitted to
# the blood-lactate curve of men and of women. Unknown sex takes the men's pair, the one
# Banister first published; docs/metrics.md says so next to every hrTSS.
TRIMP_COEFFICIENTS: dict[Sex, tuple[float, float]] = {
    Sex.MALE: (0.64, 1.92),
    Sex.FEMALE: (0.86, 1.67),
    Sex.UNKNOWN: (0.64, 1.92),
}


def heart_rate_reserve_fraction(heart_rate: float, resting_hr: float, max_hr: float) -> float:
    """x = (HR − resting) / (max − resting), clamped to [0, 1]."""
    _check_range(resting_hr, max_hr)
    return min(1.0, max(0.0, (heart_rate - resting_hr) / (max_hr - resting_hr)))


def banister_trimp(
    duration_s: float, heart_rate: float, resting_hr: float, max_hr: float, sex: Sex
) -> float:
    """Banister TRIMP for a steady heart rate: minutes × x × a·e^(b·x)."""
    require_non_negative("duration_s", duration_s)
    require_positive("heart_rate", heart_rate)
    x = heart_rate_reserve_fraction(heart_rate, resting_hr, max_hr)
    a, b = TRIMP_COEFFICIENTS[sex]
    return duration_s / 60.0 * x * a * math.exp(b * x)


def banister_trimp_stream(
    heartrate: StreamValues,
    resting_hr: float,
    max_hr: float,
    sex: Sex,
    *,
    time: StreamValues | None = None,
    sample_rate_hz: float = 1.0,
    max_gap_s: float = DEFAULT_MAX_GAP_S,
) -> float:
    """Banister TRIMP summed sample by sample; gaps and pauses as in normalized_power."""
    return trimp_stream_details(
        heartrate,
        resting_hr,
        max_hr,
        sex,
        time=time,
        sample_rate_hz=sample_rate_hz,
        max_gap_s=max_gap_s,
    )[0]


def trimp_stream_details(
    heartrate: StreamValues,
    resting_hr: float,
    max_hr: float,
    sex: Sex,
    *,
    time: StreamValues | None = None,
    sample_rate_hz: float = 1.0,
    max_gap_s: float = DEFAULT_MAX_GAP_S,
) -> tuple[float, float, float]:
    """TRIMP, time-weighted mean heart rate and seconds covered, from a heart-rate stream."""
    _check_range(resting_hr, max_hr)
    hr, seconds = samples_with_durations(
        heartrate, "heartrate", time=time, sample_rate_hz=sample_rate_hz, max_gap_s=max_gap_s
    )
    total = float(seconds.sum())
    if len(hr) == 0 or total <= 0:
        raise CoachError("heartrate has no readings: TRIMP needs at least one")
    x = np.clip((hr - resting_hr) / (max_hr - resting_hr), 0.0, 1.0)
    a, b = TRIMP_COEFFICIENTS[sex]
    weights: FloatArray = x * a * np.exp(b * x)
    trimp = float(np.dot(seconds, weights) / 60.0)
    return trimp, float(np.dot(seconds, hr) / total), total


def heart_rate_tss(
    trimp: float, threshold_hr: float, resting_hr: float, max_hr: float, sex: Sex
) -> float:
    """hrTSS: TRIMP as a percentage of the TRIMP of one hour at threshold heart rate.

    This is Skiba's scaling (HRSS): one hour at threshold HR is 100, like power TSS.
    """
    require_non_negative("trimp", trimp)
    require_positive("threshold_hr", threshold_hr)
    if threshold_hr <= resting_hr:
        raise CoachError(
            f"threshold_hr ({threshold_hr:g}) must be above resting_hr ({resting_hr:g})"
        )
    hour_at_threshold = banister_trimp(3600.0, threshold_hr, resting_hr, max_hr, sex)
    return trimp / hour_at_threshold * 100.0


def _check_range(resting_hr: float, max_hr: float) -> None:
    require_positive("resting_hr", resting_hr)
    require_positive("max_hr", max_hr)
    if resting_hr >= max_hr:
        raise CoachError(f"resting_hr ({resting_hr:g}) must be below max_hr ({max_hr:g})")
