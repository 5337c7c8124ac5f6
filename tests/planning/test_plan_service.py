"""The planning service on a real database: a goal makes a plan kept as version 1; every
change and re-plan is a new version with what changed and why; the athlete's changes are
kept; bad input changes nothing; a stored version comes back exactly."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from fitcoach import migrations
from fitcoach.coach import GoalEvent, WorkoutType, weekly_ramps
from fitcoach.core.db import make_engine, session_factory, transaction
from fitcoach.models import PlannedWorkout, PlanVersion
from fitcoach.planning import service
from fitcoach.planning.codec import plan_json, plan_of
from fitcoach.planning.errors import NoPlan, PlanInputError, WorkoutNotFound
from fitcoach.planning.schemas import GoalSettings, spread_hours
from fitcoach.planning.tasks import replan_all
from tests.planning.plan_support import ATHLETE, STRANGER, TODAY, add_ride, morning, seed

GOAL_DAY = TODAY + timedelta(weeks=12)
SETTINGS = GoalSettings(
    GoalEvent("Spring 100", GOAL_DAY, "A", "ride"), spread_hours(8), ("ride", "run")
)


@pytest.fixture
def sessions(database_url: URL) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    migrations.upgrade(engine)
    factory = session_factory(engine)
    seed(factory)
    yield factory
    engine.dispose()


def versions(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(PlanVersion)) or 0)


def first_session(sessions: sessionmaker[Session], on_or_after: date) -> PlannedWorkout:
    with sessions() as session:
        rows = service.repository.workouts_of(session, ATHLETE)
        return next(w for w in rows if w.day >= on_or_after)


def test_a_goal_makes_a_stored_plan_that_comes_back_exactly(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        made = service.set_goal(session, ATHLETE, SETTINGS, now=morning(TODAY))
    assert made.version == 1 and made.start == TODAY and made.end == GOAL_DAY
    assert made.request.ctl > 0  # from the stored history, not a default
    with sessions() as session:
        stored = service.current_plan(session, ATHLETE)
        rows = service.repository.workouts_of(session, ATHLETE)
    assert stored == made
    assert plan_of(plan_json(made)) == made
    planned = [p for p in made.days if p.workout.type is not WorkoutType.REST]
    assert [(r.day, r.sport, r.planned_load) for r in rows] == [
        (p.day, p.workout.sport, p.workout.load) for p in planned
    ]
    assert all(r.reason for r in rows)
    # The goal became the athlete's goal event too (the dashboard's taper advice).
    with sessions() as session:
        athlete = service.repository.get_athlete(session, ATHLETE)
        assert athlete is not None and athlete.goal_event_date == GOAL_DAY


def test_skip_makes_a_version_keeps_the_change_and_replans_the_week(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        first = service.set_goal(session, ATHLETE, SETTINGS, now=morning(TODAY))
    target = first_session(sessions, TODAY + timedelta(days=1))
    with transaction(sessions) as session:
        skipped = service.skip_workout(session, ATHLETE, target.id, now=morning(TODAY))
    assert skipped.version == 2
    day = skipped.day(target.day)
    assert day.workout.type is WorkoutType.REST and day.locked
    week = next(w for w in skipped.weeks if w.start <= target.day <= w.days[-1].day)
    old_week = next(w for w in first.weeks if w.start == week.start)
    # The week keeps what it asked for; its target drops only by what the other days
    # cannot make up, and then says why.
    assert week.asked_load == pytest.approx(old_week.asked_load)
    assert week.target_load <= old_week.target_load + 1e-6
    if week.target_load < old_week.target_load - 1e-6:
        assert week.limit is not None and week.limit_reason is not None
    # The other days of the week carry more than they did: the skipped load moved.
    others = [p.workout.load for p in week.days if p.day != target.day]
    before = [p.workout.load for p in old_week.days if p.day != target.day]
    assert sum(others) > sum(before)
    with sessions() as session:
        latest = service.repository.latest_version(session, ATHLETE)
        assert latest is not None and latest.cause == "skip"
        assert any(c["day"] == target.day.isoformat() for c in latest.changes)
        assert service.repository.workout_of(session, ATHLETE, target.id) is None
    # The next morning's re-plan (nothing done on Monday) keeps the athlete's change.
    with transaction(sessions) as session:
        later = service.replan(session, ATHLETE, now=morning(TODAY + timedelta(days=1)))
    assert later is not None and later.version == 3
    assert later.day(target.day).workout.type is WorkoutType.REST
    assert later.day(target.day).locked


def test_move_swap_and_add_are_kept_as_the_athlete_chose(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        service.set_goal(session, ATHLETE, SETTINGS, now=morning(TODAY))
    a = first_session(sessions, TODAY + timedelta(days=1))
    with sessions() as session:
        plan = service.current_plan(session, ATHLETE)
    friday = TODAY + timedelta(days=4)
    assert plan.day(friday).workout.type is WorkoutType.REST  # no time on Fridays
    with transaction(sessions) as session:
        moved = service.move_workout(session, ATHLETE, a.id, friday, now=morning(TODAY))
    assert moved.day(friday).workout == plan.day(a.day).workout
    assert moved.day(a.day).workout.type is WorkoutType.REST
    b, c = (
        first_session(sessions, TODAY + timedelta(days=7)),
        first_session(sessions, TODAY + timedelta(days=9)),
    )
    with sessions() as session:
        before = service.current_plan(session, ATHLETE)
    with transaction(sessions) as session:
        swapped = service.swap_workouts(session, ATHLETE, b.id, c.id, now=morning(TODAY))
    assert swapped.day(b.day).workout == before.day(c.day).workout
    assert swapped.day(c.day).workout == before.day(b.day).workout
    with transaction(sessions) as session:
        added = service.add_workout(
            session, ATHLETE, TODAY + timedelta(days=12), "run", "endurance", 45, now=morning(TODAY)
        )
    assert added.day(TODAY + timedelta(days=12)).workout.sport == "run"
    assert added.version == 4
    assert added.day(friday).locked and added.day(b.day).locked


def test_bad_changes_are_refused_and_change_nothing(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(NoPlan), transaction(sessions) as session:
        service.add_workout(session, ATHLETE, TODAY, "ride", "endurance", 60, now=morning(TODAY))
    with transaction(sessions) as session:
        plan = service.set_goal(session, ATHLETE, SETTINGS, now=morning(TODAY))
    a = first_session(sessions, TODAY)
    refusals = [
        lambda s: service.move_workout(
            s, ATHLETE, a.id, TODAY - timedelta(days=1), now=morning(TODAY)
        ),
        lambda s: service.move_workout(
            s, ATHLETE, a.id, plan.end + timedelta(days=1), now=morning(TODAY)
        ),
        lambda s: service.add_workout(
            s, ATHLETE, TODAY, "ride", "juggling", 60, now=morning(TODAY)
        ),
        lambda s: service.add_workout(
            s, ATHLETE, TODAY, "ride", "threshold", 7, now=morning(TODAY)
        ),
    ]
    for refuse in refusals:
        with pytest.raises(PlanInputError), transaction(sessions) as session:
            refuse(session)
    # Another athlete's session is not found, whatever its id.
    with pytest.raises(WorkoutNotFound), transaction(sessions) as session:
        service.skip_workout(session, STRANGER, a.id, now=morning(TODAY))
    assert versions(sessions) == 1
    with sessions() as session:
        assert service.current_plan(session, ATHLETE) == plan
    with pytest.raises(PlanInputError), transaction(sessions) as session:
        too_far = GoalSettings(
            GoalEvent("Far", TODAY + timedelta(days=400), "A", "ride"), spread_hours(8), ("ride",)
        )
        service.set_goal(session, ATHLETE, too_far, now=morning(TODAY))
    assert versions(sessions) == 1


def test_a_missed_week_is_replanned_by_the_task_within_the_ramp_and_to_the_goal(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        first = service.set_goal(session, ATHLETE, SETTINGS, now=morning(TODAY))
    # The first week missed entirely, one long ride on the next Monday.
    later = TODAY + timedelta(days=8)
    with transaction(sessions) as session:
        add_ride(session, ATHLETE, TODAY + timedelta(days=7), 140.0, 9001, minutes=180)
    assert replan_all(sessions, morning(later)) == 1
    assert replan_all(sessions, morning(later)) == 0  # checked today already
    with sessions() as session:
        plan = service.current_plan(session, ATHLETE)
        latest = service.repository.latest_version(session, ATHLETE)
    assert plan.version == 2 and latest is not None and latest.cause == "replan"
    assert plan.end == GOAL_DAY == first.end
    assert plan.day(TODAY + timedelta(days=7)).done_load == pytest.approx(140.0)
    assert all(plan.day(TODAY + timedelta(days=i)).done_load == 0.0 for i in range(7))
    ramp_limit = plan.request.rules.ramp_limit
    assert max(weekly_ramps(plan)) <= ramp_limit + 1e-6
    assert plan.changes  # what changed, and why, in numbers
    assert all(c.reason.text for c in plan.changes)


def test_the_calendar_secret_rotates(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        service.set_goal(session, ATHLETE, SETTINGS, now=morning(TODAY))
        old = service.feed_token(session, ATHLETE)
    with transaction(sessions) as session:
        new = service.rotate_feed(session, ATHLETE)
    assert new != old and len(new) >= 32
    with sessions() as session:
        assert service.plan_for_feed(session, new).version == 1
        with pytest.raises(service.FeedNotFound):
            service.plan_for_feed(session, old)


def test_spread_hours_keeps_the_week_and_refuses_nonsense() -> None:
    assert sum(spread_hours(8).hours) == pytest.approx(8, abs=0.5)
    assert spread_hours(8).hours[0] == 0 and spread_hours(8).hours[4] == 0
    for bad in (0, -1, 200):
        with pytest.raises(PlanInputError):
            spread_hours(bad)
