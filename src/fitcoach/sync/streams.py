"""An activity's streams: fetched from Strava on first view, through the budget, then kept
(and its load computed from them)."""

from __future__ import annotations

from fitcoach.activities import repository
from fitcoach.activities.curves import store_curves
from fitcoach.activities.loads import compute_stream_loads
from fitcoach.core.db import transaction
from fitcoach.strava.budget import Priority
from fitcoach.sync.context import SyncContext

# ``distance`` gives the pace curve, ``cadence`` the activity chart; they come in the
# same call as the others.
STREAM_KEYS = (
    "time",
    "distance",
    "watts",
    "heartrate",
    "velocity_smooth",
    "altitude",
    "grade_smooth",
    "cadence",
)


def activity_streams(
    context: SyncContext, athlete_id: int, activity_id: int
) -> dict[str, list[float]] | None:
    """The stored streams, or one Strava call for them (a person is waiting).

    Returns None for an activity that is not the athlete's, and an empty dict for one
    without streams (manual entries). Strava errors (budget, rate limit, outage) propagate
    so the page can say why the charts are missing.
    """
    with context.sessions() as session:
        activity = repository.get_activity(session, activity_id)
        if activity is None or activity.athlete_id != athlete_id:
            return None
        stored = repository.stored_streams(session, activity_id)
        if stored is not None:
            return {key: list(values) for key, values in stored.items()}
        strava_id, manual = activity.strava_id, activity.manual
        start_date, sport_type = activity.start_date, activity.sport_type
    if manual or strava_id is None:
        return {}  # nothing recorded, or nothing Strava could give
    token = context.token(athlete_id)
    fetched = context.strava.streams(
        token, strava_id, STREAM_KEYS, priority=Priority.INTERACTIVE, athlete_id=athlete_id
    )
    streams = {key: list(stream.data) for key, stream in fetched.items()}
    with transaction(context.sessions) as session:
        kept = repository.keep_streams(session, activity_id, streams)
        if kept:
            store_curves(session, activity_id, athlete_id, start_date, sport_type, streams)
    if kept:
        # The streams change the answer: a run's intervals, a ride's heart rate.
        compute_stream_loads(context.sessions, athlete_id, [activity_id], context.clock().date())
    return streams
