"""Reads of an athlete's activities for pages, the API and the narrator, as typed rows.

Each read runs on the connection or session it is given (a page's read turn, or a
worker's session) and names only the columns its caller shows: no Strava document in
``raw``, no ORM objects for a list that builds none. ``sources`` narrows a read to the
athlete's own data where the language model's policy asks for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import Connection, Select, func, select
from sqlalchemy.orm import Session

from fitcoach.coach import DailyLoads
from fitcoach.models import Activity, DailyLoad, Source
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


def api_activities(
    reader: Reader,
    athlete_id: int,
    *,
    limit: int,
    before: datetime | None = None,
    after: datetime | None = None,
) -> list[ApiActivityRow]:
    """A page of the JSON API's activities, newest first, within (after, before)."""
    query = _newest_first(select(*_API), athlete_id, before, after, limit)
    return [ApiActivityRow._make(row) for row in reader.execute(query)]


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
