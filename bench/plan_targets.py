"""How close each planned week comes to its target load, for a few athletes.

Run: uv run python bench/plan_targets.py [--weeks] [--athletes season low_3 ...]

Each athlete's first plan (no simulation): per week its kind, target load, planned load
(the sum of its workouts' loads), planned / target, and whether every day with time holds
a session at the longest its type and the day's time allow ("full": the athlete's time,
not the plan, limits the week), the load the week asked for (the ramp, the recovery
cut, the taper) and what limited the target under it (time, form, steps). Summary per
athlete and over all: median and worst planned / target over the load weeks (base,
build, peak, maintenance; not the recovery, taper and race weeks), how many load weeks
fall more than 5 % short while not full, median planned / asked and the load weeks'
limits.
"""

import argparse
import statistics
from collections.abc import Sequence
from datetime import date, timedelta

from fitcoach.coach import (
    AthleteThresholds,
    Availability,
    CoachError,
    GoalEvent,
    PlanRequest,
    Sex,
    WeekKind,
    WeekLimit,
    WorkoutType,
    plan_training,
)
from fitcoach.coach.planning import PlannedWeek
from fitcoach.coach.workouts import MINUTES_STEP, duration_range

THRESHOLDS = AthleteThresholds(
    ftp=250.0,
    threshold_hr=170.0,
    threshold_pace_s_per_km=270.0,
    swim_threshold_pace_s_per_100m=100.0,
    max_hr=190.0,
    resting_hr=50.0,
    sex=Sex.MALE,
)
TODAY = date(2025, 1, 6)
SHORT = 0.95


def _goal(weeks: int, priority: str, sport: str) -> GoalEvent:
    return GoalEvent("Goal race", TODAY + timedelta(weeks=weeks, days=6), priority, sport)  # type: ignore[arg-type]


def _athletes() -> dict[str, PlanRequest]:
    a = Availability.of
    return {
        # bench/plan_season.py's athlete: CTL 45, 11 h over 5 days, A race in 25 weeks
        "season": PlanRequest(
            TODAY,
            45.0,
            50.0,
            THRESHOLDS,
            a({"tue": 1.5, "wed": 1.0, "thu": 1.5, "sat": 3.0, "sun": 4.0}),
            goal=_goal(24, "A", "Ride"),
        ),
        # a beginner: CTL 15, 3 sessions, 6 h, B race in 12 weeks
        "low_3": PlanRequest(
            TODAY,
            15.0,
            12.0,
            THRESHOLDS,
            a({"tue": 1.5, "thu": 1.5, "sun": 3.0}),
            goal=_goal(12, "B", "Ride"),
        ),
        # a low-fitness athlete with plenty of time: CTL 25, 6 days, 13 h, A in 16 weeks
        "low_time": PlanRequest(
            TODAY,
            25.0,
            25.0,
            THRESHOLDS,
            a({"mon": 1.5, "tue": 2.0, "wed": 1.5, "thu": 2.0, "sat": 3.0, "sun": 3.0}),
            goal=_goal(16, "A", "Ride"),
        ),
        # a trained rider: CTL 85, 6 days, 16 h, A race in 20 weeks
        "high_6": PlanRequest(
            TODAY,
            85.0,
            80.0,
            THRESHOLDS,
            a({"tue": 2.0, "wed": 2.0, "thu": 2.0, "fri": 1.5, "sat": 4.0, "sun": 4.5}),
            goal=_goal(20, "A", "Ride"),
        ),
        # a runner: CTL 40, 4 days, 5.5 h, C race in 10 weeks
        "run_4": PlanRequest(
            TODAY,
            40.0,
            42.0,
            THRESHOLDS,
            a({"tue": 1.0, "thu": 1.0, "sat": 1.5, "sun": 2.0}),
            sports=("run",),
            goal=_goal(10, "C", "Run"),
        ),
        # a triathlete: CTL 60, 6 days, 12 h, A race in 18 weeks
        "tri_6": PlanRequest(
            TODAY,
            60.0,
            55.0,
            THRESHOLDS,
            a({"mon": 1.0, "tue": 1.5, "wed": 2.0, "thu": 1.5, "sat": 3.0, "sun": 3.0}),
            sports=("ride", "run", "swim"),
            goal=_goal(18, "A", "Ride"),
        ),
        # no goal: two weeks of maintenance, CTL 55, 5 days, 9 h
        "maintain_5": PlanRequest(
            TODAY,
            55.0,
            55.0,
            THRESHOLDS,
            a({"mon": 1.0, "wed": 1.5, "thu": 1.5, "sat": 2.5, "sun": 2.5}),
        ),
    }


def _full(week: PlannedWeek, request: PlanRequest) -> bool:
    """Whether each day with time holds a session as long as its type and the day allow."""
    for d in week.days:
        minutes = request.availability.minutes(d.day)
        w = d.workout
        if w.type is WorkoutType.REST:
            fits = False
            for sport in request.sports:
                try:
                    fits = fits or duration_range(sport, WorkoutType.ENDURANCE)[0] <= minutes
                except CoachError:
                    continue
            if fits:
                return False
            continue
        longest = min(duration_range(w.sport, w.type)[1], minutes)
        if w.duration_s / 60 < longest - MINUTES_STEP + 1e-6:
            return False
    return True


def _load_week(week: PlannedWeek) -> bool:
    return week.kind is WeekKind.LOAD


def main(argv: Sequence[str] | None = None) -> None:
    athletes = _athletes()
    parser = argparse.ArgumentParser()
    parser.add_argument("--athletes", nargs="+", choices=sorted(athletes), default=list(athletes))
    parser.add_argument("--weeks", action="store_true", help="print every week")
    args = parser.parse_args(argv)
    all_ratios: list[float] = []
    all_asked: list[float] = []
    short_not_full = 0
    print(
        "athlete      load weeks  median  worst  short (<95 %)  of which full  "
        "all weeks median  worst  planned/asked  time  form  steps"
    )
    for name in args.athletes:
        request = athletes[name]
        plan = plan_training(request)
        rows = []
        for week in plan.weeks:
            ratio = week.planned_load / week.target_load if week.target_load > 0 else 1.0
            rows.append((week, ratio, _full(week, request)))
        load = [(w, r, f) for w, r, f in rows if _load_week(w)]
        ratios = [r for _, r, _ in load]
        all_ratios.extend(ratios)
        short = [(w, r, f) for w, r, f in load if r < SHORT]
        short_not_full += sum(1 for _, _, f in short if not f)
        every = [r for _, r, _ in rows]
        asked = [w.planned_load / w.asked_load for w, _, _ in load if w.asked_load]
        all_asked.extend(asked)
        limits = [w.limit for w, _, _ in load]
        print(
            f"{name:<12} {len(load):10d}  {statistics.median(ratios) if ratios else 1:6.3f}  "
            f"{min(ratios, default=1):5.3f}  {len(short):13d}  "
            f"{sum(1 for _, _, f in short if f):13d}  "
            f"{statistics.median(every):16.3f}  {min(every):5.3f}  "
            f"{statistics.median(asked) if asked else 1:13.3f}  "
            f"{limits.count(WeekLimit.TIME):4d}  {limits.count(WeekLimit.FORM):4d}  "
            f"{limits.count(WeekLimit.STEPS):5d}"
        )
        if args.weeks:
            for week, ratio, full in rows:
                print(
                    f"    {week.start}  {week.phase.value:<8} {week.kind.value:<8} target "
                    f"{week.target_load:5.0f}  planned {week.planned_load:5.0f}  "
                    f"{ratio:5.3f}  {week.planned_s / 3600:4.1f} h of "
                    f"{week.available_s / 3600:4.1f} h  asked {week.asked_load or 0:5.0f}"
                    f"{'  ' + week.limit.value if week.limit else ''}"
                    f"{'  full' if full else ''}"
                )
    print(
        f"\nall load weeks: {len(all_ratios)}, median planned/target "
        f"{statistics.median(all_ratios):.3f}, worst {min(all_ratios):.3f}, "
        f"short of 95 % without the athlete's time being full: {short_not_full}; "
        f"median planned/asked {statistics.median(all_asked):.3f}"
    )


if __name__ == "__main__":
    main()
