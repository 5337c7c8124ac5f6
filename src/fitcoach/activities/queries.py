"""Reads of an athlete's activities for pages, the API and the narrator, as typed rows.

Each read runs on the connection or session it is given (a page's read turn, or a
worker's session) and names only the columns its caller shows: no Strava document in
``raw``, no ORM objects for a list that builds none. ``sources`` narrows a read to the
athlete's own data where the language model's policy asks for it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, NamedTuple, TypeVar

import orjson
from sqlalchemy import (
    Connection,
    Select,
    SQLColumnExpression,
    Text,
    and_,
    func,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from fitcoach.coach import DailyLoads
from fitcoach.models import (
    Activity,
    ActivityCurve,
    Athlete,
    DailyLoad,
    DeclinedFtp,
    DeclinedThreshold,
    Source,
    ThresholdEntry,
)
from fitcoach.models.types import UTCDateTime

Reader = Connection | Session


class ActivityLineRow(NamedTuple):
    """An activity as the lists show it."""

    id: int
    strava_id: int | None
    name: str
    sport_type: str
    start_date: datetime
    start_date_local: datetime | None
    moving_time_s: int
    distance_m: float
    elevation_gain_m: float
    load: float | None
    load_method: str | None
    # The key the legs of one multisport file share, None for other activities.
    multisport_group: str | None


_LINE = (
    Activity.id,
    Activity.strava_id,
    Activity.name,
    Activity.sport_type,
    Activity.start_date,
    Activity.start_date_local,
    Activity.moving_time_s,
    Activity.distance_m,
    Activity.elevation_gain_m,
    Activity.load,
    Activity.load_method,
    Activity.multisport_group,
)


class WeekRow(NamedTuple):
    """An activity as a weekly summary reads it (``coach.summaries.Summed``)."""

    sport_type: str
    start_date_local: datetime
    moving_time: int
    distance: float
    total_elevation_gain: float
    load: float


class ApiActivityRow(NamedTuple):
    """An activity as ``GET /api/strava/activities`` returns it, by the API's names."""

    id: int
    strava_id: int | None
    name: str
    sport_type: str
    start_date: datetime
    start_date_local: datetime | None
    moving_time: int
    elapsed_time: int
    distance: float
    total_elevation_gain: float
    average_watts: float | None
    weighted_average_watts: float | None
    average_heartrate: float | None
    load: float | None
    load_method: str | None
    source: str


_API = (
    Activity.id,
    Activity.strava_id,
    Activity.name,
    Activity.sport_type,
    Activity.start_date,
    Activity.start_date_local,
    Activity.moving_time_s,
    Activity.elapsed_time_s,
    Activity.distance_m,
    Activity.elevation_gain_m,
    Activity.average_watts,
    Activity.weighted_average_watts,
    Activity.average_heartrate,
    Activity.load,
    Activity.load_method,
    Activity.source,
)


_Query = TypeVar("_Query", bound=Select[*tuple[Any, ...]])


def _newest_first(
    query: _Query, athlete_id: int, before: datetime | None, after: datetime | None, limit: int
) -> _Query:
    query = query.where(Activity.athlete_id == athlete_id)
    if before is not None:
        query = query.where(Activity.start_date < before)
    if after is not None:
        query = query.where(Activity.start_date > after)
    return query.order_by(Activity.start_date.desc(), Activity.id.desc()).limit(limit)


def activity_lines(
    reader: Reader,
    athlete_id: int,
    *,
    limit: int,
    before: datetime | None = None,
    after: datetime | None = None,
) -> list[ActivityLineRow]:
    """The athlete's activities newest first, within (after, before)."""
    query = _newest_first(select(*_LINE), athlete_id, before, after, limit)
    return [ActivityLineRow._make(row) for row in reader.execute(query)]


def week_rows(
    reader: Reader, athlete_id: int, since: datetime, sources: Sequence[str] | None = None
) -> list[WeekRow]:
    """The activities a weekly summary compares: those started since ``since``."""
    query = select(
        Activity.sport_type,
        func.coalesce(Activity.start_date_local, Activity.start_date, type_=UTCDateTime),
        Activity.moving_time_s,
        Activity.distance_m,
        Activity.elevation_gain_m,
        func.coalesce(Activity.load, 0.0),
    ).where(Activity.athlete_id == athlete_id, Activity.start_date >= since)
    if sources is not None:
        query = query.where(Activity.source.in_(sources))
    return [WeekRow._make(row) for row in reader.execute(query)]


def daily_load_history(
    reader: Reader, athlete_id: int, sources: Sequence[str] | None = None
) -> DailyLoads:
    """The load of every day with stored activities plus every load carried past the
    retention of Strava data, optionally only from ``sources``: the whole history the
    fitness series is computed from."""
    summed = (
        select(Activity.start_day, func.sum(func.coalesce(Activity.load, 0.0)))
        .where(Activity.athlete_id == athlete_id)
        .group_by(Activity.start_day)
    )
    carried = select(DailyLoad.day, DailyLoad.load).where(DailyLoad.athlete_id == athlete_id)
    if sources is not None:
        summed = summed.where(Activity.source.in_(sources))
        carried = carried.where(DailyLoad.source.in_(sources))
    rows = reader.execute(summed.union_all(carried)).all()
    return DailyLoads.of((_as_date(day), float(load)) for day, load in rows)


def _as_date(value: date | str) -> date:
    # A UNION loses the column's type on SQLite: the day comes back as its text.
    return value if isinstance(value, date) else date.fromisoformat(value)


def count_activities(reader: Reader, athlete_id: int) -> int:
    query = select(func.count()).where(Activity.athlete_id == athlete_id)
    return int(reader.execute(query).scalar_one())


def holds_api_data(reader: Reader, athlete_id: int) -> bool:
    """Whether any of the athlete's activities came from Strava's API."""
    query = (
        select(Activity.id)
        .where(Activity.athlete_id == athlete_id, Activity.source == Source.STRAVA_API)
        .limit(1)
    )
    return reader.execute(query).first() is not None


def names_by_strava_id(reader: Reader, strava_ids: Sequence[int]) -> dict[int, str]:
    """The name of each stored activity with one of these Strava ids, by Strava id."""
    query = select(Activity.strava_id, Activity.name).where(Activity.strava_id.in_(strava_ids))
    return {int(row.strava_id): str(row.name) for row in reader.execute(query)}


def count_by_origin(reader: Reader, athlete_id: int) -> tuple[int, int]:
    """How many of the athlete's activities came from Strava's API, and how many from
    their own files."""
    query = select(
        func.count().filter(Activity.source == Source.STRAVA_API),
        func.count().filter(Activity.source != Source.STRAVA_API),
    ).where(Activity.athlete_id == athlete_id)
    api, own = reader.execute(query).one()
    return int(api or 0), int(own or 0)


class ListSort(StrEnum):
    """What the activity list may be sorted by."""

    DATE = "date"
    LOAD = "load"
    DURATION = "duration"
    DISTANCE = "distance"


@dataclass(frozen=True)
class ListFilter:
    """Which of an athlete's activities a list shows: a sport, a range of days (where
    they happened, both ends included), words their name contains, and (for the API) a
    window of start times (both ends excluded)."""

    sport: str | None = None
    since: date | None = None
    until: date | None = None
    search: str | None = None
    started_after: datetime | None = None
    started_before: datetime | None = None


@dataclass(frozen=True)
class ListPosition:
    """Where a page of the list ends: the last row's sort value and id (a keyset)."""

    value: float | datetime
    id: int


def _sort_column(sort: ListSort) -> SQLColumnExpression[Any]:
    # A missing load sorts below every real one (loads are never negative).
    columns: dict[ListSort, SQLColumnExpression[Any]] = {
        ListSort.DATE: Activity.start_date,
        ListSort.LOAD: func.coalesce(Activity.load, -1.0),
        ListSort.DURATION: Activity.moving_time_s,
        ListSort.DISTANCE: Activity.distance_m,
    }
    return columns[sort]


def list_activities(
    reader: Reader,
    athlete_id: int,
    *,
    filters: ListFilter,
    sort: ListSort,
    descending: bool,
    limit: int,
    after: ListPosition | None = None,
) -> list[tuple[ApiActivityRow, float | datetime]]:
    """A page of the athlete's activities matching ``filters``, in ``sort`` order (ties
    by id), starting after ``after``; each row with its sort value, for the next page's
    position. Keyset paging: the thousandth page costs what the first does."""
    key = _sort_column(sort)
    query = select(*_API, key).where(Activity.athlete_id == athlete_id)
    if filters.sport:
        query = query.where(Activity.sport_type == filters.sport)
    if filters.since is not None:
        query = query.where(Activity.start_day >= filters.since)
    if filters.until is not None:
        query = query.where(Activity.start_day <= filters.until)
    if filters.search:
        query = query.where(Activity.name.icontains(filters.search, autoescape=True))
    if filters.started_after is not None:
        query = query.where(Activity.start_date > filters.started_after)
    if filters.started_before is not None:
        query = query.where(Activity.start_date < filters.started_before)
    if after is not None:
        if descending:
            query = query.where(
                or_(key < after.value, and_(key == after.value, Activity.id < after.id))
            )
        else:
            query = query.where(
                or_(key > after.value, and_(key == after.value, Activity.id > after.id))
            )
    if descending:
        query = query.order_by(key.desc(), Activity.id.desc())
    else:
        query = query.order_by(key.asc(), Activity.id.asc())
    rows = reader.execute(query.limit(limit)).all()
    return [(ApiActivityRow._make(row[:-1]), row[-1]) for row in rows]


def sports_of(reader: Reader, athlete_id: int) -> list[str]:
    """The sports the athlete has activities of, for the list's sport filter."""
    query = (
        select(Activity.sport_type)
        .where(Activity.athlete_id == athlete_id)
        .distinct()
        .order_by(Activity.sport_type)
    )
    return [str(sport) for sport in reader.scalars(query)]


class EventLeg(NamedTuple):
    """An activity's place in its multisport event: leg ``leg`` of ``legs``, whose first
    leg is ``first_id``."""

    leg: int
    legs: int
    first_id: int


def event_legs_of(
    reader: Reader, athlete_id: int, activity_ids: Sequence[int]
) -> dict[int, EventLeg]:
    """For those of these activities that are legs of a multisport event, their place in
    it (the other legs may be on another page of a list)."""
    if not activity_ids:
        return {}
    groups = (
        select(Activity.multisport_group)
        .where(
            Activity.athlete_id == athlete_id,
            Activity.id.in_(list(activity_ids)),
            Activity.multisport_group.is_not(None),
        )
        .scalar_subquery()
    )
    query = (
        select(Activity.id, Activity.multisport_group)
        .where(Activity.athlete_id == athlete_id, Activity.multisport_group.in_(groups))
        .order_by(Activity.multisport_group, Activity.start_date, Activity.id)
    )
    by_group: dict[str, list[int]] = {}
    for activity_id, group in reader.execute(query):
        by_group.setdefault(str(group), []).append(int(activity_id))
    return {
        activity_id: EventLeg(index + 1, len(ids), ids[0])
        for ids in by_group.values()
        if len(ids) > 1
        for index, activity_id in enumerate(ids)
    }


class DayActivityRow(NamedTuple):
    """An activity as the calendar shows it, on the day it happened."""

    id: int
    name: str
    sport_type: str
    start_day: date
    moving_time_s: int
    distance_m: float
    load: float | None
    load_method: str | None


def activities_between(
    reader: Reader, athlete_id: int, first: date, last: date
) -> list[DayActivityRow]:
    """The athlete's activities on the days from ``first`` to ``last``, in start order."""
    query = (
        select(
            Activity.id,
            Activity.name,
            Activity.sport_type,
            Activity.start_day,
            Activity.moving_time_s,
            Activity.distance_m,
            Activity.load,
            Activity.load_method,
        )
        .where(
            Activity.athlete_id == athlete_id,
            Activity.start_day >= first,
            Activity.start_day <= last,
        )
        .order_by(Activity.start_date, Activity.id)
    )
    return [DayActivityRow._make(row) for row in reader.execute(query)]


class CurveRow(NamedTuple):
    """One activity's stored curve of a kind: ``points`` are [key, value] pairs."""

    activity_id: int
    start_date: datetime
    points: list[list[float]]


def curve_rows(
    reader: Reader, athlete_id: int, kind: str, since: datetime | None
) -> list[CurveRow]:
    """The athlete's stored curves of ``kind`` from activities started since ``since``."""
    # The points as the stored text, decoded by orjson: a range of all time is a thousand
    # documents, and the standard library's decoder took most of the request.
    points = type_coerce(ActivityCurve.points, Text)
    query = select(ActivityCurve.activity_id, ActivityCurve.start_date, points).where(
        ActivityCurve.athlete_id == athlete_id, ActivityCurve.kind == kind
    )
    if since is not None:
        query = query.where(ActivityCurve.start_date >= since)
    return [
        CurveRow(activity_id, start_date, curve_points(stored))
        for activity_id, start_date, stored in reader.execute(query)
    ]


def curve_points(stored: Any) -> list[list[float]]:
    """Stored points as lists: PostgreSQL's driver hands back JSONB decoded already; SQLite
    hands back the text."""
    if not isinstance(stored, str | bytes):
        return list(stored)
    try:
        return list(orjson.loads(stored))
    except orjson.JSONDecodeError:
        # A document the standard library wrote with NaN or Infinity (orjson refuses them).
        return list(json.loads(stored))


def ftp_setting(reader: Reader, athlete_id: int) -> tuple[float | None, float | None]:
    """The FTP the athlete set themselves (None: estimated) and the proposed one they
    declined (None: none)."""
    query = (
        select(Athlete.ftp_watts, DeclinedFtp.watts)
        .outerjoin(DeclinedFtp, DeclinedFtp.athlete_id == Athlete.id)
        .where(Athlete.id == athlete_id)
    )
    row = reader.execute(query).first()
    if row is None:
        return None, None
    return (
        None if row[0] is None else float(row[0]),
        None if row[1] is None else float(row[1]),
    )


class ThresholdEntryRow(NamedTuple):
    kind: str
    value: float | None
    effective_from: date
    source: str


def threshold_entry_rows(reader: Reader, athlete_id: int) -> list[ThresholdEntryRow]:
    """The athlete's dated thresholds, newest first."""
    query = (
        select(
            ThresholdEntry.kind,
            ThresholdEntry.value,
            ThresholdEntry.effective_from,
            ThresholdEntry.source,
        )
        .where(ThresholdEntry.athlete_id == athlete_id)
        .order_by(ThresholdEntry.effective_from.desc(), ThresholdEntry.kind)
    )
    return [ThresholdEntryRow._make(row) for row in reader.execute(query)]


class HeartAndPaceSettings(NamedTuple):
    """The athlete's threshold heart rate and run pace settings (None: estimated), and the
    proposed values of each they declined, by kind."""

    threshold_hr: float | None
    threshold_pace: float | None
    declined: dict[str, float]


def heart_and_pace_settings(reader: Reader, athlete_id: int) -> HeartAndPaceSettings:
    row = reader.execute(
        select(Athlete.threshold_hr, Athlete.threshold_pace_s_per_km).where(
            Athlete.id == athlete_id
        )
    ).first()
    declined = reader.execute(
        select(DeclinedThreshold.kind, DeclinedThreshold.value).where(
            DeclinedThreshold.athlete_id == athlete_id
        )
    )
    return HeartAndPaceSettings(
        None if row is None or row[0] is None else float(row[0]),
        None if row is None or row[1] is None else float(row[1]),
        {kind: float(value) for kind, value in declined},
    )
