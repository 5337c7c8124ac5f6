"""Training zones (power, heart rate, pace) and the time an activity spent in each.

A zone runs from its published lower bound (inclusive) to the next zone's lower bound.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from fitcoach.coach import sports
from fitcoach.coach._checks import require_positive
from fitcoach.coach._samples import DEFAULT_MAX_GAP_S, StreamValues, samples_with_durations
from fitcoach.coach.errors import CoachError
from fitcoach.coach.models import Activity, AthleteThresholds

# (name, lower bound as a fraction of the reference); the first zone starts at zero.
_Table = tuple[tuple[str, float], ...]

# Coggan's power levels, % of FTP (Allen & Coggan, Training and Racing with a Power Meter).
COGGAN_POWER: _Table = (
    ("Active Recovery", 0.0),
    ("Endurance", 0.56),
    ("Tempo", 0.76),
    ("Lactate Threshold", 0.91),
    ("VO2max", 1.06),
    ("Anaerobic Capacity", 1.21),
    ("Neuromuscular Power", 1.51),
)
# Friel's heart-rate zones, % of lactate-threshold HR; 5a–5c merged into one zone 5.
FRIEL_HR_CYCLING: _Table = (
    ("Recovery", 0.0),
    ("Aerobic", 0.81),
    ("Tempo", 0.90),
    ("Subthreshold", 0.94),
    ("Threshold and above", 1.00),
)
FRIEL_HR_RUNNING: _Table = (
    ("Recovery", 0.0),
    ("Aerobic", 0.85),
    ("Tempo", 0.90),
    ("Subthreshold", 0.95),
    ("Threshold and above", 1.00),
)
# The common five zones of maximum heart rate (50–60 %, …, 90–100 %); zone 1 takes all below.
MAX_HR: _Table = (
    ("Very light", 0.0),
    ("Light", 0.60),
    ("Moderate", 0.70),
    ("Hard", 0.80),
    ("Maximum", 0.90),
)
# Friel's run pace zones as % of threshold pace (slower than 129 %, 114–129 %, 106–113 %,
# 99–105 %, faster), expressed as fractions of threshold *speed* so bounds increase.
FRIEL_PACE: _Table = (
    ("Recovery", 0.0),
    ("Endurance", 1 / 1.29),
    ("Tempo", 1 / 1.13),
    ("Threshold", 1 / 1.05),
    ("Above threshold", 1.00),
)


@dataclass(frozen=True)
class Zone:
    """Zone ``number`` (1-based) from ``low`` (inclusive) to ``high``, in W, bpm or m/s."""

    number: int
    name: str
    low: float
    high: float
    label: str


@dataclass(frozen=True)
class ZoneTime:
    """Seconds an activity spent in one zone."""

    zone: Zone
    seconds: float


def power_zones(ftp: float) -> tuple[Zone, ...]:
    """Coggan's seven power zones for an FTP in watts."""
    require_positive("ftp", ftp)
    return _zones(COGGAN_POWER, ftp, _whole, " W")


def heart_rate_zones(
    threshold_hr: float | None = None, max_hr: float | None = None, sport_type: str = "Ride"
) -> tuple[Zone, ...]:
    """Friel's five zones from threshold HR (running or cycling table by sport), or else the
    five zones of maximum HR."""
    require_positive("threshold_hr", threshold_hr)
    require_positive("max_hr", max_hr)
    if threshold_hr is not None:
        is_run = sports.sport_family(sport_type) == sports.RUN
        table = FRIEL_HR_RUNNING if is_run else FRIEL_HR_CYCLING
        return _zones(table, threshold_hr, _whole, " bpm")
    if max_hr is not None:
        return _zones(MAX_HR, max_hr, _whole, " bpm")
    raise CoachError("heart-rate zones need threshold_hr or max_hr")


def pace_zones(threshold_pace_s_per_km: float) -> tuple[Zone, ...]:
    """Friel's run pace zones; bounds are speeds (m/s), labels are paces (min:s/km)."""
    require_positive("threshold_pace_s_per_km", threshold_pace_s_per_km)
    return _zones(
        FRIEL_PACE, 1000.0 / threshold_pace_s_per_km, _pace, "/km", ("slower than", "faster than")
    )


def time_in_zones(
    values: StreamValues,
    zones: Sequence[Zone],
    *,
    time: StreamValues | None = None,
    sample_rate_hz: float = 1.0,
    max_gap_s: float = DEFAULT_MAX_GAP_S,
) -> tuple[ZoneTime, ...]:
    """Seconds in each zone; dropouts and pauses as in normalized_power."""
    if not zones:
        raise CoachError("time_in_zones needs at least one zone")
    v, seconds = samples_with_durations(
        values, "stream", time=time, sample_rate_hz=sample_rate_hz, max_gap_s=max_gap_s
    )
    lows = np.array([z.low for z in zones[1:]])
    index = np.searchsorted(lows, v, side="right")
    totals = np.bincount(index, weights=seconds, minlength=len(zones))
    return tuple(ZoneTime(z, float(s)) for z, s in zip(zones, totals, strict=True))


def activity_zone_times(
    activity: Activity, thresholds: AthleteThresholds
) -> dict[str, tuple[ZoneTime, ...]]:
    """Time in power, heart-rate and pace zones, for each stream and threshold available."""
    streams = activity.streams
    result: dict[str, tuple[ZoneTime, ...]] = {}
    if streams is None:
        return result
    th = thresholds
    if streams.watts is not None and th.ftp is not None:
        result["power"] = time_in_zones(streams.watts, power_zones(th.ftp), time=streams.time)
    if streams.heartrate is not None and (th.threshold_hr or th.max_hr):
        zones = heart_rate_zones(th.threshold_hr, th.max_hr, activity.sport_type)
        result["heart_rate"] = time_in_zones(streams.heartrate, zones, time=streams.time)
    is_run = sports.sport_family(activity.sport_type) == sports.RUN
    if is_run and streams.velocity_smooth is not None and th.threshold_pace_s_per_km:
        zones = pace_zones(th.threshold_pace_s_per_km)
        result["pace"] = time_in_zones(streams.velocity_smooth, zones, time=streams.time)
    return result


def _zones(
    table: _Table,
    reference: float,
    fmt: Callable[[float], str],
    unit: str,
    ends: tuple[str, str] = ("below", "from"),
) -> tuple[Zone, ...]:
    result = []
    for i, (name, fraction) in enumerate(table):
        # Rounded so that a published bound (56 % of 200 W) is exactly 112 W, not 112.0000001.
        low = round(fraction * reference, 9)
        high = round(table[i + 1][1] * reference, 9) if i + 1 < len(table) else math.inf
        if i == 0:
            label = f"Z1 {name} {ends[0]} {fmt(high)}{unit}"
        elif math.isinf(high):
            label = f"Z{i + 1} {name} {ends[1]} {fmt(low)}{unit}"
        else:
            label = f"Z{i + 1} {name} {fmt(low)}–{fmt(high)}{unit}"
        result.append(Zone(i + 1, name, low, high, label))
    return tuple(result)


def _whole(value: float) -> str:
    return f"{value:.0f}"


def _pace(speed_m_s: float) -> str:
    total = round(1000.0 / speed_m_s)
    return f"{total // 60}:{total % 60:02d}"
