"""What an activity's page shows: the stored summary, its load explained, and, when the
streams are at hand, the load from the streams, time in zones and chart series."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from fitcoach.activities.repository import event_legs, get_activity, owner_of
from fitcoach.athletes.repository import get_athlete
from fitcoach.athletes.thresholds import activity_day, coach_activity, dated_thresholds
from fitcoach.coach import (
    ActivityLoad,
    CoachError,
    Streams,
    ZoneTime,
    activity_load,
    activity_zone_times,
)
from fitcoach.coach.sports import RUN, SWIM, WALK, sport_family
from fitcoach.dashboard.laps import Laps, activity_laps
from fitcoach.dashboard.views import ActivityLine, activity_line, method_label

STREAM_KEYS = (
    "time",
    "watts",
    "heartrate",
    "velocity_smooth",
    "altitude",
    "grade_smooth",
    "distance",
)
# Enough points for a sharp line on a wide screen; a 5-hour ride has 18,000 samples.
CHART_POINTS = 1200
# Metres a second under which a pace is not drawn (about 33 min/km: standing, not moving).
MIN_PACE_SPEED = 0.5
# The chart's series in the order the page draws and reads them (fitcoach.js's).
CHART_NAMES = (
    ("watts", "power"),
    ("heartrate", "heart rate"),
    ("pace", "pace"),
    ("speed", "speed"),
    ("altitude", "elevation"),
    ("cadence", "cadence"),
)
ZONE_TITLES = {"power": "Power zones", "heart_rate": "Heart-rate zones", "pace": "Pace zones"}


@dataclass(frozen=True)
class ZoneRow:
    label: str
    seconds: float
    share: float


@dataclass(frozen=True)
class ZoneTable:
    key: str
    title: str
    rows: tuple[ZoneRow, ...]


@dataclass(frozen=True)
class ActivityDetail:
    line: ActivityLine
    athlete_id: int
    private: bool
    trainer: bool
    commute: bool
    manual: bool
    average_watts: float | None
    weighted_average_watts: float | None
    device_watts: bool
    average_heartrate: float | None
    max_heartrate: float | None
    average_speed: float | None
    kilojoules: float | None
    elapsed_time_s: int
    source: str
    summary_load: ActivityLoad
    method_sentence: str
    stream_load: ActivityLoad | None = None
    zones: tuple[ZoneTable, ...] = ()
    charts: Mapping[str, Any] | None = None
    # Every leg of the multisport event this activity is part of (itself included), in
    # order; empty for an activity recorded on its own.
    event: tuple[ActivityLine, ...] = ()
    laps: Laps | None = None

    @property
    def event_load(self) -> float:
        """The multisport event's load: its legs' loads together (a leg not scored yet
        counts nothing)."""
        return sum(leg.load or 0.0 for leg in self.event)

    @property
    def chart_names(self) -> list[str]:
        """What the chart draws, in words and in the order of its readout."""
        return [name for key, name in CHART_NAMES if self.charts and key in self.charts]


def find_activity(sessions: sessionmaker[Session], athlete_id: int, activity_id: int) -> bool:
    """Whether this athlete owns this activity (others' activities are simply not found)."""
    with sessions() as session:
        return owner_of(session, activity_id) == athlete_id


def activity_detail(
    sessions: sessionmaker[Session],
    athlete_id: int,
    activity_id: int,
    today: date,
    streams: Mapping[str, Sequence[float | None]] | None = None,
) -> ActivityDetail | None:
    with sessions() as session:
        row = get_activity(session, activity_id)
        athlete = get_athlete(session, athlete_id)
        if row is None or athlete is None or row.athlete_id != athlete_id:
            return None
        # The thresholds in force on the activity's day, as its stored load was scored.
        thresholds = dated_thresholds(session, athlete, today).on(activity_day(row))
        summary = coach_activity(row)
        detail = ActivityDetail(
            line=activity_line(row),
            athlete_id=athlete_id,
            private=row.private,
            trainer=row.trainer,
            commute=row.commute,
            manual=row.manual,
            average_watts=row.average_watts,
            weighted_average_watts=row.weighted_average_watts,
            device_watts=row.device_watts,
            average_heartrate=row.average_heartrate,
            max_heartrate=row.max_heartrate,
            average_speed=row.average_speed,
            kilojoules=row.kilojoules,
            elapsed_time_s=row.elapsed_time_s,
            source=row.source,
            summary_load=activity_load(summary, thresholds),
            method_sentence=method_label(row.load_method)[1],
            event=_event_of(session, row.athlete_id, row.multisport_group),
            laps=activity_laps(row.raw, row.sport_type),
        )
    coach_streams = _coach_streams(streams)
    if coach_streams is None:
        return detail
    with_streams = replace(summary, streams=coach_streams)
    try:
        stream_load = activity_load(with_streams, thresholds)
        zones = activity_zone_times(with_streams, thresholds)
    except CoachError:
        # Malformed streams (e.g. a time axis going backwards) should not cost the page.
        return detail
    return replace(
        detail,
        stream_load=stream_load,
        zones=tuple(_zone_table(key, times) for key, times in zones.items()),
        charts=chart_series(streams or {}, detail.line.sport_type),
    )


def _event_of(session: Session, athlete_id: int, group: str | None) -> tuple[ActivityLine, ...]:
    if group is None:
        return ()
    legs = event_legs(session, athlete_id, group)
    # A lone leg left (the others deleted) is no longer an event worth a table.
    return tuple(activity_line(leg) for leg in legs) if len(legs) > 1 else ()


def _coach_streams(streams: Mapping[str, Sequence[float | None]] | None) -> Streams | None:
    if not streams:
        return None
    usable = {key: list(values) for key, values in streams.items() if key in STREAM_KEYS}
    if not usable or len({len(values) for values in usable.values()}) != 1:
        return None
    try:
        return Streams(**usable)
    except CoachError:
        return None


def _zone_table(key: str, times: Sequence[ZoneTime]) -> ZoneTable:
    total = sum(item.seconds for item in times) or 1.0
    rows = tuple(ZoneRow(item.zone.label, item.seconds, item.seconds / total) for item in times)
    return ZoneTable(key, ZONE_TITLES.get(key, key), rows)


def chart_series(
    streams: Mapping[str, Sequence[float | None]], sport_type: str = "Ride"
) -> dict[str, Any] | None:
    """Every recorded quantity against time, averaged into at most CHART_POINTS buckets:
    power, heart rate, pace (runs, walks: seconds per km; swims: per 100 m) or speed
    (km/h, other sports), elevation and cadence, each only when its stream is there."""
    time_axis = streams.get("time")
    if not time_axis:
        return None
    n = len(time_axis)
    size = max(1, math.ceil(n / CHART_POINTS))
    result: dict[str, Any] = {"x": [_first(time_axis[i : i + size]) for i in range(0, n, size)]}

    def bucketed(values: Sequence[float | None] | None) -> list[float | None] | None:
        if values is None or len(values) != n:
            return None
        means = [_mean(values[i : i + size]) for i in range(0, n, size)]
        return means if any(v is not None for v in means) else None

    for key, name in (("watts", "watts"), ("heartrate", "heartrate"), ("altitude", "altitude")):
        if (series := bucketed(streams.get(key))) is not None:
            result[name] = series
    family = sport_family(sport_type)
    cadence = bucketed(streams.get("cadence"))
    if cadence is not None and any(v for v in cadence):
        result["cadence"] = cadence
        # Strava records a run's cadence per leg (strides); the page shows steps.
        if family in (RUN, WALK):
            result["cadence"] = [None if v is None else round(2 * v) for v in cadence]
        result["cadence_unit"] = "spm" if family in (RUN, WALK) else "rpm"
    speed = bucketed(streams.get("velocity_smooth"))
    if speed is not None:
        if family in (RUN, WALK, SWIM):
            per = 100.0 if family == SWIM else 1000.0
            # Standing still has no pace: below a slow walk the point is left out.
            result["pace"] = [
                None if v is None or v < MIN_PACE_SPEED else round(per / v) for v in speed
            ]
            result["pace_per"] = "100m" if family == SWIM else "km"
        else:
            result["speed"] = [None if v is None else round(3.6 * v, 1) for v in speed]
    return result if len(result) > 1 else None


def _first(values: Sequence[float | None]) -> float | None:
    return next((float(v) for v in values if v is not None), None)


def _mean(values: Sequence[float | None]) -> float | None:
    good = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    return round(sum(good) / len(good), 1) if good else None
