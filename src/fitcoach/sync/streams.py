"""An activity's streams: fetched from Strava on first view, through the budget, then kept."""

from __future__ import annotations

from sqlalchemy import select

from fitcoach.store.engine import transaction
from fitcoach.store.models import Activity, ActivityStreams
from fitcoach.strava.budget import Priority
from fitcoach.sync.context import SyncContext

STREAM_KEYS = ("time", "watts", "heartrate", "velocity_smooth", "altitude", "grade_smooth")


def activity_streams(
    context: SyncContext, athlete_id: int, activity_id: int
) -> dict[str, list[float]] | None:
    """The stored streams, or one Strava call for them (a person is waiting).

    Returns None for an activity that is not the athlete's, and an empty dict for one
    without streams (manual entries). Strava errors (budget, rate limit, outage) propagate
    so the page can say why the charts are missing.
    """
    with context.sessions() as session:
        owner = session.scalar(select(Activity.athlete_id).where(Activity.id == activity_id))
        if owner != athlete_id:
            return None
        stored = session.get(ActivityStreams, activity_id)
        if stored is not None:
            return {key: list(values) for key, values in stored.streams.items()}
        manual = session.scalar(select(Activity.manual).where(Activity.id == activity_id))
    if manual:
        return {}
    token = context.token(athlete_id)
    fetched = context.strava.streams(
        token, activity_id, STREAM_KEYS, priority=Priority.INTERACTIVE, athlete_id=athlete_id
    )
    streams = {key: list(stream.data) for key, stream in fetched.items()}
    with transaction(context.sessions) as session:
        if session.get(ActivityStreams, activity_id) is None:
            session.add(ActivityStreams(activity_id=activity_id, streams=streams))
    return streams
