"""Fitness, fatigue and form ahead of today, for the chart's future part up to a goal.

The assumption is the coach's own (``recommendations._goal_event``): the athlete keeps
the average daily load of the last 7 complete days, and cuts it by the goal's taper
(``taper.TAPERS``) over the taper's last days. So the projected form on race morning is
the number the advice quotes. Numbers are mornings, as everywhere (``DailyNumbers``):
fitness and fatigue at the end of the day before, form = fitness − fatigue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from fitcoach.coach._samples import FloatArray
from fitcoach.coach.errors import CoachError
from fitcoach.coach.performance import PerformanceSeries, smoothing_factor
from fitcoach.coach.taper import TAPERS, GoalEvent

# The days whose average load the projection holds (the coach's "recent daily load").
RECENT_DAYS = 7


@dataclass(frozen=True, eq=False)
class Projection:
    """Mornings from ``start`` (today, whose numbers are measured, not projected) to the
    last projected day; ``load`` is the load assumed for each of those days."""

    start: date
    daily_load: float
    load: FloatArray
    fitness: FloatArray
    fatigue: FloatArray
    form: FloatArray

    @property
    def end(self) -> date:
        return self.start + timedelta(days=len(self.load) - 1)


def project(
    series: PerformanceSeries, today: date, until: date, goal: GoalEvent | None = None
) -> Projection:
    """The mornings from ``today`` to ``until`` if the athlete keeps their recent daily
    load, tapering for ``goal`` (when given) as the coach advises."""
    i = (today - series.start).days
    if not 0 <= i < len(series.load):
        raise CoachError(f"today ({today}) is outside the series ({series.start} to {series.end})")
    if until < today:
        raise CoachError(f"until ({until}) is before today ({today})")
    days = (until - today).days + 1
    recent = series.load[max(0, i - RECENT_DAYS) : i]
    daily_load = float(np.mean(recent)) if len(recent) else 0.0
    loads = np.full(days, daily_load)
    if goal is not None and today <= goal.day:
        to_goal = (goal.day - today).days
        taper_days = min(TAPERS[goal.priority].taper_days, to_goal)
        # The taper's days are the ones just before race day (race day itself is the
        # race: its load is the goal's, not the plan's, and no morning after it is shown).
        first = to_goal - taper_days
        loads[first : min(to_goal, days)] *= 1 - TAPERS[goal.priority].volume_reduction
    ctl_keep = 1.0 - smoothing_factor(series.ctl_days, series.smoothing)
    atl_keep = 1.0 - smoothing_factor(series.atl_days, series.smoothing)
    fitness = np.empty(days)
    fatigue = np.empty(days)
    ctl = float(series.ctl[i - 1]) if i > 0 else series.ctl_start
    atl = float(series.atl[i - 1]) if i > 0 else series.atl_start
    for d in range(days):
        fitness[d], fatigue[d] = ctl, atl
        ctl = loads[d] + (ctl - loads[d]) * ctl_keep
        atl = loads[d] + (atl - loads[d]) * atl_keep
    form = fitness - fatigue
    for array in (loads, fitness, fatigue, form):
        array.flags.writeable = False
    return Projection(today, daily_load, loads, fitness, fatigue, form)
