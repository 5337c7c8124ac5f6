"""Swim load: sTSS, with the intensity cubed because drag rises steeply with speed."""

from fitcoach.coach._checks import require_non_negative, require_positive


def swim_tss(duration_s: float, distance_m: float, threshold_pace_s_per_100m: float) -> float:
    """sTSS = hours × IF³ × 100, IF = normalized swim speed / threshold swim speed, where the
    normalized swim speed is distance over moving time (TrainingPeaks' definition)."""
    require_non_negative("duration_s", duration_s)
    require_non_negative("distance_m", distance_m)
    require_positive("threshold_pace_s_per_100m", threshold_pace_s_per_100m)
    if duration_s == 0:
        return 0.0
    speed = distance_m / duration_s
    intensity = speed / (100.0 / threshold_pace_s_per_100m)
    return duration_s / 3600.0 * intensity**3 * 100.0
