"""Training load for stored activities: computed on ingest, recomputed when settings change.

The maths is ``fitcoach.coach``; this module decides which activities to (re)compute and
turns store rows into the coach's plain data and back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from fitcoach import coach
from fitcoach.coach import (
    AthleteThresholds,
    ResolvedThresholds,
    Sex,
    activity_load,
    resolve_thresholds,
)
from fitcoach.store.engine import transaction
from fitcoach.store.models import Activity, ActivityStreams, Athlete

_SEX = {"M": Sex.MALE, "F": Sex.FEMALE}


def coach_activity(row: Activity) -> coach.Activity:
    """The coach's view of a stored activity (summary fields; streams are not stored)."""
    return coach.Activity(
        sport_type=row.sport_type,
        start_date_local=row.start_date_local or row.start_date,
        moving_time=float(row.moving_time_s),
        elapsed_time=float(row.elapsed_time_s),
        distance=row.distance_m,
        total_elevation_gain=row.elevation_gain_m,
        average_watts=row.average_watts,
        weighted_average_watts=row.weighted_average_watts,
        device_watts=row.device_watts,
        kilojoules=row.kilojoules,
        average_heartrate=row.average_heartrate or None,
        max_heartrate=row.max_heartrate or None,
        has_heartrate=row.average_heartrate is not None,
        trainer=row.trainer,
        manual=row.manual,
    )


def athlete_settings(athlete: Athlete) -> AthleteThresholds:
    return AthleteThresholds(
        ftp=athlete.ftp_watts,
        threshold_hr=athlete.threshold_hr,
        threshold_pace_s_per_km=athlete.threshold_pace_s_per_km,
        max_hr=athlete.max_hr,
        resting_hr=athlete.resting_hr,
        sex=_SEX.get(athlete.sex or "", Sex.UNKNOWN),
        weight_kg=athlete.weight_kg,
    )


def thresholds_for(session: Session, athlete: Athlete, today: date) -> ResolvedThresholds:
    """The athlete's settings, with estimates from their own history where unset."""
    rows = session.scalars(select(Activity).where(Activity.athlete_id == athlete.id)).all()
    return resolve_thresholds(
        athlete_settings(athlete), [coach_activity(row) for row in rows], today=today
    )


def compute_loads(
    sessions: sessionmaker[Session], athlete_id: int, today: date, only_missing: bool = True
) -> int:
    """Compute (or recompute) each activity's load and method; returns how many changed."""
    with transaction(sessions) as session:
        athlete = session.get(Athlete, athlete_id)
        if athlete is None:
            return 0
        thresholds = thresholds_for(session, athlete, today).as_thresholds()
        query = select(Activity).where(Activity.athlete_id == athlete_id)
        if only_missing:
            query = query.where(Activity.load.is_(None))
        rows: Sequence[Activity] = session.scalars(query).all()
        # Imported from files: the streams are here, so the load is the true one.
        from fitcoach.files import coach_activity_with_streams  # files builds on this module

        for row in rows:
            streams = session.get(ActivityStreams, row.id) if row.source != "strava_api" else None
            view = coach_activity_with_streams(row, streams.streams if streams else None)
            result = activity_load(view, thresholds)
            row.load = round(result.load, 1)
            row.load_method = result.method.value
        return len(rows)
