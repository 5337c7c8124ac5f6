"""A full-length simulated season: plan, follow with noise, adapt, race.

Run: uv run python bench/plan_season.py [--weeks 24] [--priority A] [--seeds 1 2 3]

A generated athlete (FTP 250 W, CTL 45, ATL 50, 11 h over five weekdays) follows the
plan with ±5 % duration and ±2 % intensity noise, misses 10 % of sessions and overdoes
10 % (×1.3 duration, ×1.04 intensity); the plan adapts every Monday and every morning
after a day that went otherwise. Prints race-day form against the priority's band, the
largest 7-day ramp against the rule, compliance and the time taken; then the first plan
week by week: target, planned load, planned / target, what the week asked for and what
held the target under it, and over the load weeks the median and worst planned / target
(bench/plan_targets.py does the same for more athletes).
"""

import argparse
import statistics
import time
from datetime import date, timedelta

from fitcoach.coach import (
    AthleteThresholds,
    Availability,
    GoalEvent,
    PlanRequest,
    Sex,
    Status,
    WeekKind,
)
from fitcoach.coach.season import Behaviour, simulate_season

THRESHOLDS = AthleteThresholds(
    ftp=250.0,
    threshold_hr=170.0,
    threshold_pace_s_per_km=270.0,
    swim_threshold_pace_s_per_100m=100.0,
    max_hr=190.0,
    resting_hr=50.0,
    sex=Sex.MALE,
)
AVAILABILITY = Availability.of({"tue": 1.5, "wed": 1.0, "thu": 1.5, "sat": 3.0, "sun": 4.0})
TODAY = date(2025, 1, 6)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--weeks", type=int, default=24)
    parser.add_argument("--priority", choices=["A", "B", "C"], default="A")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    args = parser.parse_args()
    goal = GoalEvent(
        "Goal race", TODAY + timedelta(weeks=args.weeks, days=6), args.priority, "Ride"
    )
    request = PlanRequest(TODAY, 45.0, 50.0, THRESHOLDS, AVAILABILITY, goal=goal)
    print(
        f"{args.weeks + 1}-week season to a {args.priority} race on {goal.day}; "
        "misses 10 %, overdoes 10 %"
    )
    header = (
        "seed  race TSB  band      in band  max ramp  limit  weeks over  sessions  done  "
        "partly  moved  missed  extra  load done/planned  versions  changes  seconds"
    )
    print(header)
    for seed in args.seeds:
        t0 = time.perf_counter()
        season = simulate_season(request, Behaviour(seed=seed))
        seconds = time.perf_counter() - t0
        r = season.compliance
        low, high = season.target_tsb or (0.0, 0.0)
        sessions = sum(n for s, n in r.counts.items() if s is not Status.EXTRA)
        print(
            f"{seed:>4}  {season.race_day_tsb or 0:+8.1f}  {low:+.0f}…{high:+.0f}  "
            f"{season.race_day_in_band!s:>7}  {season.max_ramp:8.2f}  {season.ramp_limit:5.1f}  "
            f"{season.weeks_over_ramp_limit:10d}  {sessions:8d}  {r.counts[Status.DONE]:4d}  "
            f"{r.counts[Status.PARTLY_DONE]:6d}  {r.counts[Status.MOVED]:5d}  "
            f"{r.counts[Status.MISSED]:6d}  {r.counts[Status.EXTRA]:5d}  "
            f"{r.load_ratio or 0:17.2f}  {season.versions:8d}  {season.changes:7d}  "
            f"{seconds:7.2f}"
        )
    plan = season.first_plan
    print(
        f"\nfirst plan: {len(plan.weeks)} weeks, planned race-day TSB "
        f"{plan.taper.race_day_tsb if plan.taper else float('nan'):+.1f}, CTL on race day "
        f"{plan.taper.race_day_ctl if plan.taper else float('nan'):.1f} (from {request.ctl:.0f})"
    )
    ratios: list[float] = []
    asked: list[float] = []
    for week in plan.weeks:
        ratio = week.planned_load / week.target_load if week.target_load > 0 else 1.0
        if week.kind is WeekKind.LOAD:
            ratios.append(ratio)
            asked.append(week.planned_load / (week.asked_load or week.target_load))
        print(
            f"  {week.start}  {week.phase.value:<8} {week.kind.value:<8} target "
            f"{week.target_load:5.0f}  planned {week.planned_load:5.0f}  {ratio:5.3f}  "
            f"asked {week.asked_load or 0:5.0f} {week.limit.value if week.limit else '':<5}  "
            f"{week.planned_s / 3600:4.1f} h of {week.available_s / 3600:4.1f} h  "
            + " ".join(
                f"{d.workout.type.value[:4]}{round(d.workout.duration_s / 60):d}" for d in week.days
            )
        )
    print(
        f"load weeks: {len(ratios)}, planned/target median {statistics.median(ratios):.3f}, "
        f"worst {min(ratios):.3f}; planned/asked median {statistics.median(asked):.3f}, "
        f"worst {min(asked):.3f}"
    )


if __name__ == "__main__":
    main()
