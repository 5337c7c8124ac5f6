"""What "Download my data" reads: every activity of the athlete with where it came from,
the files they imported, the daily loads fitcoach keeps, and their training plan."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from fitcoach.models import Activity, DailyLoad, ImportedFile, PlannedWorkout, TrainingPlan


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
