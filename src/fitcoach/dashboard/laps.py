"""An activity's laps for its page: from the stored document's ``laps`` (Strava's, when
the activity's detail was fetched; the device's, read from a FIT or TCX file's lap
messages), in Strava's lap shape either way."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fitcoach.coach.sports import RUN, WALK, sport_family

# One lap says nothing the summary does not: the table shows two or more.
MIN_LAPS = 2
# A page for a day of laps (a track session has 25, an ultra's auto-laps 100 or more).
MAX_LAPS = 500


@dataclass(frozen=True)
class LapRow:
    number: int
    seconds: float | None  # moving (timer) time, else elapsed
    distance_m: float | None
    average_speed: float | None
    elevation_gain_m: float | None
    average_heartrate: float | None
    max_heartrate: float | None
    average_watts: float | None
    cadence: float | None  # steps a minute for runs and walks, revolutions for the rest


@dataclass(frozen=True)
class Laps:
    rows: tuple[LapRow, ...]
    # Which columns any lap has a value for, so an empty column is not drawn.
    columns: frozenset[str]
    cadence_unit: str


def _value(lap: Mapping[str, Any], key: str) -> float | None:
    value = lap.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) and number >= 0 else None


def activity_laps(document: Mapping[str, Any] | None, sport_type: str) -> Laps | None:
    """The laps of a stored activity document, or None when it has fewer than two."""
    found = document.get("laps") if document else None
    if not isinstance(found, list) or len(found) < MIN_LAPS:
        return None
    steps = sport_family(sport_type) in (RUN, WALK)
    rows = []
    for index, lap in enumerate(found[:MAX_LAPS]):
        if not isinstance(lap, Mapping):
            continue
        cadence = _value(lap, "average_cadence")
        # Strava and the devices count a run's cadence per leg; the page shows steps.
        if cadence is not None and steps:
            cadence *= 2
        moving, elapsed = _value(lap, "moving_time"), _value(lap, "elapsed_time")
        rows.append(
            LapRow(
                number=index + 1,
                seconds=moving if moving else elapsed,
                distance_m=_value(lap, "distance"),
                average_speed=_value(lap, "average_speed") or None,
                elevation_gain_m=_value(lap, "total_elevation_gain"),
                average_heartrate=_value(lap, "average_heartrate") or None,
                max_heartrate=_value(lap, "max_heartrate") or None,
                average_watts=_value(lap, "average_watts") or None,
                cadence=cadence or None,
            )
        )
    if len(rows) < MIN_LAPS:
        return None
    columns = frozenset(
        name
        for name in LapRow.__dataclass_fields__
        if any(getattr(row, name) is not None for row in rows)
    )
    return Laps(tuple(rows), columns, "spm" if steps else "rpm")
