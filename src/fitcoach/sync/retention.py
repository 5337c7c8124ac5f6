"""Retention of Strava API data, and the daily loads fitcoach keeps after it.

Strava's 2026 API policy (5.5) allows a 7-day cache of Strava data. With
``STRAVA_DATA_RETENTION_DAYS`` set, activities that came from the API (and their streams)
are deleted once they were fetched that many days ago. Their training load is fitcoach's
own derived number: before a row goes, its load is added to ``daily_loads`` for its day,
so the fitness chart (CTL/ATL/TSB) still covers the whole past. Activities from the
athlete's own files are never touched.

The cache age is counted from ``fetched_at`` (the first time fitcoach stored the row),
not from the activity's date: it is how long fitcoach has held the copy that matters.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

import numpy as np
import orjson
from prometheus_client import Counter
from sqlalchemy import (
    ColumnElement,
    Connection,
    Date,
    Integer,
    Select,
    Text,
    bindparam,
    cast,
    delete,
    func,
    literal_column,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session, sessionmaker

from fitcoach.coach import EPOCH, DailyLoads
from fitcoach.store.engine import transaction
from fitcoach.store.models import Activity, ActivityStreams, DailyLoad
from fitcoach.sync.loads import compute_loads

log = logging.getLogger("fitcoach.retention")

API = "strava_api"
OWN_SOURCES = ("file", "archive")
_BATCH = 500

RETENTION_DELETED = Counter(
    "fitcoach_retention_deleted",
    "Strava API data deleted by the retention policy",
    ["kind"],
)


@dataclass(frozen=True)
class RetentionResult:
    cutoff: datetime | None
    activities_deleted: int = 0
    streams_deleted: int = 0
    days_carried: int = 0


def apply_retention(
    sessions: sessionmaker[Session], now: datetime, retention_days: int | None
) -> RetentionResult:
    """Delete API-sourced activities fetched before ``now - retention_days``, keeping
    their load per day. Unset retention keeps everything."""
    if retention_days is None:
        return RetentionResult(None)
    cutoff = now - timedelta(days=retention_days)
    with sessions() as session:
        athletes = session.scalars(
            select(Activity.athlete_id)
            .where(Activity.source == API, Activity.fetched_at < cutoff)
            .distinct()
        ).all()
    deleted = streams = days = 0
    for athlete_id in athletes:
        # A row must carry its load before it goes; one fetched moments ago may have none.
        compute_loads(sessions, athlete_id, now.date())
        with transaction(sessions) as session:
            a, s, d = _expire_athlete(session, athlete_id, cutoff)
        deleted, streams, days = deleted + a, streams + s, days + d
    RETENTION_DELETED.labels("activities").inc(deleted)
    RETENTION_DELETED.labels("streams").inc(streams)
    if deleted:
        log.info(
            "strava data retention",
            extra={"deleted": deleted, "streams": streams, "cutoff": cutoff.isoformat()},
        )
    return RetentionResult(cutoff, deleted, streams, days)


def _expire_athlete(session: Session, athlete_id: int, cutoff: datetime) -> tuple[int, int, int]:
    rows = session.execute(
        select(Activity.id, Activity.start_date_local, Activity.start_date, Activity.load)
        .where(Activity.athlete_id == athlete_id)
        .where(Activity.source == API, Activity.fetched_at < cutoff)
    ).all()
    per_day: dict[date, float] = defaultdict(float)
    for _, local, start, load in rows:
        per_day[(local or start).date()] += load or 0.0
    for day, load in per_day.items():
        carry_load(session, athlete_id, day, load)
    ids = [row[0] for row in rows]
    streams = 0
    for first in range(0, len(ids), _BATCH):
        chunk = ids[first : first + _BATCH]
        # Deleted explicitly as well as by the cascade, which depends on SQLite's pragma.
        result = session.execute(
            delete(ActivityStreams).where(ActivityStreams.activity_id.in_(chunk))
        )
        streams += int(getattr(result, "rowcount", 0) or 0)
        session.execute(delete(Activity).where(Activity.id.in_(chunk)))
    return len(ids), streams, len(per_day)


def carry_load(session: Session, athlete_id: int, day: date, load: float) -> None:
    """Add load derived from API activities that are going to ``daily_loads``."""
    row = session.get(DailyLoad, (athlete_id, day, API))
    if row is None:
        session.add(DailyLoad(athlete_id=athlete_id, day=day, source=API, load=round(load, 1)))
    else:
        row.load = round(row.load + load, 1)


def absorb_carried_load(session: Session, athlete_id: int, day: date, load: float) -> None:
    """An imported activity on a day whose API activities were deleted is most likely one
    of them, recorded by the athlete's device: its load replaces that much carried load."""
    row = session.get(DailyLoad, (athlete_id, day, API))
    if row is None:
        return
    remaining = round(row.load - load, 1)
    if remaining <= 0:
        session.delete(row)
    else:
        row.load = remaining


def drop_carried_until(session: Session, athlete_id: int, last_day: date) -> int:
    """A Strava archive holds every activity up to its export: carried loads of those
    days would count them twice."""
    result = session.execute(
        delete(DailyLoad)
        .where(DailyLoad.athlete_id == athlete_id, DailyLoad.source == API)
        .where(DailyLoad.day <= last_day)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# coach.EPOCH as SQLite's Julian day number (midnight; day 1 of year 1 is 1721425.5) and
# as a PostgreSQL date literal, for the day arithmetic in SQL.
_EPOCH_JULIAN_DAY = EPOCH.toordinal() + 1721424.5
_EPOCH_DATE = f"DATE '{EPOCH.isoformat()}'"


def _day_numbers(dialect: str) -> tuple[ColumnElement[int], ColumnElement[int]]:
    """An activity's day and a carried load's day as day numbers (days since
    ``coach.EPOCH``) in SQL.

    An activity's day is the date of its local start time (its UTC start when it has
    none), as ``(start_date_local or start_date).date()`` gives it in Python. Both columns
    hold UTC: SQLite keeps them as ``YYYY-MM-DD HH:MM:SS...`` text, whose ``date()`` is
    the same day; on PostgreSQL, ``timestamptz`` is taken at UTC first, so the session's
    time zone plays no part. Numbers rather than dates: the rows need no conversion on
    their way to the coach's arrays.
    """
    columns = Activity.__table__.c
    start = func.coalesce(columns.start_date_local, columns.start_date)
    carried = DailyLoad.__table__.c.day
    if dialect == "postgresql":
        epoch = literal_column(_EPOCH_DATE, Date)
        activity_day = cast(func.timezone("UTC", start), Date) - epoch
        return type_coerce(activity_day, Integer), type_coerce(carried - epoch, Integer)
    return (
        cast(func.julianday(func.date(start)) - _EPOCH_JULIAN_DAY, Integer),
        cast(func.julianday(carried) - _EPOCH_JULIAN_DAY, Integer),
    )


# The history comes back as one row of two text lists, the days and their loads in the
# same order, not a row per day. Python's sqlite3 module lets go of the interpreter lock
# for every row it steps to, and under load each row then waited for it again behind the
# threads rendering other pages: the SQLite dashboard served 14 % more pages a second read
# in one row (bench/serving.py). On PostgreSQL, text lists parsed by orjson took a third
# of the client's CPU of two arrays (psycopg builds an array element by element), and
# arrays half that of a thousand rows. Every load comes back exactly: SQLite prints 17
# significant digits, PostgreSQL (12 and later) the shortest text that reads back as the
# same double, as it does for every float it sends.
_LOAD_TEXT = "%!.17g"


@cache
def daily_load_query(dialect: str, with_sources: bool = False) -> Select[Any, Any]:
    """Stored activities' loads summed per day, then the carried daily loads, aggregated
    into one row of two text lists, ``days`` and ``loads`` (see above; read them with
    ``history_of``): built once per dialect with bound parameters (``athlete_id`` and,
    when ``with_sources``, the expanding ``sources``)."""
    activity_day, carried_day = _day_numbers(dialect)
    activities, carried = Activity.__table__.c, DailyLoad.__table__.c
    summed = (
        select(
            activity_day.label("day"),
            func.sum(func.coalesce(activities.load, 0.0)).label("load"),
        )
        .where(activities.athlete_id == bindparam("athlete_id"))
        .group_by(activity_day)
    )
    kept = select(carried_day, carried.load).where(carried.athlete_id == bindparam("athlete_id"))
    if with_sources:
        summed = summed.where(activities.source.in_(bindparam("sources", expanding=True)))
        kept = kept.where(carried.source.in_(bindparam("sources", expanding=True)))
    # Both aggregates read the rows in one pass, in the same order.
    rows = summed.union_all(kept).subquery()
    if dialect == "sqlite":
        days = func.group_concat(rows.c.day)
        loads = func.group_concat(func.printf(_LOAD_TEXT, rows.c.load))
    else:
        days = func.string_agg(cast(rows.c.day, Text), ",")
        loads = func.string_agg(cast(rows.c.load, Text), ",")
    return select(days.label("days"), loads.label("loads"))


def history_of(days: str | None, loads: str | None) -> DailyLoads:
    """The history from the two text lists ``daily_load_query`` reads (both None when
    there is none)."""
    if days is None or loads is None:
        return DailyLoads(np.array((), dtype=np.int64), np.array((), dtype=np.float64))
    return DailyLoads(
        np.array(orjson.loads(f"[{days}]"), dtype=np.int64),
        np.array(orjson.loads(f"[{loads}]"), dtype=np.float64),
    )


def daily_load_history(
    reader: Session | Connection, athlete_id: int, sources: Sequence[str] | None = None
) -> DailyLoads:
    """The load of every day with stored activities (summed by the database) plus every
    carried daily load, optionally only from ``sources``: the whole history the fitness
    series is computed from. Read in an ORM session or on a Core connection."""
    dialect = reader.dialect if isinstance(reader, Connection) else reader.get_bind().dialect
    query = daily_load_query(dialect.name, sources is not None)
    values: dict[str, Any] = {"athlete_id": athlete_id}
    if sources is not None:
        values["sources"] = list(sources)
    return history_of(*reader.execute(query, values).one())


@dataclass(frozen=True)
class Span:
    """Where one kind of data lies on the history's time axis."""

    count: int
    first: date | None
    last: date | None


@dataclass(frozen=True)
class HistoryProvenance:
    """Which part of the history is what, for the page to say so."""

    own_files: Span
    strava_api: Span
    carried: Span
    retention_days: int | None
    window_start: date | None


def _span(session: Session, query: Select[int, Any, Any]) -> Span:
    count, first, last = session.execute(query).one()
    days = [value.date() if isinstance(value, datetime) else value for value in (first, last)]
    return Span(int(count or 0), days[0], days[1])


def history_provenance(
    session: Session, athlete_id: int, now: datetime, retention_days: int | None
) -> HistoryProvenance:
    """Counts and date ranges of own-file activities, API activities and carried loads."""

    def activities(sources: Sequence[str]) -> Span:
        query = select(
            func.count(), func.min(Activity.start_date), func.max(Activity.start_date)
        ).where(Activity.athlete_id == athlete_id, Activity.source.in_(sources))
        return _span(session, query)

    carried = _span(
        session,
        select(func.count(), func.min(DailyLoad.day), func.max(DailyLoad.day)).where(
            DailyLoad.athlete_id == athlete_id, DailyLoad.source == API
        ),
    )
    window = (now - timedelta(days=retention_days)).date() if retention_days else None
    return HistoryProvenance(
        activities(OWN_SOURCES), activities((API,)), carried, retention_days, window
    )
