"""Planned sessions matched with what was done: done, partly done, moved, missed, extra."""

from datetime import date, timedelta

import pytest
from coach_factories import THRESHOLDS, activity

from fitcoach.coach import (
    Done,
    Phase,
    PlannedDay,
    Reason,
    Status,
    WorkoutType,
    build_workout,
    compliance,
    rest_workout,
)

MONDAY = date(2025, 1, 6)


def planned(offset: int, sport: str = "ride", kind: WorkoutType = WorkoutType.ENDURANCE):
    workout = (
        build_workout(sport, kind, 60, THRESHOLDS)
        if kind is not WorkoutType.REST
        else (rest_workout())
    )
    return PlannedDay(MONDAY + timedelta(days=offset), Phase.BASE, workout, Reason("", {}), 2.0)


def did(offset: int, load: float, sport_type: str = "Ride", seconds: float = 3600.0) -> Done:
    return Done(activity(sport_type, seconds, MONDAY + timedelta(days=offset)), load)


def test_statuses() -> None:
    plan = [
        planned(0),  # done
        planned(1),  # partly done
        planned(2, "run"),  # moved to Thursday
        planned(3, kind=WorkoutType.REST),  # rest: not a session
        planned(4),  # missed
        planned(6),  # upcoming (today is Sunday, not yet done)
    ]
    full = plan[0].workout.load
    done = [
        did(0, full * 1.1),
        did(1, full * 0.5, seconds=1800),
        did(3, 40.0, "Run", 2400),
        did(5, 30.0, "Swim", 1800),  # extra
    ]
    report = compliance(plan, done, today=MONDAY + timedelta(days=6))
    by_day = {s.planned_day or s.done_day: s for s in report.sessions}
    assert by_day[MONDAY].status is Status.DONE
    assert by_day[MONDAY].load_ratio == pytest.approx(1.1)
    partly = by_day[MONDAY + timedelta(days=1)]
    assert partly.status is Status.PARTLY_DONE
    assert partly.duration_ratio == pytest.approx(0.5) and partly.load_ratio == pytest.approx(0.5)
    moved = by_day[MONDAY + timedelta(days=2)]
    assert moved.status is Status.MOVED and moved.done_day == MONDAY + timedelta(days=3)
    assert by_day[MONDAY + timedelta(days=4)].status is Status.MISSED
    assert by_day[MONDAY + timedelta(days=6)].status is Status.UPCOMING
    extra = by_day[MONDAY + timedelta(days=5)]
    assert extra.status is Status.EXTRA and extra.load_ratio is None
    assert report.counts[Status.DONE] == 1 and report.counts[Status.EXTRA] == 1
    assert len(report.sessions) == 6
    # totals cover what was due: upcoming sessions are not counted yet
    due = [s for s in report.sessions if s.status is not Status.UPCOMING]
    assert report.planned_load == pytest.approx(sum(s.planned_load for s in due))
    assert report.done_load == pytest.approx(full * 1.6 + 70.0)


def test_two_activities_of_a_day_make_one_session() -> None:
    plan = [planned(0)]
    load = plan[0].workout.load
    report = compliance(plan, [did(0, load / 2), did(0, load / 2)], today=MONDAY)
    (session,) = report.sessions
    assert session.status is Status.DONE and len(session.activities) == 2
    assert session.load_ratio == pytest.approx(1.0)


def test_an_activity_in_another_week_is_not_a_move() -> None:
    report = compliance([planned(0)], [did(7, 50.0)], today=MONDAY + timedelta(days=8))
    assert sorted(s.status for s in report.sessions) == [Status.EXTRA, Status.MISSED]
