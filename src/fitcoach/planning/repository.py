"""Every SQL statement of the planning domain: the plan row, its versions, the sessions of
the current version, and the reads re-planning needs (activities done, plans due)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from fitcoach.models import Activity, Athlete, PlannedWorkout, PlanVersion, TrainingPlan


def athlete_exists(session: Session, athlete_id: int) -> bool:
    return session.get(Athlete, athlete_id) is not None


def get_athlete(session: Session, athlete_id: int) -> Athlete | None:
    return session.get(Athlete, athlete_id)


def plan_of(session: Session, athlete_id: int, *, for_update: bool = False) -> TrainingPlan | None:
    """The athlete's plan row; with ``for_update``, locked until the transaction ends so
    two changes at once make two versions, one after the other."""
    query = select(TrainingPlan).where(TrainingPlan.athlete_id == athlete_id)
    if for_update:
        query = query.with_for_update()
    return session.scalar(query)


def plan_by_feed(session: Session, token: str) -> TrainingPlan | None:
    return session.scalar(select(TrainingPlan).where(TrainingPlan.feed_token == token))


def add_plan(session: Session, plan: TrainingPlan) -> None:
    session.add(plan)
    session.flush()


def latest_version(session: Session, athlete_id: int) -> PlanVersion | None:
    query = (
        select(PlanVersion)
        .where(PlanVersion.athlete_id == athlete_id)
        .order_by(PlanVersion.version.desc())
        .limit(1)
    )
    return session.scalar(query)


def versions_of(session: Session, athlete_id: int, limit: int) -> Sequence[PlanVersion]:
    """The newest ``limit`` versions, newest first."""
    query = (
        select(PlanVersion)
        .where(PlanVersion.athlete_id == athlete_id)
        .order_by(PlanVersion.version.desc())
        .limit(limit)
    )
    return session.scalars(query).all()


def add_version(
    session: Session,
    athlete_id: int,
    version: int,
    as_of: date,
    made_at: datetime,
    cause: str,
    note: str,
    changes: list[dict[str, Any]],
    document: bytes,
) -> None:
    session.add(
        PlanVersion(
            athlete_id=athlete_id,
            version=version,
            as_of=as_of,
            made_at=made_at,
            cause=cause,
            note=note,
            changes=changes,
            packed_document=document,
        )
    )


def workouts_of(session: Session, athlete_id: int) -> Sequence[PlannedWorkout]:
    query = (
        select(PlannedWorkout)
        .where(PlannedWorkout.athlete_id == athlete_id)
        .order_by(PlannedWorkout.day, PlannedWorkout.sport)
    )
    return session.scalars(query).all()


def workouts_between(
    session: Session, athlete_id: int, first: date, last: date
) -> Sequence[PlannedWorkout]:
    query = (
        select(PlannedWorkout)
        .where(
            PlannedWorkout.athlete_id == athlete_id,
            PlannedWorkout.day >= first,
            PlannedWorkout.day <= last,
        )
        .order_by(PlannedWorkout.day, PlannedWorkout.sport)
    )
    return session.scalars(query).all()


def workout_of(session: Session, athlete_id: int, workout_id: int) -> PlannedWorkout | None:
    """The athlete's session ``workout_id``; None when it is not theirs."""
    query = select(PlannedWorkout).where(
        PlannedWorkout.id == workout_id, PlannedWorkout.athlete_id == athlete_id
    )
    return session.scalar(query)


def add_workout(session: Session, workout: PlannedWorkout) -> None:
    session.add(workout)


def delete_workouts(session: Session, ids: Sequence[int]) -> None:
    if ids:
        session.execute(delete(PlannedWorkout).where(PlannedWorkout.id.in_(ids)))


class DoneRow(NamedTuple):
    """An activity as compliance and re-planning read it."""

    sport_type: str
    start_date: datetime
    start_date_local: datetime | None
    start_day: date
    moving_time_s: int
    elapsed_time_s: int
    load: float | None


def activities_between(session: Session, athlete_id: int, first: date, last: date) -> list[DoneRow]:
    """The athlete's activities whose day falls from ``first`` to ``last``."""
    query = (
        select(
            Activity.sport_type,
            Activity.start_date,
            Activity.start_date_local,
            Activity.start_day,
            Activity.moving_time_s,
            Activity.elapsed_time_s,
            Activity.load,
        )
        .where(
            Activity.athlete_id == athlete_id,
            Activity.start_day >= first,
            Activity.start_day <= last,
        )
        .order_by(Activity.start_date)
    )
    return [DoneRow._make(row) for row in session.execute(query)]


def plans_unchecked_since(session: Session, day: date) -> list[int]:
    """Athletes whose plan was last checked before ``day`` (or never)."""
    query = select(TrainingPlan.athlete_id).where(
        (TrainingPlan.checked_on < day) | TrainingPlan.checked_on.is_(None)
    )
    return [int(athlete_id) for athlete_id in session.scalars(query)]
