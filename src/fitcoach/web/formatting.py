"""Jinja filters: numbers, durations and times the way an athlete reads them."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import orjson
from jinja2 import Environment

from fitcoach.coach import sports

SPORT_NAMES = {
    "Ride": "Ride",
    "VirtualRide": "Virtual ride",
    "GravelRide": "Gravel ride",
    "MountainBikeRide": "Mountain bike ride",
    "EBikeRide": "E-bike ride",
    "Run": "Run",
    "TrailRun": "Trail run",
    "VirtualRun": "Virtual run",
    "Swim": "Swim",
    "Walk": "Walk",
    "Hike": "Hike",
    "WeightTraining": "Weight training",
    "Workout": "Workout",
}
FAMILY_NAMES = {
    "all": "All sports",
    "ride": "Riding",
    "run": "Running",
    "swim": "Swimming",
    "walk": "Walking and hiking",
    "strength": "Strength",
    "other": "Other",
}


def duration(seconds: float | None) -> str:
    """1:05:09 for an hour or more, 45:09 below."""
    if seconds is None or not math.isfinite(seconds):
        return "–"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    if hours:
        return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
    return f"{rest // 60}:{rest % 60:02d}"


def hours(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    return f"{seconds / 3600:.1f} h"


def km(metres: float | None, digits: int = 1) -> str:
    if metres is None:
        return "–"
    return f"{metres / 1000:,.{digits}f} km"


def number(value: float | int | None, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:,.{digits}f}"


def signed(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "–"
    shown = f"{value:+,.{digits}f}"
    # "-0" and "+0" read as noise: an unchanged value is just 0.
    return shown[1:] if float(shown) == 0 else shown.replace("-", "−")


def pace(speed_m_s: float | None) -> str:
    """Minutes and seconds per km for a speed in m/s."""
    if not speed_m_s or speed_m_s <= 0:
        return "–"
    total = round(1000 / speed_m_s)
    return f"{total // 60}:{total % 60:02d} /km"


def speed(speed_m_s: float | None, sport_type: str) -> str:
    """Pace for runs and walks, pace per 100 m for swims, km/h for everything else."""
    if not speed_m_s or speed_m_s <= 0:
        return "–"
    family = sports.sport_family(sport_type)
    if family in (sports.RUN, sports.WALK):
        return pace(speed_m_s)
    if family == sports.SWIM:
        total = round(100 / speed_m_s)
        return f"{total // 60}:{total % 60:02d} /100 m"
    return f"{speed_m_s * 3.6:.1f} km/h"


# The rule engine's number keys, as a person reads them.
NUMBER_LABELS = {
    "ctl": "fitness (CTL)",
    "atl": "fatigue (ATL)",
    "tsb": "form (TSB)",
    "ramp_rate": "fitness change in 7 days",
    "ctl_week_ago": "fitness a week ago",
    "ctl_before": "fitness before",
    "drop_pct": "drop (%)",
    "volume_reduction_pct": "volume cut (%)",
    "form_floor": "form floor",
    "projected_ctl": "projected fitness",
    "projected_tsb": "projected race-day form",
    "target_tsb_low": "target form, low",
    "target_tsb_high": "target form, high",
}


def label(key: str) -> str:
    return NUMBER_LABELS.get(key, key.replace("_", " "))


def when(value: datetime | date | None) -> str:
    """Mon 3 Mar 2025, 07:15 (the activity's local wall-clock time)."""
    if value is None:
        return "–"
    if isinstance(value, datetime):
        return f"{value:%a} {value.day} {value:%b %Y, %H:%M}"
    return f"{value:%a} {value.day} {value:%b %Y}"


def day(value: date | datetime | None) -> str:
    if value is None:
        return "–"
    return f"{value.day} {value:%b %Y}"


def short_day(value: date | datetime | None) -> str:
    return "–" if value is None else f"{value.day} {value:%b}"


def sport(value: str) -> str:
    return SPORT_NAMES.get(value) or FAMILY_NAMES.get(value) or value


def age(minutes: int | None) -> str:
    """12 minutes, 3 hours, 2 days: how old the data is, to the unit that matters."""
    if minutes is None:
        return "of unknown age"
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours_old = minutes // 60
    if hours_old < 48:
        return f"{hours_old} hour{'s' if hours_old != 1 else ''}"
    return f"{hours_old // 24} days"


def speed_word(sport_type: str) -> str:
    """ "pace" where ``speed`` writes a pace (runs, walks, swims), else "speed"."""
    family = sports.sport_family(sport_type)
    return "pace" if family in (sports.RUN, sports.WALK, sports.SWIM) else "speed"


def clock(value: datetime | None) -> str:
    return "–" if value is None else f"{value:%H:%M}"


def install(env: Environment) -> None:
    filters: dict[str, Any] = {
        "duration": duration,
        "hours": hours,
        "km": km,
        "number": number,
        "signed": signed,
        "pace": pace,
        "speed": speed,
        "label": label,
        "when": when,
        "day": day,
        "short_day": short_day,
        "sport": sport,
        "age": age,
        "clock": clock,
        "speed_word": speed_word,
    }
    env.filters.update(filters)
    # ``tojson`` (the charts' data) through orjson: the standard library's encoder took
    # longer than the rest of the chart. Keys stay sorted, as Jinja's default has them.
    env.policies["json.dumps_function"] = _json_text
    env.policies["json.dumps_kwargs"] = {}


def _json_text(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
