"""A simulated season: an athlete who follows a plan imperfectly, and the plan adapting.

For trying the planner end to end (tests, bench/plan_season.py, demos): each day the
athlete does the day's workout of the plan version in force, with noise in duration and
intensity, misses some sessions and overdoes others (a seeded random generator decides),
and the plan is adapted on the next morning whenever the day went otherwise than planned
(and every Monday). Loads of what was done come from load.py, like real activities.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np

from fitcoach.coach.compliance import (
    ComplianceReport,
    Done,
    compliance,
    done_activity,
    done_loads,
)
from fitcoach.coach.errors import CoachError
from fitcoach.coach.performance import performance_series
from fitcoach.coach.planning import Plan, PlannedDay, PlanRequest, adapt_plan, plan_training
from fitcoach.coach.workouts import WorkoutType, executed_activity

# A day whose load differs from the plan by more than this share is re-planned from.
ADAPT_WHEN_OFF_BY = 0.10


@dataclass(frozen=True)
class Behaviour:
    """How the simulated athlete follows the plan."""

    seed: int = 1
    miss: float = 0.10  # share of sessions not done
    overdo: float = 0.10  # share of sessions done longer and harder
    overdo_duration: float = 1.3
    overdo_intensity: float = 1.04
    duration_noise: float = 0.05  # standard deviation of the duration factor
    intensity_noise: float = 0.02  # standard deviation of the intensity factor


@dataclass(frozen=True)
class Season:
    """What happened: the plans, what was done, and the figures a coach would look at."""

    first_plan: Plan
    final_plan: Plan
    followed: tuple[PlannedDay, ...]  # each day as the plan in force asked for it
    done: tuple[Done, ...]
    daily_loads: tuple[float, ...]  # done, from the plan's first day to race eve
    race_day_tsb: float | None
    target_tsb: tuple[float, float] | None
    max_ramp: float
    ramp_limit: float
    weeks_over_ramp_limit: int
    versions: int
    changes: int
    compliance: ComplianceReport

    @property
    def race_day_in_band(self) -> bool | None:
        if self.race_day_tsb is None or self.target_tsb is None:
            return None
        low, high = self.target_tsb
        return low <= self.race_day_tsb <= high


def simulate_season(request: PlanRequest, behaviour: Behaviour | None = None) -> Season:
    """Plan from ``request``, then live the plan day by day until race eve (or the end of
    a plan without a goal)."""
    how = behaviour or Behaviour()
    rng = np.random.default_rng(how.seed)
    plan = first = plan_training(request)
    end = request.goal.day - timedelta(days=1) if request.goal else plan.end
    th = request.thresholds
    followed: list[PlannedDay] = []
    done: list[Done] = []
    versions, changes = 1, 0
    off = False
    day = plan.start
    while day <= end:
        if day > plan.start and (off or day.weekday() == 0):
            plan = adapt_plan(plan, done_loads(done), today=day)
            versions += 1
            changes += len(plan.changes)
        p = plan.day(day)
        followed.append(p)
        off = False
        if p.workout.type is not WorkoutType.REST:
            u = float(rng.random())
            if u < how.miss:
                off = True
            else:
                duration = 1.0 + float(rng.normal(0.0, how.duration_noise))
                intensity = 1.0 + float(rng.normal(0.0, how.intensity_noise))
                if u < how.miss + how.overdo:
                    duration *= how.overdo_duration
                    intensity *= how.overdo_intensity
                activity = executed_activity(
                    p.workout,
                    datetime.combine(day, time(7)),
                    intensity_scale=max(0.5, intensity),
                    duration_scale=max(0.3, duration),
                )
                did = done_activity(activity, th)
                done.append(did)
                planned = p.workout.load
                off = planned > 0 and abs(did.load - planned) > ADAPT_WHEN_OFF_BY * planned
        day += timedelta(days=1)
    if not followed:
        raise CoachError("the plan has no day before the goal to simulate")
    loads = [0.0] * len(followed)
    for d in done:
        loads[(d.day - first.start).days] += d.load
    series = performance_series(
        [*loads, 0.0], first.start, ctl_start=request.ctl, atl_start=request.atl
    )
    ramps = series.ramp[: len(loads)]
    limit = request.rules.ramp_limit
    weeks_over: set[date] = set()
    for i, r in enumerate(ramps):
        if r > limit:
            day_i = first.start + timedelta(days=i)
            weeks_over.add(day_i - timedelta(days=day_i.weekday()))
    goal = request.goal
    race_tsb = float(series.tsb[-1]) if goal is not None else None
    band = first.taper.target_tsb if first.taper is not None else None
    return Season(
        first,
        plan,
        tuple(followed),
        tuple(done),
        tuple(loads),
        race_tsb,
        band,
        float(np.max(ramps)),
        limit,
        len(weeks_over),
        versions,
        changes,
        compliance(followed, done, today=end + timedelta(days=1)),
    )
