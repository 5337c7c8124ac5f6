"""Power-based load: normalized power, intensity factor and training stress score (Coggan)."""

import numpy as np

from fitcoach.coach._checks import require_non_negative, require_positive
from fitcoach.coach._samples import (
    DEFAULT_MAX_GAP_S,
    FloatArray,
    StreamValues,
    regular_samples,
    rolling_mean,
)
from fitcoach.coach.errors import CoachError

NP_WINDOW_S = 30.0


def normalized_power(
    watts: StreamValues,
    sample_rate_hz: float = 1.0,
    *,
    time: StreamValues | None = None,
    max_gap_s: float = DEFAULT_MAX_GAP_S,
) -> float:
    """Coggan's normalized power: 30-s rolling mean, to the 4th power, mean, 4th root.

    Dropouts (None/NaN) are held from the last reading for up to ``max_gap_s``; longer gaps
    in ``time`` are pauses and count for nothing; zeros are coasting and count as 0 W;
    negative readings (some meters when back-pedalling) count as 0 W. A ride shorter than
    one window gives the mean of what there is. docs/metrics.md has the details.
    """
    return normalized_power_and_duration(watts, sample_rate_hz, time=time, max_gap_s=max_gap_s)[0]


def normalized_power_and_duration(
    watts: StreamValues,
    sample_rate_hz: float = 1.0,
    *,
    time: StreamValues | None = None,
    max_gap_s: float = DEFAULT_MAX_GAP_S,
) -> tuple[float, float]:
    """Normalized power and the seconds of riding it covers (pauses excluded)."""
    x = regular_samples(
        watts, "watts", time=time, sample_rate_hz=sample_rate_hz, max_gap_s=max_gap_s
    )
    if len(x) == 0:
        raise CoachError("watts has no readings: normalized power needs at least one")
    np_w = fourth_power_mean(np.maximum(x, 0.0), round(NP_WINDOW_S * sample_rate_hz))
    return np_w, len(x) / sample_rate_hz


def fourth_power_mean(x: FloatArray, window: int) -> float:
    """The NP arithmetic on a regular series: rolling mean, 4th power, mean, 4th root."""
    rolled = rolling_mean(x, window) if len(x) >= window else np.array([x.mean()])
    squared = rolled * rolled
    return float(np.mean(squared * squared) ** 0.25)


def intensity_factor(normalized_power: float, ftp: float) -> float:
    """IF = NP / FTP."""
    require_positive("ftp", ftp)
    require_non_negative("normalized_power", normalized_power)
    return normalized_power / ftp


def training_stress_score(duration_s: float, normalized_power: float, ftp: float) -> float:
    """TSS = duration_s × NP × IF / (FTP × 3600) × 100; one hour at FTP is 100."""
    require_non_negative("duration_s", duration_s)
    intensity = intensity_factor(normalized_power, ftp)
    return duration_s * normalized_power * intensity / (ftp * 3600.0) * 100.0
