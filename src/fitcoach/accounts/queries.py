"""What "Download my data" reads: every activity of the athlete with where it came from,
the files they imported, the daily loads fitcoach keeps, their training plan and the
identities they sign in with."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fitcoach.models import (
    Activity,
    Athlete,
    DailyLoad,
    ImportedFile,
    Invitation,
    OidcIdentity,
    PlannedWorkout,
    Source,
    StravaConnection,
    TrainingPlan,
)


def activities_for_export(session: Session, athlete_id: int) -> Sequence[Activity]:
    return session.scalars(
        select(Activity).where(Activity.athlete_id == athlete_id).order_by(Activity.start_date)
    ).all()


def imported_files_of(session: Session, athlete_id: int) -> Sequence[ImportedFile]:
    return session.scalars(
        select(ImportedFile)
        .where(ImportedFile.athlete_id == athlete_id)
        .order_by(ImportedFile.imported_at)
    ).all()


def identities_of(session: Session, athlete_id: int) -> Sequence[OidcIdentity]:
    """The account's identities at the operator's OpenID Connect provider."""
    return session.scalars(
        select(OidcIdentity).where(OidcIdentity.athlete_id == athlete_id).order_by(OidcIdentity.id)
    ).all()


def daily_loads_of(session: Session, athlete_id: int) -> Sequence[DailyLoad]:
    return session.scalars(
        select(DailyLoad).where(DailyLoad.athlete_id == athlete_id).order_by(DailyLoad.day)
    ).all()


def plan_of(session: Session, athlete_id: int) -> TrainingPlan | None:
    return session.scalar(select(TrainingPlan).where(TrainingPlan.athlete_id == athlete_id))


def planned_workouts_of(
    session: Session, athlete_id: int, version: int
) -> Sequence[PlannedWorkout]:
    """The sessions of the plan's version ``version``, by day."""
    return session.scalars(
        select(PlannedWorkout)
        .where(PlannedWorkout.athlete_id == athlete_id, PlannedWorkout.version == version)
        .order_by(PlannedWorkout.day, PlannedWorkout.id)
    ).all()


class AccountRow(NamedTuple):
    """An account as the operator's list shows it."""

    id: int
    name: str
    email: str | None
    has_password: bool
    strava: bool | None  # None: no connection; False: Strava refused fitcoach's access
    created_at: datetime
    own: int
    from_strava: int


def account_rows(session: Session, limit: int) -> tuple[int, list[AccountRow]]:
    """How many accounts there are, and the newest ``limit`` of them."""
    total = int(session.scalar(select(func.count()).select_from(Athlete)) or 0)
    own = func.count(Activity.id).filter(Activity.source != Source.STRAVA_API.value)
    api = func.count(Activity.id).filter(Activity.source == Source.STRAVA_API.value)
    query = (
        select(
            Athlete.id,
            Athlete.firstname,
            Athlete.lastname,
            Athlete.email,
            Athlete.password_hash.is_not(None),
            StravaConnection.connected,
            Athlete.created_at,
            own,
            api,
        )
        .outerjoin(StravaConnection, StravaConnection.athlete_id == Athlete.id)
        .outerjoin(Activity, Activity.athlete_id == Athlete.id)
        .group_by(Athlete.id, StravaConnection.connected)
        .order_by(Athlete.id.desc())
        .limit(limit)
    )
    rows = [
        AccountRow(
            row[0],
            f"{row[1]} {row[2]}".strip(),
            row[3],
            bool(row[4]),
            row[5],
            row[6],
            int(row[7]),
            int(row[8]),
        )
        for row in session.execute(query)
    ]
    return total, rows


def recent_invitations(session: Session, limit: int) -> Sequence[Invitation]:
    """The newest invitations first."""
    return session.scalars(
        select(Invitation).order_by(Invitation.created_at.desc(), Invitation.id.desc()).limit(limit)
    ).all()
