"""Tapering for the athlete's goal event: how long, by how much, and the form it should give."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal


@dataclass(frozen=True)
class GoalEvent:
    """The one event the athlete trains for; priority A (peak), B (sharpen) or C (train
    through); ``sport`` a sport family or Strava sport type, when known."""

    name: str
    day: date
    priority: Literal["A", "B", "C"]
    sport: str | None = None


@dataclass(frozen=True)
class TaperPlan:
    """How long to taper before an event of a priority, by how much, and the form to aim for."""

    horizon_days: int
    taper_days: int
    volume_reduction: float
    target_tsb: tuple[float, float]


# Mujika & Padilla (2003), Bosquet et al. (2007): a taper of 8–14 days cutting volume by
# 41–60 % while keeping intensity and frequency. B and C events get shorter, lighter
# versions; the race-day form targets are practitioners' guidance (docs/metrics.md).
TAPERS: Mapping[str, TaperPlan] = {
    "A": TaperPlan(horizon_days=56, taper_days=14, volume_reduction=0.5, target_tsb=(15, 25)),
    "B": TaperPlan(horizon_days=21, taper_days=7, volume_reduction=0.3, target_tsb=(5, 15)),
    "C": TaperPlan(horizon_days=7, taper_days=2, volume_reduction=0.2, target_tsb=(0, 10)),
}


@dataclass(frozen=True)
class TaperProjection:
    """The plan for one goal seen from ``today`` and the fitness and form it leads to."""

    goal: GoalEvent
    plan: TaperPlan
    days_to_event: int
    taper_start: date
    taper_days: int
    daily_load: float
    projected_ctl: float
    projected_tsb: float


def project_taper(
    goal: GoalEvent,
    today: date,
    *,
    ctl: float,
    atl: float,
    daily_load: float,
    ctl_keep: float,
    atl_keep: float,
) -> TaperProjection | None:
    """The taper for ``goal`` if it is within its priority's horizon, else None.

    ``ctl``/``atl`` stand at the end of yesterday; ``daily_load`` is held until the taper
    and reduced during it; ``*_keep`` are the series' 1 − α.
    """
    plan = TAPERS[goal.priority]
    days_to = (goal.day - today).days
    if not 0 <= days_to <= plan.horizon_days:
        return None
    taper_days = min(plan.taper_days, days_to)
    # Constant load L for k days moves an exponential average y to L + (y − L)·(1 − α)^k;
    # race-day morning form is CTL − ATL at the end of the day before.
    phases = (
        (daily_load, days_to - taper_days),
        (daily_load * (1 - plan.volume_reduction), taper_days),
    )
    for load, days in phases:
        ctl = load + (ctl - load) * ctl_keep**days
        atl = load + (atl - load) * atl_keep**days
    return TaperProjection(
        goal,
        plan,
        days_to,
        goal.day - timedelta(days=taper_days),
        taper_days,
        daily_load,
        ctl,
        ctl - atl,
    )


def is_tapering(goal: GoalEvent | None, today: date) -> bool:
    """Whether ``today`` falls inside the goal's taper (or is the event day)."""
    if goal is None:
        return False
    return 0 <= (goal.day - today).days <= TAPERS[goal.priority].taper_days
