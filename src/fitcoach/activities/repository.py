"""Every write to activities, their streams and the carried daily loads, and the reads
the write paths need. One function, one statement (or one unit of work), named for what
it does; the pages' reads are in ``activities.queries``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from fitcoach.models import Activity, ActivityStreams, DailyLoad, ImportedFile, Source

_BATCH = 500


def upsert_activities(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Insert or update activity rows by Strava id; storing the same row twice is a no-op.

    Returns the number of rows written. Works on SQLite and PostgreSQL with one
    ``INSERT .. ON CONFLICT (id) DO UPDATE`` executed for the whole batch: the statement
    does not depend on the row count, so it is compiled once per process, not per page.
    """
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(Activity)
    updated: dict[str, Any] = {
        column: statement.excluded[column]
        for column in rows[0]
        if column not in ("id", "athlete_id")
    }
    updated["updated_at"] = func.now()
    upsert = statement.on_conflict_do_update(index_elements=["id"], set_=updated)
    session.execute(upsert, list(rows))
    return len(rows)


def add_activity(
    session: Session, activity_id: int, values: dict[str, Any], streams: dict[str, Any]
) -> None:
    """A new activity with its streams (an empty dict records "none")."""
    session.add(Activity(id=activity_id, **values))
    session.flush()
    session.add(ActivityStreams(activity_id=activity_id, streams=streams))


def update_activity(session: Session, activity: Activity, values: dict[str, Any]) -> None:
    for key, value in values.items():
        setattr(activity, key, value)


def delete_activities(
    session: Session,
    activity_ids: Iterable[int],
    athlete_id: int | None = None,
    source: str | None = None,
) -> int:
    """Delete these activities (only the given athlete's / source's, when named)."""
    ids = list(activity_ids)
    if not ids:
        return 0
    query = delete(Activity).where(Activity.id.in_(ids))
    if athlete_id is not None:
        query = query.where(Activity.athlete_id == athlete_id)
    if source is not None:
        query = query.where(Activity.source == source)
    result = session.execute(query)
    return int(getattr(result, "rowcount", 0) or 0)


def get_activity(session: Session, activity_id: int) -> Activity | None:
    return session.get(Activity, activity_id)


def owner_of(session: Session, activity_id: int) -> int | None:
    """The athlete an activity belongs to, or None when it is not stored."""
    return session.scalar(select(Activity.athlete_id).where(Activity.id == activity_id))


def sources_of(session: Session, activity_ids: Sequence[int]) -> dict[int, str]:
    """The source of each of these activities that is stored."""
    query = select(Activity.id, Activity.source).where(Activity.id.in_(activity_ids))
    return {int(row.id): str(row.source) for row in session.execute(query)}


def athletes_with_unlinked_files(session: Session, athlete_ids: Iterable[int]) -> set[int]:
    """Those of these athletes who hold own-file activities with no Strava id yet."""
    query = (
        select(Activity.athlete_id)
        .where(Activity.athlete_id.in_(list(athlete_ids)), Activity.id < 0)
        .distinct()
    )
    return set(session.scalars(query))


def activities_starting_between(
    session: Session, athlete_id: int, first: datetime, last: datetime, unlinked_only: bool
) -> Sequence[Activity]:
    """The athlete's activities that started within [first, last]; ``unlinked_only``:
    only own-file activities with no Strava id yet."""
    query = (
        select(Activity)
        .where(Activity.athlete_id == athlete_id)
        .where(Activity.start_date >= first, Activity.start_date <= last)
    )
    if unlinked_only:
        query = query.where(Activity.id < 0)
    return session.scalars(query).all()


def columns_of(row: Activity) -> dict[str, Any]:
    """Every column of a stored activity, by name."""
    return {column.key: getattr(row, column.key) for column in Activity.__table__.columns}


def rekey(session: Session, old_id: int, new_id: int) -> Activity:
    """Give a stored activity another id (its Strava id, once known), keeping its streams
    and import records; the caller checks that ``new_id`` is free."""
    old = session.get(Activity, old_id)
    assert old is not None
    values = columns_of(old)
    values["id"] = new_id
    fresh = Activity(**values)
    session.add(fresh)
    session.flush()
    for table in (ActivityStreams, ImportedFile):
        session.execute(update(table).where(table.activity_id == old_id).values(activity_id=new_id))
    session.delete(old)
    session.flush()
    return fresh


# --- Streams ---------------------------------------------------------------------------


def stored_streams(session: Session, activity_id: int) -> dict[str, Any] | None:
    """The activity's stored streams (an empty dict: it has none), or None: not fetched."""
    stored = session.get(ActivityStreams, activity_id)
    return None if stored is None else dict(stored.streams)


def streams_of(session: Session, activity_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The stored streams of those of these activities that have them."""
    query = select(ActivityStreams.activity_id, ActivityStreams.streams).where(
        ActivityStreams.activity_id.in_(activity_ids)
    )
    return {int(row.activity_id): dict(row.streams) for row in session.execute(query)}


def write_streams(session: Session, activity_id: int, streams: dict[str, Any]) -> None:
    """Store (or replace) an activity's streams; an empty dict records "none", so the
    activity page never asks Strava for the streams of an imported activity."""
    stored = session.get(ActivityStreams, activity_id)
    if stored is None:
        session.add(ActivityStreams(activity_id=activity_id, streams=streams))
    else:
        stored.streams = streams


def keep_streams(session: Session, activity_id: int, streams: dict[str, Any]) -> None:
    """Store streams fetched for a page, unless another request stored them first."""
    if session.get(ActivityStreams, activity_id) is None:
        session.add(ActivityStreams(activity_id=activity_id, streams=streams))


def is_manual(session: Session, activity_id: int) -> bool:
    return bool(session.scalar(select(Activity.manual).where(Activity.id == activity_id)))


# --- Loads -----------------------------------------------------------------------------


def activities_needing_load(
    session: Session, athlete_id: int, only_missing: bool
) -> Sequence[Activity]:
    """The athlete's activities whose load is not computed (or all of them)."""
    query = select(Activity).where(Activity.athlete_id == athlete_id)
    if only_missing:
        query = query.where(Activity.load.is_(None))
    return session.scalars(query).all()


def activities_by_id(session: Session, activity_ids: Sequence[int]) -> Sequence[Activity]:
    return session.scalars(select(Activity).where(Activity.id.in_(activity_ids))).all()


def load_of(session: Session, activity_id: int) -> float | None:
    return session.scalar(select(Activity.load).where(Activity.id == activity_id))


# --- Strava data, retention and carried loads -----------------------------------------


def athletes_with_expired_api_data(session: Session, cutoff: datetime) -> Sequence[int]:
    """Athletes holding API activities fetched before ``cutoff``."""
    query = (
        select(Activity.athlete_id)
        .where(Activity.source == Source.STRAVA_API, Activity.fetched_at < cutoff)
        .distinct()
    )
    return session.scalars(query).all()


def expired_api_loads(
    session: Session, athlete_id: int, cutoff: datetime
) -> list[tuple[int, date, float]]:
    """(id, day, load) of the athlete's API activities fetched before ``cutoff``."""
    query = select(Activity.id, Activity.start_day, Activity.load).where(
        Activity.athlete_id == athlete_id,
        Activity.source == Source.STRAVA_API,
        Activity.fetched_at < cutoff,
    )
    return [(int(row.id), row.start_day, float(row.load or 0.0)) for row in session.execute(query)]


def delete_with_streams(session: Session, activity_ids: Sequence[int]) -> int:
    """Delete these activities and their streams; returns how many streams went."""
    streams = 0
    for first in range(0, len(activity_ids), _BATCH):
        chunk = list(activity_ids[first : first + _BATCH])
        # Deleted explicitly as well as by the cascade, which depends on SQLite's pragma.
        result = session.execute(
            delete(ActivityStreams).where(ActivityStreams.activity_id.in_(chunk))
        )
        streams += int(getattr(result, "rowcount", 0) or 0)
        session.execute(delete(Activity).where(Activity.id.in_(chunk)))
    return streams


def count_activities(session: Session, athlete_id: int) -> int:
    query = select(func.count()).where(Activity.athlete_id == athlete_id)
    return int(session.scalar(query) or 0)


def carry_load(session: Session, athlete_id: int, day: date, load: float) -> None:
    """Add load derived from API activities that are going to ``daily_loads``."""
    row = session.get(DailyLoad, (athlete_id, day, Source.STRAVA_API.value))
    if row is None:
        session.add(
            DailyLoad(athlete_id=athlete_id, day=day, source=Source.STRAVA_API, load=round(load, 1))
        )
    else:
        row.load = round(row.load + load, 1)


def absorb_carried_load(session: Session, athlete_id: int, day: date, load: float) -> None:
    """An imported activity on a day whose API activities were deleted is most likely one
    of them, recorded by the athlete's device: its load replaces that much carried load."""
    row = session.get(DailyLoad, (athlete_id, day, Source.STRAVA_API.value))
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
        .where(DailyLoad.athlete_id == athlete_id, DailyLoad.source == Source.STRAVA_API)
        .where(DailyLoad.day <= last_day)
    )
    return int(getattr(result, "rowcount", 0) or 0)
