"""The periodised plan's rules, as properties over random athletes, goals and weeks."""

import itertools
from datetime import date, datetime, timedelta

import pytest
from coach_factories import DETERMINISTIC, THRESHOLDS
from hypothesis import given, settings
from plan_factories import requests

from fitcoach.coach import (
    Availability,
    CoachError,
    DoneLoad,
    GoalEvent,
    Phase,
    Plan,
    PlanRequest,
    WeekKind,
    WeekLimit,
    WorkoutType,
    activity_load,
    adapt_plan,
    executed_activity,
    hard_days_by_week,
    plan_training,
    weekly_ramps,
)
from fitcoach.coach.planning import (
    APPROACH_FLOOR,
    MAX_HARD_DAYS,
    RECOVERY_CUT,
    TAPER_CUT_MAX,
)
from fitcoach.coach.taper import TAPERS

PROPERTIES = settings(DETERMINISTIC, max_examples=25)
TODAY = date(2025, 1, 6)  # a Monday
WEEKDAYS_AND_WEEKEND = Availability.of({"tue": 1.5, "wed": 1.0, "thu": 1.5, "sat": 3, "sun": 4})


def request(weeks: int = 12, priority: str = "A", **fields: object) -> PlanRequest:
    goal = GoalEvent("Spring race", TODAY + timedelta(weeks=weeks, days=6), priority, "Ride")  # type: ignore[arg-type]
    values: dict[str, object] = {
        "today": TODAY,
        "ctl": 45.0,
        "atl": 50.0,
        "thresholds": THRESHOLDS,
        "availability": WEEKDAYS_AND_WEEKEND,
        "goal": goal,
    }
    values.update(fields)
    return PlanRequest(**values)  # type: ignore[arg-type]


@PROPERTIES
@given(requests())
def test_no_7_day_ramp_of_the_plan_exceeds_the_ramp_rule(req: PlanRequest) -> None:
    plan = plan_training(req)
    assert max(weekly_ramps(plan)) <= req.rules.ramp_limit + 1e-9
    # and the plan never sends form below the form rule's floor it did not start below
    tsb = plan.series().tsb
    assert min(tsb[1:].min(), 0.0) >= min(req.rules.form_floor, req.ctl - req.atl) - 1e-9


@PROPERTIES
@given(requests())
def test_planned_time_never_exceeds_the_time_available(req: PlanRequest) -> None:
    plan = plan_training(req)
    for week in plan.weeks:
        assert week.planned_s <= week.available_s + 1e-6
        for day in week.days:
            assert day.workout.duration_s <= day.available_h * 3600 + 1e-6
            if day.available_h == 0:
                assert day.workout.type is WorkoutType.REST


@PROPERTIES
@given(requests(goal=True, min_weeks=6))
def test_recovery_weeks_come_every_3rd_or_4th_week_and_cut_the_load(req: PlanRequest) -> None:
    plan = plan_training(req)
    pre_taper = [w for w in plan.weeks if w.kind is not WeekKind.TAPER]
    run = 0
    for week in pre_taper:
        run = 0 if week.kind is WeekKind.RECOVERY else run + 1
        assert run <= req.recovery_every - 1 or week.phase is Phase.PEAK
    if len(pre_taper) > req.recovery_every:
        assert any(w.kind is WeekKind.RECOVERY for w in pre_taper)
    for before, week in itertools.pairwise(pre_taper):
        if week.kind is WeekKind.RECOVERY and before.kind is WeekKind.LOAD:
            building = [d for d in before.days if d.phase in (Phase.BASE, Phase.BUILD)]
            if building:
                daily = sum(d.workout.load for d in building) / len(building)
                assert week.planned_load <= (1 - RECOVERY_CUT) * daily * len(week.days) + 1e-6


@PROPERTIES
@given(requests(goal=True))
def test_the_taper_matches_the_goals_priority(req: PlanRequest) -> None:
    plan = plan_training(req)
    goal, taper = req.goal, plan.taper
    assert goal is not None and taper is not None
    rules = TAPERS[goal.priority]
    assert plan.end == goal.day and plan.day(goal.day).phase is Phase.RACE
    assert taper.days == min(rules.taper_days, (goal.day - req.today).days)
    assert taper.start == goal.day - timedelta(days=taper.days)
    assert all((d.phase is Phase.TAPER) == (taper.start <= d.day < goal.day) for d in plan.days)
    assert taper.cut_range == (pytest.approx(rules.volume_reduction - 0.1), TAPER_CUT_MAX)
    assert taper.cut_range[0] - 1e-9 <= taper.load_cut <= taper.cut_range[1] + 1e-9
    assert taper.target_tsb == rules.target_tsb
    assert taper.race_day_tsb == pytest.approx(float(plan.series().tsb[-1]))
    low, _high = taper.target_tsb
    if not taper.in_band:
        # only when even the deepest allowed taper (or the mildest) cannot reach the band
        if taper.race_day_tsb < low:
            assert taper.load_cut == pytest.approx(TAPER_CUT_MAX)
            assert taper.approach_factor == pytest.approx(APPROACH_FLOOR)
        else:
            assert taper.load_cut == pytest.approx(taper.cut_range[0])
            assert taper.approach_factor == 1.0
    # no hard session in the last two days before the race
    assert not any(d.hard for d in plan.days if 0 < (goal.day - d.day).days <= 2)


@PROPERTIES
@given(requests())
def test_hard_days_are_at_most_three_a_week_and_never_back_to_back(req: PlanRequest) -> None:
    plan = plan_training(req)
    assert max(hard_days_by_week(plan)) <= MAX_HARD_DAYS
    days = plan.days
    for a, b in itertools.pairwise(days):
        assert not (a.hard and b.hard), (a.day, b.day)


@PROPERTIES
@given(requests())
def test_the_long_session_is_on_the_day_with_the_most_time(req: PlanRequest) -> None:
    plan = plan_training(req)
    for week in plan.weeks:
        for day in week.days:
            if day.workout.type is WorkoutType.LONG:
                same_block = [d.available_h for d in week.days if d.phase is day.phase]
                assert day.available_h == max(same_block)


@settings(DETERMINISTIC, max_examples=15)
@given(requests())
def test_planned_loads_are_what_load_py_computes_for_the_workouts(req: PlanRequest) -> None:
    plan = plan_training(req)
    for day in plan.days[:21]:
        w = day.workout
        if w.type is WorkoutType.REST:
            continue
        start = datetime.combine(day.day, datetime.min.time())
        recorded = activity_load(executed_activity(w, start), req.thresholds)
        assert w.load == recorded.load
        assert w.load_method is recorded.method


def test_a_plan_without_a_goal_covers_two_weeks_of_maintenance() -> None:
    plan = plan_training(request(goal=None))
    assert len(plan.days) == 14 and plan.taper is None
    assert {d.phase for d in plan.days} == {Phase.MAINTAIN}
    assert plan.weeks[0].planned_load > 0


def test_blocks_run_base_build_peak_taper_race() -> None:
    plan = plan_training(request(weeks=20))
    phases = [d.phase for d in plan.days]
    order = [p for i, p in enumerate(phases) if i == 0 or phases[i - 1] is not p]
    assert order == [Phase.BASE, Phase.BUILD, Phase.PEAK, Phase.TAPER, Phase.RACE]
    assert plan.taper is not None and plan.taper.in_band


def test_every_day_explains_itself_in_numbers() -> None:
    plan = plan_training(request())
    for day in plan.days:
        assert day.reason.text  # the template fills from its numbers
    hard = next(d for d in plan.days if d.hard and "days_since_hard" in d.reason.numbers)
    assert {"tsb", "days_since_hard", "week_pct"} <= set(hard.reason.numbers)
    assert hard.reason.text.startswith(hard.workout.type.value.replace("_", " "))
    race = plan.days[-1]
    assert race.event == "Spring race" and "race day" in race.reason.text


def test_a_goal_must_lie_ahead() -> None:
    with pytest.raises(CoachError, match="goal"):
        request(weeks=-1)


def _follow(plan: Plan, until: date, skip: set[date] = frozenset()) -> list[DoneLoad]:  # type: ignore[assignment]
    return [
        DoneLoad(d.day, d.workout.load)
        for d in plan.days
        if d.day < until and d.day not in skip and d.workout.load > 0
    ]


@settings(DETERMINISTIC, max_examples=25)
@given(requests(goal=True, min_weeks=4))
def test_replanning_after_a_missed_week_keeps_the_goal_and_the_ramp_limit(
    req: PlanRequest,
) -> None:
    plan = plan_training(req)
    first_monday = req.today + timedelta(days=7 - req.today.weekday())
    missed = {first_monday + timedelta(days=i) for i in range(7)}
    today = first_monday + timedelta(days=7)
    assert req.goal is not None
    if today >= req.goal.day:
        return
    new = adapt_plan(plan, _follow(plan, today, missed), today=today)
    assert new.version == 2 and new.as_of == today
    assert new.start == plan.start and new.end == req.goal.day == plan.end
    assert new.day(req.goal.day).phase is Phase.RACE
    assert max(weekly_ramps(new)) <= req.rules.ramp_limit + 1e-9
    assert all(d.done_load is not None for d in new.days if d.day < today)
    assert all(d.load == 0 for d in new.days if d.day in missed)
    assert new.taper is not None and new.taper.days == plan.taper.days  # type: ignore[union-attr]


ROOMY = Availability.of({"tue": 2, "wed": 2, "thu": 2, "fri": 1.5, "sat": 5, "sun": 5})


def test_a_missed_session_moves_load_to_the_rest_of_the_week() -> None:
    plan = plan_training(request(availability=ROOMY))
    week = plan.weeks[1]
    tuesday = week.days[1]
    assert tuesday.workout.type is not WorkoutType.REST
    today = tuesday.day + timedelta(days=1)
    new = adapt_plan(plan, _follow(plan, today, {tuesday.day}), today=today)
    after = [d for d in new.weeks[1].days if d.day >= today]
    before = [d for d in week.days if d.day >= today]
    assert sum(d.workout.load for d in after) > sum(d.workout.load for d in before)
    # the week keeps what it asked for; its target drops only by what the rest of the
    # week cannot make up within the ramp and form checks, and says so
    again = new.weeks[1]
    assert again.asked_load == week.asked_load
    assert again.target_load <= week.target_load
    if again.target_load < week.target_load:
        assert again.limit is WeekLimit.FORM and again.limit_reason is not None
    assert sum(d.load for d in again.days) <= again.target_load + 1e-6
    assert new.changes and all(c.day >= today for c in new.changes)
    assert all(c.reason.text for c in new.changes)


def test_an_overdone_session_takes_load_off_the_rest_of_the_week() -> None:
    plan = plan_training(request())
    week = plan.weeks[1]
    tuesday = week.days[1]
    today = tuesday.day + timedelta(days=1)
    done = [
        DoneLoad(d.day, d.workout.load * (2.0 if d.day == tuesday.day else 1.0))
        for d in plan.days
        if d.day < today
    ]
    new = adapt_plan(plan, done, today=today)
    after = sum(d.workout.load for d in new.weeks[1].days if d.day >= today)
    before = sum(d.workout.load for d in week.days if d.day >= today)
    assert after < before
    assert any(c.kind.value in ("shorter", "removed", "replaced") for c in new.changes)


def test_the_athletes_own_changes_are_kept() -> None:
    plan = plan_training(request())
    week = plan.weeks[1]
    today = week.start
    hard = next(d for d in week.days if d.hard)
    saturday = week.days[5]
    locks = {hard.day: plan.day(saturday.day).workout, saturday.day: hard.workout}
    new = adapt_plan(plan, _follow(plan, today), today=today, locks=locks)
    for day, workout in locks.items():
        assert new.day(day).workout == workout and new.day(day).locked
    kept = [c for c in new.changes if c.kind.value == "kept"]
    assert {c.day for c in kept} == set(locks)
    # the planner's own hard days keep clear of the moved hard session
    for d in new.weeks[1].days:
        if d.hard and d.day != saturday.day:
            assert abs((d.day - saturday.day).days) > 1
