"""Planned weeks reach the target they show; a target under what the week asks says why."""

from datetime import date, timedelta

from coach_factories import DETERMINISTIC, THRESHOLDS
from hypothesis import given, settings
from hypothesis import strategies as st
from plan_factories import requests

from fitcoach.coach import (
    Availability,
    DoneLoad,
    GoalEvent,
    Phase,
    Plan,
    PlannedWeek,
    PlanRequest,
    WeekKind,
    WeekLimit,
    WorkoutType,
    adapt_plan,
    plan_training,
)
from fitcoach.coach.planning import TARGET_SHARE
from fitcoach.coach.workouts import duration_range

PROPERTIES = settings(DETERMINISTIC, max_examples=40)
TODAY = date(2025, 1, 6)  # a Monday
# A load week's planned load reaches at least this share of its target.
CLOSE = TARGET_SHARE
LOADING = (Phase.BASE, Phase.BUILD, Phase.PEAK, Phase.MAINTAIN)


def _loading(week: PlannedWeek) -> bool:
    return week.kind is WeekKind.LOAD and all(d.phase in LOADING for d in week.days)


@PROPERTIES
@given(requests())
def test_load_weeks_plan_within_3_percent_of_their_target(req: PlanRequest) -> None:
    plan = plan_training(req)
    for week in plan.weeks:
        assert week.planned_load <= week.target_load + 1e-6
        if _loading(week):
            assert week.planned_load >= CLOSE * week.target_load, week


@PROPERTIES
@given(requests(), st.integers(1, 12), st.floats(0, 2))
def test_a_target_under_what_the_week_asks_for_says_why(
    req: PlanRequest, days_on: int, done_share: float
) -> None:
    plan = plan_training(req)
    # and the next version, a first day done more or less than planned
    today = min(plan.start + timedelta(days=days_on), plan.end)
    done = [DoneLoad(plan.start, plan.days[0].workout.load * done_share)]
    _says_why(plan)
    _says_why(adapt_plan(plan, done, today=today))


def _says_why(plan: Plan) -> None:
    for week in plan.weeks:
        assert week.asked_load is not None
        assert week.target_load <= week.asked_load + 1e-6
        if week.limit is None:
            assert week.target_load == week.asked_load
            assert week.limit_reason is None
        else:
            assert week.target_load < week.asked_load
            reason = week.limit_reason
            assert reason is not None
            assert f"target {round(week.target_load)} " in reason.text
            assert f"asks for {round(week.asked_load)}" in reason.text


def test_a_week_the_athletes_time_cannot_hold_shows_what_it_can() -> None:
    # CTL 45, 11 h over five days: a 6 CTL/week ramp asks for ~590 a week, the 11 h hold
    # ~520 at most (every session at the longest its type and day allow)
    availability = Availability.of({"tue": 1.5, "wed": 1.0, "thu": 1.5, "sat": 3, "sun": 4})
    goal = GoalEvent("Spring race", TODAY + timedelta(weeks=12, days=6), "A", "Ride")
    plan = plan_training(PlanRequest(TODAY, 45.0, 50.0, THRESHOLDS, availability, goal=goal))
    week = plan.weeks[0]
    assert week.kind is WeekKind.LOAD and week.limit is WeekLimit.TIME
    assert week.asked_load is not None and week.asked_load > 1.1 * week.target_load
    assert week.planned_load >= CLOSE * week.target_load
    for day in week.days:
        minutes = availability.minutes(day.day)
        w = day.workout
        if minutes >= 30:
            longest = min(duration_range(w.sport, w.type)[1], minutes)
            assert w.type is not WorkoutType.REST and w.duration_s == longest * 60
    reason = week.limit_reason
    assert reason is not None and "longest session" in reason.text
    assert reason.numbers["available_h"] == 11.0


def test_a_week_with_time_to_spare_is_cut_only_as_far_as_the_ramp_and_form_need() -> None:
    roomy = Availability.of({"tue": 2, "wed": 2, "thu": 2, "fri": 1.5, "sat": 5, "sun": 5})
    plan = plan_training(PlanRequest(TODAY, 30.0, 20.0, THRESHOLDS, roomy))
    week = plan.weeks[0]
    assert week.asked_load is not None and week.limit is not WeekLimit.TIME
    # the loads weigh more toward the long weekend than the ramp formula's even days
    # assume, so the ramp check takes its share: only what it must, a few percent here
    assert week.target_load >= 0.97 * week.asked_load
    assert week.planned_load >= CLOSE * week.target_load
