"""The athlete's thresholds: their settings when set, otherwise estimates from their data.

Every value carries its source, so the UI can say "FTP 250 W (estimate: best 20-min power
263 W ×0.95 on 2024-05-01)" and invite the athlete to set it. Estimates from training data
are lower bounds: they are only as hard as the athlete's hardest recorded effort.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from fitcoach.coach import sports
from fitcoach.coach._samples import StreamValues, best_average, to_array
from fitcoach.coach.models import Activity, AthleteThresholds, Sex

SETTING = "setting"
DEFAULT_RESTING_HR = 60.0
# Coggan: FTP ≈ 95 % of the best 20-minute power. Friel: LTHR ≈ 95 % of the average
# heart rate of a 20-minute all-out effort.
TWENTY_MIN_FACTOR = 0.95
# Rule of thumb when only a maximum heart rate is known (LTHR is typically 85–92 % of it).
LTHR_FRACTION_OF_MAX = 0.88
# Riegel (1981): time grows with distance to the power 1.06, so the speed an athlete holds
# for t seconds falls as t^(−0.06/1.06); this converts a best effort to a one-hour speed.
RIEGEL_EXPONENT = 1.06
MIN_EFFORT_S = 20 * 60
MIN_SWIM_M = 400.0


@dataclass(frozen=True)
class ThresholdEstimate:
    """A threshold value (None if unknown) and where it came from, in words."""

    value: float | None
    source: str


@dataclass(frozen=True)
class ResolvedThresholds:
    """Every threshold with its source; ``as_thresholds`` gives the plain values for the maths."""

    ftp: ThresholdEstimate
    threshold_hr: ThresholdEstimate
    threshold_pace_s_per_km: ThresholdEstimate
    swim_threshold_pace_s_per_100m: ThresholdEstimate
    max_hr: ThresholdEstimate
    resting_hr: ThresholdEstimate
    sex: Sex
    weight_kg: float | None

    def as_thresholds(self) -> AthleteThresholds:
        """The values alone, as the load functions take them."""
        return AthleteThresholds(
            ftp=self.ftp.value,
            threshold_hr=self.threshold_hr.value,
            threshold_pace_s_per_km=self.threshold_pace_s_per_km.value,
            swim_threshold_pace_s_per_100m=self.swim_threshold_pace_s_per_100m.value,
            max_hr=self.max_hr.value,
            resting_hr=self.resting_hr.value,
            sex=self.sex,
            weight_kg=self.weight_kg,
        )


def resolve_thresholds(
    settings: AthleteThresholds,
    history: Sequence[Activity],
    *,
    today: date,
    lookback_days: int = 180,
) -> ResolvedThresholds:
    """Settings where set; otherwise estimates from ``history`` (the last ``lookback_days``
    for fitness-dependent values, all of it for maximum heart rate)."""
    since = today - timedelta(days=lookback_days)
    recent = [a for a in history if since <= a.start_date_local.date() <= today]
    max_hr = _setting(settings.max_hr) or _max_hr(history)
    resting = _setting(settings.resting_hr) or ThresholdEstimate(
        DEFAULT_RESTING_HR,
        f"default: {DEFAULT_RESTING_HR:.0f} bpm (a typical adult resting heart rate; "
        "set yours for a truer heart-rate load)",
    )
    return ResolvedThresholds(
        ftp=_setting(settings.ftp) or _ftp(recent),
        threshold_hr=_setting(settings.threshold_hr) or _threshold_hr(recent, max_hr),
        threshold_pace_s_per_km=_setting(settings.threshold_pace_s_per_km)
        or _threshold_pace(recent, sports.RUN, 1000.0, "km", MIN_EFFORT_S, 0.0),
        swim_threshold_pace_s_per_100m=_setting(settings.swim_threshold_pace_s_per_100m)
        or _threshold_pace(recent, sports.SWIM, 100.0, "100 m", 0.0, MIN_SWIM_M),
        max_hr=max_hr,
        resting_hr=resting,
        sex=settings.sex,
        weight_kg=settings.weight_kg,
    )


def _setting(value: float | None) -> ThresholdEstimate | None:
    return None if value is None else ThresholdEstimate(value, SETTING)


def _best(
    activities: Sequence[Activity], measure: Callable[[Activity], float | None]
) -> tuple[float, Activity] | None:
    scored = [(v, a) for a in activities if (v := measure(a)) is not None]
    return max(scored, key=lambda pair: pair[0]) if scored else None


def _stream_best(a: Activity, stream: str, seconds: float) -> float | None:
    if a.streams is None:
        return None
    values: StreamValues | None = getattr(a.streams, stream)
    if values is None:
        return None
    if not np.isfinite(to_array(values, "stream")).any():
        return None
    return best_average(values, seconds, "stream", time=a.streams.time)


def _day(a: Activity) -> str:
    return a.start_date_local.date().isoformat()


def _ftp(recent: Sequence[Activity]) -> ThresholdEstimate:
    rides = [a for a in recent if sports.sport_family(a.sport_type) == sports.RIDE]
    best = _best(rides, lambda a: _stream_best(a, "watts", MIN_EFFORT_S))
    if best is not None:
        watts, a = best
        return ThresholdEstimate(
            watts * TWENTY_MIN_FACTOR,
            f"estimate: best 20-min power {watts:.0f} W ×{TWENTY_MIN_FACTOR} on {_day(a)}",
        )

    def summary(a: Activity) -> float | None:
        wap = a.weighted_average_watts
        if not a.device_watts or wap is None or a.duration_s < MIN_EFFORT_S:
            return None
        return wap * (TWENTY_MIN_FACTOR if a.duration_s < 3600 else 1.0)

    best = _best(rides, summary)
    if best is not None:
        watts, a = best
        return ThresholdEstimate(
            watts,
            f"estimate: weighted average power {a.weighted_average_watts:.0f} W over "
            f"{a.duration_s / 60:.0f} min on {_day(a)}"
            f"{f' ×{TWENTY_MIN_FACTOR}' if a.duration_s < 3600 else ''} (a lower bound)",
        )
    return ThresholdEstimate(None, "unknown: set your FTP or record a ride with a power meter")


def _threshold_hr(recent: Sequence[Activity], max_hr: ThresholdEstimate) -> ThresholdEstimate:
    best = _best(recent, lambda a: _stream_best(a, "heartrate", MIN_EFFORT_S))
    if best is not None:
        hr, a = best
        return ThresholdEstimate(
            hr * TWENTY_MIN_FACTOR,
            f"estimate: best 20-min heart rate {hr:.0f} bpm ×{TWENTY_MIN_FACTOR} on {_day(a)}",
        )

    def summary(a: Activity) -> float | None:
        avg = a.average_heartrate
        if avg is None or a.duration_s < MIN_EFFORT_S:
            return None
        return avg * (TWENTY_MIN_FACTOR if a.duration_s < 3600 else 1.0)

    best = _best(recent, summary)
    if best is not None:
        hr, a = best
        return ThresholdEstimate(
            hr,
            f"estimate: average heart rate {a.average_heartrate:.0f} bpm over "
            f"{a.duration_s / 60:.0f} min on {_day(a)}"
            f"{f' ×{TWENTY_MIN_FACTOR}' if a.duration_s < 3600 else ''} (a lower bound)",
        )
    if max_hr.value is not None:
        return ThresholdEstimate(
            max_hr.value * LTHR_FRACTION_OF_MAX,
            f"estimate: {LTHR_FRACTION_OF_MAX} × maximum heart rate {max_hr.value:.0f} bpm "
            "(rule of thumb)",
        )
    return ThresholdEstimate(None, "unknown: set your threshold heart rate")


def _max_hr(history: Sequence[Activity]) -> ThresholdEstimate:
    def highest(a: Activity) -> float | None:
        # A 5-s mean rather than the single highest sample: one-sample spikes are sensor noise.
        stream = _stream_best(a, "heartrate", 5)
        values = [v for v in (a.max_heartrate, stream) if v is not None]
        return max(values) if values else None

    best = _best(history, highest)
    if best is None:
        return ThresholdEstimate(None, "unknown: set your maximum heart rate")
    hr, a = best
    return ThresholdEstimate(hr, f"estimate: highest recorded {hr:.0f} bpm on {_day(a)}")


def one_hour_speed(speed_m_s: float, seconds: float) -> float:
    """The speed a best effort of ``seconds`` at ``speed_m_s`` predicts for one hour (Riegel)."""
    return float(speed_m_s * (seconds / 3600.0) ** ((RIEGEL_EXPONENT - 1.0) / RIEGEL_EXPONENT))


def _threshold_pace(
    recent: Sequence[Activity],
    family: str,
    per_m: float,
    unit: str,
    min_s: float,
    min_m: float,
) -> ThresholdEstimate:
    efforts = [a for a in recent if sports.sport_family(a.sport_type) == family]

    def stream(a: Activity) -> float | None:
        v = _stream_best(a, "velocity_smooth", MIN_EFFORT_S)
        return None if v is None or v <= 0 else one_hour_speed(v, MIN_EFFORT_S)

    def summary(a: Activity) -> float | None:
        if a.distance <= 0 or a.distance < min_m or a.duration_s < max(min_s, 1.0):
            return None
        return one_hour_speed(a.distance / a.duration_s, a.duration_s)

    name = "run" if family == sports.RUN else "swim"
    best = _best(efforts, stream) if family == sports.RUN else None
    if best is not None:
        speed, a = best
        return ThresholdEstimate(
            per_m / speed,
            f"estimate: best 20-min {name} pace on {_day(a)}, Riegel-adjusted to one hour",
        )
    best = _best(efforts, summary)
    if best is not None:
        speed, a = best
        return ThresholdEstimate(
            per_m / speed,
            f"estimate: {a.distance / 1000:.2f} km in {a.duration_s / 60:.0f} min on "
            f"{_day(a)}, Riegel-adjusted to one hour (a lower bound)",
        )
    return ThresholdEstimate(None, f"unknown: set your threshold {name} pace per {unit}")
