"""Athlete rows: created or refreshed from Strava's athlete document, their coaching
settings, and the reads threshold estimates need."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.orm import Session

from fitcoach.models import Activity, Athlete, Deletion, SyncState


def upsert_athlete(session: Session, document: dict[str, Any]) -> Athlete:
    """Create or update the athlete keyed by Strava id; coaching settings are kept."""
    athlete_id = int(document["id"])
    athlete = session.get(Athlete, athlete_id)
    if athlete is None:
        athlete = Athlete(id=athlete_id)
        session.add(athlete)
        session.add(SyncState(athlete_id=athlete_id))
    athlete.firstname = str(document.get("firstname") or "")
    athlete.lastname = str(document.get("lastname") or "")
    athlete.profile_url = document.get("profile_medium") or document.get("profile")
    athlete.city = document.get("city")
    athlete.country = document.get("country")
    sex = document.get("sex")
    if athlete.sex is None and sex in ("M", "F"):
        athlete.sex = sex
    weight = document.get("weight")
    if athlete.weight_kg is None and isinstance(weight, int | float) and weight > 0:
        athlete.weight_kg = float(weight)
    athlete.connected = True
    athlete.disconnected_reason = None
    return athlete


def get_athlete(session: Session, athlete_id: int) -> Athlete | None:
    return session.get(Athlete, athlete_id)


def session_version_of(reader: Connection | Session, athlete_id: int) -> int | None:
    """The version every login of the athlete must carry; None when the athlete is gone.

    One read by primary key: it runs for every request that needs the logged-in athlete.
    """
    query = select(Athlete.session_version).where(Athlete.id == athlete_id)
    return reader.execute(query).scalar_one_or_none()


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
    session.add(Deletion(athlete_id=athlete.id, reason=reason, activities_deleted=activities))
