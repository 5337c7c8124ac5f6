"""Compliance: the planned sessions against the activities actually done.

Matching (docs/metrics.md, "Compliance"): a planned session and the activities of the
same sport family on the same day make one session (several activities are summed);
a planned session with nothing that day takes an unmatched activity of its family done
on another day of the same ISO week ("moved"); what is left is "missed" (once its day
has passed) and "extra". A session counts as done when its load reaches DONE_SHARE of
the planned load, partly done below that.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Final

from fitcoach.coach import sports
from fitcoach.coach.load import activity_load
from fitcoach.coach.models import Activity, AthleteThresholds
from fitcoach.coach.planning import DoneLoad, PlannedDay
from fitcoach.coach.workouts import Workout, WorkoutType

DONE_SHARE: Final = 0.8


class Status(StrEnum):
    """What became of a planned session, or an activity nobody planned."""

    DONE = "done"
    PARTLY_DONE = "partly_done"
    MISSED = "missed"
    EXTRA = "extra"
    MOVED = "moved"
    UPCOMING = "upcoming"


@dataclass(frozen=True)
class Done:
    """An activity actually done, with its load (from load.activity_load)."""

    activity: Activity
    load: float

    @property
    def day(self) -> date:
        return self.activity.start_date_local.date()

    @property
    def family(self) -> str:
        return sports.sport_family(self.activity.sport_type)

    @property
    def duration_s(self) -> float:
        return self.activity.duration_s


def done_activity(activity: Activity, thresholds: AthleteThresholds) -> Done:
    """An activity with its load computed as for every other activity."""
    return Done(activity, activity_load(activity, thresholds).load)


def done_loads(done: Sequence[Done]) -> list[DoneLoad]:
    """Loads per activity day, as plan adaptation takes them."""
    return [DoneLoad(d.day, d.load) for d in done]


@dataclass(frozen=True)
class SessionCompliance:
    """One planned session (or one extra activity) and what was done for it."""

    status: Status
    sport: str
    planned_day: date | None
    done_day: date | None
    workout: Workout | None
    activities: tuple[Done, ...]
    planned_s: float
    done_s: float
    planned_load: float
    done_load: float

    @property
    def duration_ratio(self) -> float | None:
        """Done over planned duration; None for an extra activity."""
        return self.done_s / self.planned_s if self.planned_s > 0 else None

    @property
    def load_ratio(self) -> float | None:
        """Done over planned load; None for an extra activity."""
        return self.done_load / self.planned_load if self.planned_load > 0 else None


@dataclass(frozen=True)
class ComplianceReport:
    """Every session and the totals of those that were due (before today, or done)."""

    sessions: tuple[SessionCompliance, ...]
    planned_load: float
    done_load: float
    planned_s: float
    done_s: float
    counts: Mapping[Status, int]

    @property
    def load_ratio(self) -> float | None:
        return self.done_load / self.planned_load if self.planned_load > 0 else None

    @property
    def duration_ratio(self) -> float | None:
        return self.done_s / self.planned_s if self.planned_s > 0 else None


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def compliance(
    planned: Sequence[PlannedDay], done: Sequence[Done], *, today: date
) -> ComplianceReport:
    """Match ``planned`` days (rest days are not sessions) with ``done`` activities."""
    sessions = [p for p in planned if p.workout.type is not WorkoutType.REST]
    by_key: dict[tuple[date, str], list[Done]] = {}
    for d in done:
        by_key.setdefault((d.day, d.family), []).append(d)
    used: set[tuple[date, str]] = set()
    results: list[SessionCompliance] = []
    unmatched: list[PlannedDay] = []
    for p in sessions:
        key = (p.day, p.workout.sport)
        if key in by_key and key not in used:
            used.add(key)
            results.append(_session(p, by_key[key], p.day, moved=False))
        else:
            unmatched.append(p)
    for p in unmatched:
        spare = sorted(
            (k for k in by_key if k not in used and k[1] == p.workout.sport),
            key=lambda k: (abs((k[0] - p.day).days), k[0]),
        )
        same_week = [k for k in spare if _monday(k[0]) == _monday(p.day) and k[0] <= today]
        if same_week:
            k = same_week[0]
            used.add(k)
            results.append(_session(p, by_key[k], k[0], moved=True))
        else:
            status = Status.MISSED if p.day < today else Status.UPCOMING
            results.append(
                SessionCompliance(
                    status,
                    p.workout.sport,
                    p.day,
                    None,
                    p.workout,
                    (),
                    p.workout.duration_s,
                    0.0,
                    p.workout.load,
                    0.0,
                )
            )
    for key, acts in by_key.items():
        if key not in used:
            results.append(
                SessionCompliance(
                    Status.EXTRA,
                    key[1],
                    None,
                    key[0],
                    None,
                    tuple(acts),
                    0.0,
                    sum(a.duration_s for a in acts),
                    0.0,
                    sum(a.load for a in acts),
                )
            )
    results.sort(key=lambda s: (s.planned_day or s.done_day or today, s.sport))
    due = [s for s in results if s.status is not Status.UPCOMING]
    counts = {status: sum(1 for s in results if s.status is status) for status in Status}
    return ComplianceReport(
        tuple(results),
        sum(s.planned_load for s in due),
        sum(s.done_load for s in due),
        sum(s.planned_s for s in due),
        sum(s.done_s for s in due),
        counts,
    )


def _session(p: PlannedDay, acts: list[Done], day: date, *, moved: bool) -> SessionCompliance:
    load = sum(a.load for a in acts)
    seconds = sum(a.duration_s for a in acts)
    planned = p.workout.load
    if moved:
        status = Status.MOVED
    elif planned <= 0 or load >= DONE_SHARE * planned:
        status = Status.DONE
    else:
        status = Status.PARTLY_DONE
    return SessionCompliance(
        status,
        p.workout.sport,
        p.day,
        day,
        p.workout,
        tuple(acts),
        p.workout.duration_s,
        seconds,
        planned,
        load,
    )
