"""The thresholds in use, as the settings page lists them: value, unit and source."""

from __future__ import annotations

from dataclasses import dataclass

from fitcoach.coach import ResolvedThresholds
from fitcoach.coach.thresholds import SETTING


@dataclass(frozen=True)
class ThresholdLine:
    key: str
    label: str
    value: str
    source: str
    is_setting: bool


def threshold_lines(resolved: ResolvedThresholds) -> tuple[ThresholdLine, ...]:
    """Each threshold formatted with its unit and where the value came from."""

    def pace(seconds: float | None, unit: str) -> str:
        if seconds is None:
            return "unknown"
        whole = round(seconds)
        return f"{whole // 60}:{whole % 60:02d} {unit}"

    def number(value: float | None, unit: str) -> str:
        return "unknown" if value is None else f"{value:.0f} {unit}"

    items = (
        ("ftp", "FTP", number(resolved.ftp.value, "W"), resolved.ftp.source),
        (
            "threshold_hr",
            "Threshold heart rate",
            number(resolved.threshold_hr.value, "bpm"),
            resolved.threshold_hr.source,
        ),
        (
            "threshold_pace",
            "Threshold run pace",
            pace(resolved.threshold_pace_s_per_km.value, "/km"),
            resolved.threshold_pace_s_per_km.source,
        ),
        (
            "swim_pace",
            "Threshold swim pace",
            pace(resolved.swim_threshold_pace_s_per_100m.value, "/100 m"),
            resolved.swim_threshold_pace_s_per_100m.source,
        ),
        (
            "max_hr",
            "Maximum heart rate",
            number(resolved.max_hr.value, "bpm"),
            resolved.max_hr.source,
        ),
        (
            "resting_hr",
            "Resting heart rate",
            number(resolved.resting_hr.value, "bpm"),
            resolved.resting_hr.source,
        ),
    )
    return tuple(ThresholdLine(k, label, v, s, s == SETTING) for k, label, v, s in items)
