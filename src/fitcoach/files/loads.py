"""Training load of imported activities, from their streams.

An imported activity has its full recording, so its load comes from the streams (power
stream → normalized power; heart-rate stream → TRIMP; pace stream → running TSS) rather
than from averages. Thresholds are estimated once, after the import, from the whole
history, so the first archive import does not compute years of loads with none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from fitcoach import coach
from fitcoach.coach import CoachError, Streams, activity_load
from fitcoach.store.engine import transaction
from fitcoach.store.models import Activity, ActivityStreams, Athlete
from fitcoach.sync.loads import coach_activity, thresholds_for

_STREAM_FIELDS = ("time", "watts", "heartrate", "velocity_smooth", "altitude", "grade_smooth")
_BATCH = 50


def coach_streams(streams: dict[str, Any] | None) -> Streams | None:
    """The coach's Streams from stored ones, or None when there are none usable."""
    if not streams or "time" not in streams:
        return None
    present = {key: streams[key] for key in (*_STREAM_FIELDS, "distance") if key in streams}
    try:
        return Streams(**present)
    except CoachError:
        return None  # uneven lengths: the summary still gives a load


def coach_activity_with_streams(row: Activity, streams: dict[str, Any] | None) -> coach.Activity:
    """The coach's view of a stored activity, with its stored streams when it has them."""
    base = coach_activity(row)
    found = coach_streams(streams)
    return replace(base, streams=found) if found is not None else base


def compute_stream_loads(
    sessions: sessionmaker[Session], athlete_id: int, activity_ids: Sequence[int], today: date
) -> int:
    """Compute the load of these activities from their streams; returns how many."""
    with sessions() as session:
        athlete = session.get(Athlete, athlete_id)
        if athlete is None:
            return 0
        thresholds = thresholds_for(session, athlete, today).as_thresholds()
    done = 0
    for first in range(0, len(activity_ids), _BATCH):
        chunk = list(activity_ids[first : first + _BATCH])
        with transaction(sessions) as session:
            rows = session.scalars(select(Activity).where(Activity.id.in_(chunk))).all()
            query = select(ActivityStreams.activity_id, ActivityStreams.streams).where(
                ActivityStreams.activity_id.in_(chunk)
            )
            streams: dict[int, dict[str, Any]] = {
                activity_id: values for activity_id, values in session.execute(query)
            }
            for row in rows:
                result = activity_load(
                    coach_activity_with_streams(row, streams.get(row.id)), thresholds
                )
                row.load = round(result.load, 1)
                row.load_method = result.method.value
                done += 1
    return done
