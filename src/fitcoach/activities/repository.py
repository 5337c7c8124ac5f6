"""Every write to activities, their streams and the carried daily loads, and the reads
the write paths need. One function, one statement (or one unit of work), named for what
it does; the pages' reads are in ``activities.queries``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from fitcoach.models import (
    Activity,
    ActivityCurve,
    ActivityStreams,
    ClaimConflict,
    DailyLoad,
    Source,
    StravaConnection,
)

_BATCH = 500


def upsert_api_activities(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Insert or update activity rows from Strava's API by their Strava id; storing the
    same row twice is a no-op. One ``INSERT .. ON CONFLICT (strava_id) DO UPDATE`` for the
    whole batch on SQLite and PostgreSQL. Returns the number of rows written."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(Activity)
    updated: dict[str, Any] = {
        column: statement.excluded[column]
        for column in rows[0]
        if column not in ("id", "athlete_id", "strava_id")
    }
    updated["updated_at"] = func.now()
    upsert = statement.on_conflict_do_update(index_elements=["strava_id"], set_=updated)
    session.execute(upsert, list(rows))
    return len(rows)


def add_activity(session: Session, values: dict[str, Any], streams: dict[str, Any]) -> int:
    """A new activity with its streams (an empty dict records "none"); its new id."""
    activity = Activity(**values)
    session.add(activity)
    session.flush()
    session.add(ActivityStreams(activity_id=activity.id, streams=streams))
    return activity.id


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


def has_strava_id(session: Session, activity_id: int) -> bool:
    """Whether the activity has a Strava id, confirmed or claimed."""
    query = select(Activity.strava_id, Activity.claimed_strava_id).where(Activity.id == activity_id)
    row = session.execute(query).first()
    return row is not None and (row.strava_id is not None or row.claimed_strava_id is not None)


def owner_of(session: Session, activity_id: int) -> int | None:
    """The athlete an activity belongs to, or None when it is not stored."""
    return session.scalar(select(Activity.athlete_id).where(Activity.id == activity_id))


def event_legs(session: Session, athlete_id: int, group: str) -> Sequence[Activity]:
    """The legs of one multisport recording (its activities sharing ``group``), in the
    order they were done."""
    query = (
        select(Activity)
        .where(Activity.athlete_id == athlete_id, Activity.multisport_group == group)
        .order_by(Activity.start_date, Activity.id)
    )
    return session.scalars(query).all()


def by_strava_ids(session: Session, strava_ids: Sequence[int]) -> dict[int, Activity]:
    """The stored activities with these Strava ids, whoever's they are."""
    query = select(Activity).where(Activity.strava_id.in_(strava_ids))
    return {int(row.strava_id or 0): row for row in session.scalars(query)}


def owner_of_strava_id(session: Session, strava_id: int) -> int | None:
    """The athlete whose API-confirmed activity has this Strava id, if any."""
    return session.scalar(select(Activity.athlete_id).where(Activity.strava_id == strava_id))


def by_strava_id(session: Session, athlete_id: int, strava_id: int) -> Activity | None:
    """This athlete's activity with this (confirmed) Strava id."""
    query = select(Activity).where(
        Activity.athlete_id == athlete_id, Activity.strava_id == strava_id
    )
    return session.scalar(query)


def own_claims(session: Session, athlete_id: int, strava_ids: Sequence[int]) -> dict[int, Activity]:
    """This athlete's own rows, not yet linked, that claim one of these Strava ids."""
    query = select(Activity).where(
        Activity.athlete_id == athlete_id,
        Activity.strava_id.is_(None),
        Activity.claimed_strava_id.in_(strava_ids),
    )
    return {int(row.claimed_strava_id or 0): row for row in session.scalars(query)}


def claims_by_others(
    session: Session, athlete_id: int, strava_ids: Sequence[int]
) -> Sequence[Activity]:
    """Other athletes' rows that claim one of these Strava ids."""
    query = select(Activity).where(
        Activity.athlete_id != athlete_id, Activity.claimed_strava_id.in_(strava_ids)
    )
    return session.scalars(query).all()


def claimed_or_linked(session: Session, athlete_id: int, strava_id: int) -> Activity | None:
    """This athlete's row that has, or claims, this Strava id."""
    query = select(Activity).where(
        Activity.athlete_id == athlete_id,
        (Activity.strava_id == strava_id) | (Activity.claimed_strava_id == strava_id),
    )
    return session.scalars(query).first()


def record_conflict(session: Session, strava_id: int, claimed_by: int, owner: int) -> None:
    session.add(ClaimConflict(strava_id=strava_id, claimed_by=claimed_by, owner=owner))


def drop_claim(session: Session, activity: Activity, *, owner: int) -> None:
    """Another athlete's API listing has this id: the claim goes, the row stays."""
    if activity.claimed_strava_id is not None:
        record_conflict(session, activity.claimed_strava_id, activity.athlete_id, owner)
    activity.claimed_strava_id = None


def link(session: Session, activity: Activity, strava_id: int) -> None:
    """The athlete's own row is the activity Strava lists with this id."""
    activity.strava_id = strava_id
    activity.claimed_strava_id = None


def athletes_with_unlinked_files(session: Session, athlete_ids: Iterable[int]) -> set[int]:
    """Those of these athletes who hold own-file activities with no Strava id yet."""
    query = (
        select(Activity.athlete_id)
        .where(
            Activity.athlete_id.in_(list(athlete_ids)),
            Activity.strava_id.is_(None),
            Activity.source != Source.STRAVA_API,
        )
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
        query = query.where(Activity.strava_id.is_(None), Activity.source != Source.STRAVA_API)
    return session.scalars(query).all()


def columns_of(row: Activity) -> dict[str, Any]:
    """Every column of a stored activity, by name."""
    return {column.key: getattr(row, column.key) for column in Activity.__table__.columns}


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


def keep_streams(session: Session, activity_id: int, streams: dict[str, Any]) -> bool:
    """Store streams fetched for a page, unless another request stored them first; whether
    these were stored."""
    if session.get(ActivityStreams, activity_id) is None:
        session.add(ActivityStreams(activity_id=activity_id, streams=streams))
        return True
    return False


# Runs and rides without a power meter: their loads from averages are the least reliable
# (a summary hides intervals), so their streams are worth a call in spare budget. A run
# needs a distance (its pace stream), a ride a heart rate (its heart-rate stream): without
# them the streams would change nothing.
_UPGRADE_RUNS = ("Run", "TrailRun", "VirtualRun")
_UPGRADE_RIDES = ("Ride", "VirtualRide", "GravelRide", "MountainBikeRide", "EBikeRide")
# Least reliable first: nothing measured, then the average heart rate, then the average
# pace (exact for an even run, low for intervals).
_UPGRADE_ORDER = {"duration_estimate": 0, "average_heart_rate": 1, "average_pace": 2}


def stream_upgrade_candidates(
    session: Session, recent_since: datetime, limit: int
) -> list[tuple[int, int, int]]:
    """(activity id, athlete id, Strava id) of connected athletes' API activities without
    streams whose load came from averages: runs with a distance, and rides with a heart
    rate and no power meter; those started since ``recent_since`` first, least reliable
    method first, newest first."""
    method_rank = case(_UPGRADE_ORDER, value=Activity.load_method, else_=3)
    recent_rank = case((Activity.start_date >= recent_since, 0), else_=1)
    runs = and_(Activity.sport_type.in_(_UPGRADE_RUNS), Activity.distance_m > 0)
    rides = and_(
        Activity.sport_type.in_(_UPGRADE_RIDES),
        Activity.device_watts.is_(False),
        Activity.average_heartrate.is_not(None),
    )
    query = (
        select(Activity.id, Activity.athlete_id, Activity.strava_id)
        .join(StravaConnection, StravaConnection.athlete_id == Activity.athlete_id)
        .outerjoin(ActivityStreams, ActivityStreams.activity_id == Activity.id)
        .where(
            ActivityStreams.activity_id.is_(None),
            StravaConnection.connected.is_(True),
            Activity.source == Source.STRAVA_API,
            Activity.strava_id.is_not(None),
            Activity.manual.is_(False),
            Activity.moving_time_s > 0,
            or_(runs, rides),
            Activity.load_method.in_(tuple(_UPGRADE_ORDER)),
        )
        .order_by(recent_rank, method_rank, Activity.start_date.desc())
        .limit(limit)
    )
    return [(int(r.id), int(r.athlete_id), int(r.strava_id)) for r in session.execute(query)]


# --- Loads -----------------------------------------------------------------------------


def activities_needing_load(
    session: Session, athlete_id: int, only_missing: bool
) -> Sequence[Activity]:
    """The athlete's activities whose load is not computed (or all of them)."""
    query = select(Activity).where(Activity.athlete_id == athlete_id)
    if only_missing:
        query = query.where(Activity.load.is_(None))
    return session.scalars(query).all()


def activity_ids_since(session: Session, athlete_id: int, since: date | None) -> list[int]:
    """The athlete's activities on or after ``since`` (by the day their load counts for;
    None: all), oldest first."""
    query = select(Activity.id).where(Activity.athlete_id == athlete_id)
    if since is not None:
        query = query.where(Activity.start_day >= since)
    return list(session.scalars(query.order_by(Activity.start_day, Activity.id)).all())


def curves_with_days(
    session: Session, athlete_id: int, kind: str
) -> list[tuple[date, list[list[float]]]]:
    """The athlete's stored curves of ``kind``, each with the day its activity counts for."""
    query = (
        select(Activity.start_day, ActivityCurve.points)
        .join(Activity, Activity.id == ActivityCurve.activity_id)
        .where(ActivityCurve.athlete_id == athlete_id, ActivityCurve.kind == kind)
    )
    return [(row[0], row[1]) for row in session.execute(query)]


def activities_by_id(session: Session, activity_ids: Sequence[int]) -> Sequence[Activity]:
    return session.scalars(select(Activity).where(Activity.id.in_(activity_ids))).all()


def load_method_of(session: Session, activity_id: int) -> str | None:
    return session.scalar(select(Activity.load_method).where(Activity.id == activity_id))


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


def delete_api_activity(session: Session, athlete_id: int, strava_id: int) -> bool:
    """Strava says this athlete's activity is gone: its API row goes (with its streams)
    and an own file linked to it only loses the link. Returns whether a row went."""
    own = select(Activity.id).where(
        Activity.athlete_id == athlete_id,
        Activity.strava_id == strava_id,
        Activity.source == Source.STRAVA_API,
    )
    ids = list(session.scalars(own))
    delete_with_streams(session, ids)
    session.execute(
        update(Activity)
        .where(
            Activity.athlete_id == athlete_id,
            Activity.strava_id == strava_id,
            Activity.source != Source.STRAVA_API,
        )
        .values(strava_id=None)
    )
    return bool(ids)


def api_loads(session: Session, athlete_id: int) -> list[tuple[int, date, float]]:
    """(id, day, load) of every activity of the athlete that came from Strava's API."""
    query = select(Activity.id, Activity.start_day, Activity.load).where(
        Activity.athlete_id == athlete_id, Activity.source == Source.STRAVA_API
    )
    return [(int(row.id), row.start_day, float(row.load or 0.0)) for row in session.execute(query)]


def unlink_own_files(session: Session, athlete_id: int) -> None:
    """The athlete's own files forget the Strava ids their listing gave them (they stay
    claims, for a later connection to confirm)."""
    session.execute(
        update(Activity)
        .where(Activity.athlete_id == athlete_id, Activity.strava_id.is_not(None))
        .values(claimed_strava_id=Activity.strava_id, strava_id=None)
    )


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


# --- Curves ----------------------------------------------------------------------------


def replace_curves(
    session: Session,
    activity_id: int,
    athlete_id: int,
    start_date: datetime,
    curves: dict[str, list[list[float]]],
) -> None:
    """The activity's curves become ``curves`` (by kind); kinds it no longer has go."""
    session.execute(delete(ActivityCurve).where(ActivityCurve.activity_id == activity_id))
    session.add_all(
        ActivityCurve(
            activity_id=activity_id,
            kind=kind,
            athlete_id=athlete_id,
            start_date=start_date,
            points=points,
        )
        for kind, points in curves.items()
    )


def activities_without_curves(
    session: Session, after_id: int, limit: int
) -> list[tuple[int, int, datetime, str, dict[str, Any]]]:
    """Activities with non-empty streams and no curve yet, by id after ``after_id``: (id,
    athlete, start, sport, streams), for filling the curves of what was stored before."""
    has_curve = select(ActivityCurve.activity_id).where(ActivityCurve.activity_id == Activity.id)
    query = (
        select(
            Activity.id,
            Activity.athlete_id,
            Activity.start_date,
            Activity.sport_type,
            ActivityStreams.streams,
        )
        .join(ActivityStreams, ActivityStreams.activity_id == Activity.id)
        .where(Activity.id > after_id, ~has_curve.exists())
        .order_by(Activity.id)
        .limit(limit)
    )
    return [
        (int(row.id), int(row.athlete_id), row.start_date, str(row.sport_type), dict(row.streams))
        for row in session.execute(query)
    ]
