"""Athlete accounts: created, found, filled from a Strava profile, deleted; their coaching
settings, and the reads threshold estimates need."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.orm import Session

from fitcoach.models import (
    Activity,
    Athlete,
    DeclinedFtp,
    DeclinedThreshold,
    Deletion,
    LoadRecompute,
    SyncState,
    ThresholdEntry,
)


def create_athlete(
    session: Session,
    *,
    firstname: str = "",
    lastname: str = "",
    email: str | None = None,
    password_hash: str | None = None,
) -> Athlete:
    """A new account (and its empty sync state); its id is fitcoach's own."""
    athlete = Athlete(
        firstname=firstname, lastname=lastname, email=email, password_hash=password_hash
    )
    session.add(athlete)
    session.flush()
    session.add(SyncState(athlete_id=athlete.id))
    return athlete


def fill_from_strava(athlete: Athlete, document: dict[str, Any]) -> None:
    """What the athlete has not set themselves, from their Strava profile: their name,
    sex and weight (their coaching settings are never overwritten)."""
    if not athlete.firstname and not athlete.lastname:
        athlete.firstname = str(document.get("firstname") or "")
        athlete.lastname = str(document.get("lastname") or "")
    sex = document.get("sex")
    if athlete.sex is None and sex in ("M", "F"):
        athlete.sex = sex
    weight = document.get("weight")
    if athlete.weight_kg is None and isinstance(weight, int | float) and weight > 0:
        athlete.weight_kg = float(weight)


def athlete_by_email(session: Session, email: str) -> Athlete | None:
    return session.scalar(select(Athlete).where(Athlete.email == email))


def get_athlete(session: Session, athlete_id: int) -> Athlete | None:
    return session.get(Athlete, athlete_id)


def end_sessions(session: Session, athlete_id: int) -> None:
    """Every login of the athlete ends: the version they carry is no longer the row's."""
    session.execute(
        update(Athlete)
        .where(Athlete.id == athlete_id)
        .values(session_version=Athlete.session_version + 1)
        .execution_options(synchronize_session=False)
    )


def activities_of(session: Session, athlete_id: int) -> Sequence[Activity]:
    """Every activity of the athlete: what threshold estimates read."""
    return session.scalars(select(Activity).where(Activity.athlete_id == athlete_id)).all()


def delete_athlete(session: Session, athlete: Athlete, reason: str, activities: int) -> None:
    """Delete the athlete (and, by cascade, everything keyed by them), keeping only the
    record that it happened: the athlete id, why, how many activities, when."""
    session.delete(athlete)
    record_deletion(session, athlete.id, reason, activities)


def record_deletion(session: Session, athlete_id: int, reason: str, activities: int) -> None:
    """The record that data of the athlete was deleted: why, how many activities, when."""
    session.add(Deletion(athlete_id=athlete_id, reason=reason, activities_deleted=activities))


def set_declined_ftp(session: Session, athlete_id: int, watts: float | None) -> None:
    """Remember the FTP estimate the athlete declined (None: forget it)."""
    session.execute(delete(DeclinedFtp).where(DeclinedFtp.athlete_id == athlete_id))
    if watts is not None:
        session.add(DeclinedFtp(athlete_id=athlete_id, watts=watts))


# --- dated thresholds and the recompute they cause -----------------------------------


def threshold_entries(session: Session, athlete_id: int) -> Sequence[ThresholdEntry]:
    """The athlete's dated thresholds, oldest first within each kind."""
    return session.scalars(
        select(ThresholdEntry)
        .where(ThresholdEntry.athlete_id == athlete_id)
        .order_by(ThresholdEntry.kind, ThresholdEntry.effective_from)
    ).all()


def has_threshold(session: Session, athlete_id: int, kind: str) -> bool:
    """Whether the athlete has any dated entry of ``kind`` (set, accepted or estimated)."""
    found = session.scalar(
        select(ThresholdEntry.id)
        .where(ThresholdEntry.athlete_id == athlete_id, ThresholdEntry.kind == kind)
        .limit(1)
    )
    return found is not None


def set_threshold_from(
    session: Session, athlete_id: int, kind: str, value: float | None, since: date, source: str
) -> None:
    """``value`` is the athlete's ``kind`` from ``since`` on: later entries of that kind
    are replaced by it (the value given is the one in force today)."""
    session.execute(
        delete(ThresholdEntry).where(
            ThresholdEntry.athlete_id == athlete_id,
            ThresholdEntry.kind == kind,
            ThresholdEntry.effective_from >= since,
        )
    )
    session.add(
        ThresholdEntry(
            athlete_id=athlete_id, kind=kind, value=value, effective_from=since, source=source
        )
    )


def request_recompute(session: Session, athlete_id: int, since: date | None, now: datetime) -> None:
    """Ask for the loads from ``since`` (None: all) to be recomputed. A request not yet
    finished is widened to cover both, and its progress starts again."""
    row = session.get(LoadRecompute, athlete_id, with_for_update=True)
    if row is None:
        session.add(
            LoadRecompute(
                athlete_id=athlete_id,
                generation=1,
                since=since,
                total=None,
                done=0,
                requested_at=now,
                finished_at=None,
            )
        )
        return
    if row.finished_at is None and (row.since is None or since is None):
        since = None
    elif row.finished_at is None and row.since is not None and since is not None:
        since = min(row.since, since)
    row.generation += 1
    row.since = since
    row.total = None
    row.done = 0
    row.requested_at = now
    row.finished_at = None


def recompute_of(session: Session, athlete_id: int) -> LoadRecompute | None:
    return session.get(LoadRecompute, athlete_id)


def recompute_progress(
    session: Session,
    athlete_id: int,
    generation: int,
    *,
    total: int,
    done: int,
    finished_at: datetime | None = None,
) -> bool:
    """Record how far the recompute of ``generation`` got; False when a newer request
    has taken over (the caller stops)."""
    result = session.execute(
        update(LoadRecompute)
        .where(LoadRecompute.athlete_id == athlete_id, LoadRecompute.generation == generation)
        .values(total=total, done=done, finished_at=finished_at)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def set_declined_threshold(
    session: Session, athlete_id: int, kind: str, value: float | None
) -> None:
    """Remember the threshold heart rate or pace estimate the athlete declined (None:
    forget it)."""
    session.execute(
        delete(DeclinedThreshold).where(
            DeclinedThreshold.athlete_id == athlete_id, DeclinedThreshold.kind == kind
        )
    )
    if value is not None:
        session.add(DeclinedThreshold(athlete_id=athlete_id, kind=kind, value=value))


class ActivityClock(NamedTuple):
    """Where the athlete's newest activity was recorded, as the clock saw it."""

    timezone: str | None
    start_date: datetime
    start_date_local: datetime | None


def newest_activity_clock(reader: Connection | Session, athlete_id: int) -> ActivityClock | None:
    """The time zone and the UTC and local starts of the athlete's newest activity (one
    row of ``ix_activities_athlete_start``)."""
    query = (
        select(Activity.timezone, Activity.start_date, Activity.start_date_local)
        .where(Activity.athlete_id == athlete_id)
        .order_by(Activity.start_date.desc())
        .limit(1)
    )
    row = reader.execute(query).first()
    return None if row is None else ActivityClock._make(row)
