"""Training load for stored activities: computed on ingest, recomputed when settings change.

The maths is ``fitcoach.coach``; this module decides which activities to (re)compute and
turns store rows into the coach's plain data and back. Each activity is scored with the
thresholds in force on its start date (``athletes.thresholds.dated_thresholds``). An
activity whose streams are stored (the athlete's own files, or Strava's fetched for a page
or in spare budget) is scored from them: power stream → normalized power, heart-rate
stream → TRIMP, pace stream → running TSS, rather than from averages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from fitcoach import coach
from fitcoach.activities import repository
from fitcoach.athletes import repository as athletes
from fitcoach.athletes.repository import get_athlete
from fitcoach.athletes.thresholds import (
    DatedThresholds,
    activity_day,
    coach_activity,
    dated_thresholds,
)
from fitcoach.coach import AthleteThresholds, CoachError, Streams, activity_load
from fitcoach.core.clock import Clock
from fitcoach.core.db import transaction
from fitcoach.models import Activity

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


def _score(row: Activity, streams: dict[str, Any] | None, thresholds: AthleteThresholds) -> None:
    result = activity_load(coach_activity_with_streams(row, streams), thresholds)
    row.load = round(result.load, 1)
    row.load_method = result.method.value


def compute_loads(
    sessions: sessionmaker[Session], athlete_id: int, today: date, only_missing: bool = True
) -> int:
    """Compute (or recompute) each activity's load and method; returns how many changed.

    ``today`` is only the horizon of the threshold estimates used where no dated value is
    (``dated_thresholds``): the background tasks pass UTC's date, as a day either way moves
    an estimate over months of history by nothing a load would show."""
    with transaction(sessions) as session:
        athlete = get_athlete(session, athlete_id)
        if athlete is None:
            return 0
        dated = dated_thresholds(session, athlete, today)
        rows = repository.activities_needing_load(session, athlete_id, only_missing)
        # Wherever streams are stored (the athlete's files, Strava's fetched for a page or
        # in spare budget) the load is the true one, not the averages'. A batch at a time,
        # so a recompute of years of history never holds every stream in memory.
        for first in range(0, len(rows), _BATCH):
            chunk = rows[first : first + _BATCH]
            streams = repository.streams_of(session, [row.id for row in chunk])
            for row in chunk:
                _score(row, streams.get(row.id), dated.on(activity_day(row)))
        return len(rows)


def compute_stream_loads(
    sessions: sessionmaker[Session], athlete_id: int, activity_ids: Sequence[int], today: date
) -> int:
    """Compute the load of these activities from their streams; returns how many.

    Thresholds are estimated once, after an import, from the whole history, so the first
    archive import does not compute years of loads with none.
    """
    with sessions() as session:
        athlete = get_athlete(session, athlete_id)
        if athlete is None:
            return 0
        dated = dated_thresholds(session, athlete, today)
    return _score_in_batches(sessions, activity_ids, dated)


def _score_in_batches(
    sessions: sessionmaker[Session],
    activity_ids: Sequence[int],
    dated: DatedThresholds,
    after_batch: Callable[[int], bool] | None = None,
) -> int:
    """Score these activities a batch per transaction; ``after_batch`` is told how many
    are done and answers whether to go on."""
    done = 0
    for first in range(0, len(activity_ids), _BATCH):
        chunk = list(activity_ids[first : first + _BATCH])
        with transaction(sessions) as session:
            # Stored streams give the true load (own files, and Strava streams fetched).
            streams = repository.streams_of(session, chunk)
            for row in repository.activities_by_id(session, chunk):
                _score(row, streams.get(row.id), dated.on(activity_day(row)))
                done += 1
        if after_batch is not None and not after_batch(done):
            break
    return done


def recompute_requested(sessions: sessionmaker[Session], athlete_id: int, clock: Clock) -> int:
    """The athlete's requested recompute (``athletes.repository.request_recompute``): the
    loads of the activities from its day on (all without a request), a batch at a time,
    with its progress recorded after each; returns how many were scored. Stops early when
    a newer request takes over, as that one covers these activities too."""
    now = clock()
    with sessions() as session:
        athlete = get_athlete(session, athlete_id)
        if athlete is None:
            return 0
        request = athletes.recompute_of(session, athlete_id)
        since = None if request is None else request.since
        generation = None if request is None else request.generation
        dated = dated_thresholds(session, athlete, now.date())
        ids = repository.activity_ids_since(session, athlete_id, since)
    total = len(ids)

    def progress(done: int) -> bool:
        if generation is None:
            return True
        finished = clock() if done >= total else None
        with transaction(sessions) as session:
            return athletes.recompute_progress(
                session, athlete_id, generation, total=total, done=done, finished_at=finished
            )

    if not progress(0):
        return 0
    return _score_in_batches(sessions, ids, dated, progress)
