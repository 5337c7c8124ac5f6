"""Best efforts: each activity's curves, computed once when its streams are stored, and
the best of a range of them, each point with the activity it came from.

Kinds: ``power`` and ``heart_rate`` (best mean per duration, ``coach.curves.best_means``),
``run_pace`` and ``swim_pace`` (shortest time per standard distance,
``coach.curves.best_times``). A range is merged from the stored curves on read: no page
view ever parses a stream.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from fitcoach.activities import repository
from fitcoach.coach import best_means, sports
from fitcoach.coach.curves import RUN_DISTANCES_M, SWIM_DISTANCES_M, CurvePoint, best_times
from fitcoach.coach.errors import CoachError
from fitcoach.core.db import transaction

log = logging.getLogger("fitcoach.activities.curves")

POWER, HEART_RATE, RUN_PACE, SWIM_PACE = "power", "heart_rate", "run_pace", "swim_pace"
KINDS = (POWER, HEART_RATE, RUN_PACE, SWIM_PACE)
# Curves of durations (higher is better) and of distances (a shorter time is better).
BY_DURATION = (POWER, HEART_RATE)


def curves_of(sport_type: str, streams: Mapping[str, Any]) -> dict[str, list[CurvePoint]]:
    """The curves an activity's streams give; a stream the maths refuses (lengths that
    disagree) gives no curve of its kind rather than stopping the others."""

    def present(key: str) -> Any:
        # Lists from the store, arrays from a caller: an empty stream is no stream.
        values = streams.get(key)
        return values if values is not None and len(values) else None

    time = present("time")
    found: dict[str, list[CurvePoint]] = {}

    def attempt(kind: str, compute: Any) -> None:
        try:
            points = compute()
        except CoachError as error:
            log.warning("curve not computed", extra={"kind": kind, "error": str(error)})
            return
        if points:
            found[kind] = points

    watts, heart, distance = present("watts"), present("heartrate"), present("distance")
    if watts is not None:
        attempt(POWER, lambda: best_means(watts, time=time))
    if heart is not None:
        attempt(HEART_RATE, lambda: best_means(heart, time=time))
    family = sports.sport_family(sport_type)
    if distance is not None and time is not None and family in (sports.RUN, sports.SWIM):
        run = family == sports.RUN
        kind, standard = (RUN_PACE, RUN_DISTANCES_M) if run else (SWIM_PACE, SWIM_DISTANCES_M)
        attempt(kind, lambda: best_times(distance, time, standard))
    return found


def store_curves(
    session: Session,
    activity_id: int,
    athlete_id: int,
    start_date: datetime,
    sport_type: str,
    streams: Mapping[str, Any],
) -> int:
    """Compute and keep (replacing what was kept) the activity's curves; how many kinds."""
    curves = curves_of(sport_type, streams)
    repository.replace_curves(
        session,
        activity_id,
        athlete_id,
        start_date,
        {kind: [[p.key, p.value] for p in points] for kind, points in curves.items()},
    )
    return len(curves)


@dataclass(frozen=True)
class BestPoint:
    """The best value at one duration (s) or distance (m) of a range, and its activity."""

    key: float
    value: float
    activity_id: int
    start_date: datetime


def merge_sourced(
    curves: Iterable[tuple[int, datetime, Sequence[Sequence[float]]]], kind: str
) -> list[BestPoint]:
    """The best of each point over stored curves ``(activity_id, start_date, points)``:
    the highest power or heart rate, the shortest time; a tie goes to the earlier effort."""
    higher = kind in BY_DURATION
    best: dict[float, BestPoint] = {}
    for activity_id, start_date, points in curves:
        for key, value in points:
            known = best.get(key)
            better = known is None or (
                value > known.value or (value == known.value and start_date < known.start_date)
                if higher
                else value < known.value or (value == known.value and start_date < known.start_date)
            )
            if better:
                best[key] = BestPoint(float(key), float(value), activity_id, start_date)
    return [best[key] for key in sorted(best)]


FILL_BATCH = 200


def fill_curves(sessions: sessionmaker[Session], batch: int = FILL_BATCH) -> tuple[int, int]:
    """Compute the curves of every activity stored with streams before curves were kept,
    a batch per transaction (safe to stop and run again); (activities read, curves kept)."""
    after, read, kept = 0, 0, 0
    while True:
        with transaction(sessions) as session:
            rows = repository.activities_without_curves(session, after, batch)
            for activity_id, athlete_id, start_date, sport_type, streams in rows:
                kept += store_curves(
                    session, activity_id, athlete_id, start_date, sport_type, streams
                )
        if not rows:
            return read, kept
        read += len(rows)
        after = rows[-1][0]
