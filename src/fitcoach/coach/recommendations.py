"""The rule engine: what to do next and why, from the performance series and a goal event.

Rules look at the morning of ``today``: fitness and fatigue as they stood at the end of
yesterday (the last complete day), as TSB does. Each finding carries the numbers it used.
docs/metrics.md lists every rule with its threshold and source.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import numpy as np

from fitcoach.coach.errors import CoachError
from fitcoach.coach.performance import RAMP_DAYS, PerformanceSeries, smoothing_factor
from fitcoach.coach.taper import GoalEvent, is_tapering, project_taper

Number = float | int | str


class Severity(StrEnum):
    """How much a finding should change the plan: a warning first, then advice, then info."""

    WARNING = "warning"
    ADVICE = "advice"
    INFO = "info"


class Kind(StrEnum):
    """Which rule produced a recommendation."""

    FORM_TOO_LOW = "form_too_low"
    RAMP_RATE_HIGH = "ramp_rate_high"
    MONOTONY_STRAIN = "monotony_strain"
    DETRAINING = "detraining"
    LONG_GAP = "long_gap"
    GOAL_EVENT = "goal_event"
    ON_TRACK = "on_track"


@dataclass(frozen=True)
class RuleSettings:
    """Thresholds of the rules; defaults and their sources are in docs/metrics.md."""

    form_floor: float = -30.0
    ramp_limit: float = 8.0
    detraining_days: int = 28
    detraining_drop: float = 0.10
    detraining_min_ctl: float = 10.0
    monotony_limit: float = 2.0
    monotony_min_load_vs_ctl: float = 1.0
    long_gap_days: int = 7
    # Trend rules need this many days of history unless the series was seeded: from a zero
    # start every first weeks look like a steep ramp.
    min_history_days: int = 42


@dataclass(frozen=True)
class Recommendation:
    """One finding: what to do (title, text), how strongly, and the numbers behind it."""

    kind: Kind
    severity: Severity
    title: str
    text: str
    numbers: Mapping[str, Number]


# Foster's monotony is unbounded when every day carries the same load; cap it so the number
# stays printable (any value above the limit already fires the rule).
MONOTONY_CAP = 10.0


def foster_monotony_strain(daily_loads: Sequence[float]) -> tuple[float, float, float]:
    """(weekly load, monotony, strain) over the given days (Foster 1998): monotony = mean /
    standard deviation of the daily loads, strain = weekly load × monotony."""
    loads = np.asarray(daily_loads, dtype=np.float64)
    if loads.ndim != 1 or len(loads) == 0:
        raise CoachError("monotony needs a sequence of at least one day of load")
    if not np.all(np.isfinite(loads) & (loads >= 0)):
        raise CoachError("daily loads must be finite numbers >= 0")
    total, mean, sd = float(loads.sum()), float(loads.mean()), float(loads.std())
    if mean == 0:
        return 0.0, 0.0, 0.0
    monotony = MONOTONY_CAP if sd == 0 else min(MONOTONY_CAP, mean / sd)
    return total, monotony, total * monotony


@dataclass(frozen=True)
class _State:
    today: date
    days: int  # complete days in the series before today
    ctl: float
    atl: float
    tsb: float
    ctl_week_ago: float
    ctl_keep: float  # 1 − α of the series' CTL and ATL recurrences
    atl_keep: float
    last7: Sequence[float]
    ctl_before: float | None
    days_since_activity: int | None
    trend_ready: bool


def recommend(
    series: PerformanceSeries,
    *,
    today: date,
    goal: GoalEvent | None = None,
    settings: RuleSettings | None = None,
) -> tuple[Recommendation, ...]:
    """Every rule's finding for the morning of ``today`` (a day of the series), the most
    severe first; ON_TRACK when nothing calls for a change."""
    rules = settings or RuleSettings()
    state = _state(series, today, rules)
    found = [r for rule in _RULES if (r := rule(state, rules, goal)) is not None]
    kinds = {r.kind for r in found}
    if Kind.LONG_GAP in kinds or is_tapering(goal, today):
        # A break or a taper already explains falling fitness; one finding, not two.
        found = [r for r in found if r.kind is not Kind.DETRAINING]
    if not any(r.severity is not Severity.INFO for r in found):
        found.append(_on_track(state))
    order = list(Severity)
    return tuple(sorted(found, key=lambda r: order.index(r.severity)))


def _state(series: PerformanceSeries, today: date, rules: RuleSettings) -> _State:
    i = (today - series.start).days
    if not 0 <= i < len(series.load):
        raise CoachError(f"today ({today}) is outside the series ({series.start} to {series.end})")

    def ctl_at(day: int) -> float:
        return float(series.ctl[day]) if day >= 0 else series.ctl_start

    y = i - 1
    active = np.flatnonzero(series.load[: i + 1] > 0)
    before = y - rules.detraining_days
    return _State(
        today=today,
        days=i,
        ctl=ctl_at(y),
        atl=float(series.atl[y]) if y >= 0 else series.atl_start,
        tsb=float(series.tsb[i]),
        ctl_week_ago=ctl_at(y - RAMP_DAYS),
        ctl_keep=1.0 - smoothing_factor(series.ctl_days, series.smoothing),
        atl_keep=1.0 - smoothing_factor(series.atl_days, series.smoothing),
        last7=[float(v) for v in series.load[max(0, i - 7) : i]],
        ctl_before=ctl_at(before) if before >= 0 or series.ctl_start > 0 else None,
        days_since_activity=i - int(active[-1]) if len(active) else None,
        trend_ready=i >= rules.min_history_days or series.ctl_start > 0,
    )


def _form_too_low(s: _State, rules: RuleSettings, goal: GoalEvent | None) -> Recommendation | None:
    if not s.trend_ready or s.tsb >= rules.form_floor:
        return None
    return Recommendation(
        Kind.FORM_TOO_LOW,
        Severity.WARNING,
        "Recover: fatigue is far above fitness",
        f"Your form (TSB) is {s.tsb:.0f}, below {rules.form_floor:.0f}: fatigue (ATL "
        f"{s.atl:.0f}) is well above fitness (CTL {s.ctl:.0f}). Take two or three rest or "
        "very easy days, and train hard again once form is back above −10.",
        _rounded(tsb=s.tsb, ctl=s.ctl, atl=s.atl, form_floor=rules.form_floor),
    )


def _ramp_rate_high(
    s: _State, rules: RuleSettings, goal: GoalEvent | None
) -> Recommendation | None:
    ramp = s.ctl - s.ctl_week_ago
    if not s.trend_ready or ramp <= rules.ramp_limit:
        return None
    # The constant daily load that would raise CTL by exactly the limit over the next week.
    safe_daily = s.ctl + rules.ramp_limit / (1.0 - s.ctl_keep**RAMP_DAYS)
    return Recommendation(
        Kind.RAMP_RATE_HIGH,
        Severity.WARNING,
        "Ease the build: fitness is rising too fast",
        f"Fitness (CTL) rose {ramp:.1f} in the last 7 days ({s.ctl_week_ago:.0f} → "
        f"{s.ctl:.0f}), more than the {rules.ramp_limit:.0f} per week most athletes absorb "
        f"without injury or illness. Keep next week's load under about {7 * safe_daily:.0f} "
        "and include a rest day.",
        _rounded(
            ramp_rate=ramp,
            ctl=s.ctl,
            ctl_week_ago=s.ctl_week_ago,
            ramp_limit=rules.ramp_limit,
            safe_weekly_load=7 * safe_daily,
        ),
    )


def _monotony_strain(
    s: _State, rules: RuleSettings, goal: GoalEvent | None
) -> Recommendation | None:
    if len(s.last7) < 7:
        return None
    weekly, monotony, strain = foster_monotony_strain(s.last7)
    heavy = weekly > 0 and weekly >= rules.monotony_min_load_vs_ctl * 7 * s.ctl
    if monotony <= rules.monotony_limit or not heavy:
        return None
    return Recommendation(
        Kind.MONOTONY_STRAIN,
        Severity.ADVICE,
        "Vary your days: training is monotonous",
        f"Your last 7 days carried a similar load every day: monotony {monotony:.1f} (mean "
        f"daily load ÷ its spread), above {rules.monotony_limit:.1f}, with strain "
        f"{strain:.0f} (weekly load {weekly:.0f} × monotony). Same-every-day training at this "
        "load is linked to illness and staleness: make hard days harder, easy days easier, "
        "and take a rest day.",
        _rounded(
            monotony=monotony,
            strain=strain,
            weekly_load=weekly,
            monotony_limit=rules.monotony_limit,
            ctl=s.ctl,
        ),
    )


def _detraining(s: _State, rules: RuleSettings, goal: GoalEvent | None) -> Recommendation | None:
    before = s.ctl_before
    if not s.trend_ready or before is None or before < rules.detraining_min_ctl:
        return None
    drop = (before - s.ctl) / before
    if drop < rules.detraining_drop:
        return None
    return Recommendation(
        Kind.DETRAINING,
        Severity.ADVICE,
        "Fitness is slipping",
        f"Fitness (CTL) fell from {before:.0f} to {s.ctl:.0f} ({drop:.0%}) over the last "
        f"{rules.detraining_days} days. If this is not a planned break, add a session a week: "
        f"an average daily load of about {before:.0f} holds the fitness you had.",
        _rounded(
            ctl=s.ctl,
            ctl_before=before,
            drop_pct=100 * drop,
            days=rules.detraining_days,
        ),
    )


def _long_gap(s: _State, rules: RuleSettings, goal: GoalEvent | None) -> Recommendation | None:
    gap = s.days_since_activity
    if gap is None or gap < rules.long_gap_days:
        return None
    return Recommendation(
        Kind.LONG_GAP,
        Severity.ADVICE,
        "Welcome back: restart gently",
        f"No training for {gap} days; fitness (CTL) has eased to {s.ctl:.0f}. Start again "
        "with two or three short, easy sessions before any hard one.",
        _rounded(days_since_activity=gap, ctl=s.ctl, long_gap_days=rules.long_gap_days),
    )


def _goal_event(s: _State, rules: RuleSettings, goal: GoalEvent | None) -> Recommendation | None:
    if goal is None:
        return None
    recent = float(np.mean(s.last7)) if s.last7 else 0.0
    taper = project_taper(
        goal,
        s.today,
        ctl=s.ctl,
        atl=s.atl,
        daily_load=recent,
        ctl_keep=s.ctl_keep,
        atl_keep=s.atl_keep,
    )
    if taper is None:
        return None
    low, high = taper.plan.target_tsb
    tsb = taper.projected_tsb
    if tsb < low:
        verdict = "below the target: start the taper a few days earlier or cut a little more."
    elif tsb > high:
        verdict = "above the target: you can keep a little more volume."
    else:
        verdict = "on target."
    if taper.days_to_event == 0:
        text = f"Today is {goal.name} ({goal.priority} event). Your form is {s.tsb:+.0f}."
    else:
        text = (
            f"{goal.name} ({goal.priority} event) is in {taper.days_to_event} days, on "
            f"{goal.day.isoformat()}. Train as usual until {taper.taper_start.isoformat()}, "
            f"then cut volume by about {taper.plan.volume_reduction:.0%} for "
            f"{taper.taper_days} days while keeping short efforts at race intensity. With a "
            f"recent daily load of {recent:.0f}, form on race day is projected at {tsb:+.0f} "
            f"(aim for +{low:.0f} to +{high:.0f}): {verdict}"
        )
    return Recommendation(
        Kind.GOAL_EVENT,
        Severity.INFO,
        f"{goal.name}: {'race day' if taper.days_to_event == 0 else 'taper plan'}",
        text,
        _rounded(
            days_to_event=taper.days_to_event,
            event_date=goal.day.isoformat(),
            priority=goal.priority,
            taper_start=taper.taper_start.isoformat(),
            taper_days=taper.taper_days,
            volume_reduction_pct=100 * taper.plan.volume_reduction,
            recent_daily_load=recent,
            projected_ctl=taper.projected_ctl,
            projected_tsb=tsb,
            target_tsb_low=low,
            target_tsb_high=high,
        ),
    )


def _on_track(s: _State) -> Recommendation:
    ramp = s.ctl - s.ctl_week_ago
    caveat = (
        ""
        if s.trend_ready
        else f" With only {s.days} days of history, fitness and form are still being learned."
    )
    return Recommendation(
        Kind.ON_TRACK,
        Severity.INFO,
        "On track",
        f"Fitness (CTL) {s.ctl:.0f}, fatigue (ATL) {s.atl:.0f}, form (TSB) {s.tsb:+.0f}, "
        f"weekly change in fitness {ramp:+.1f}: nothing calls for a change. Keep going.{caveat}",
        _rounded(ctl=s.ctl, atl=s.atl, tsb=s.tsb, ramp_rate=ramp, history_days=s.days),
    )


def _rounded(**numbers: Number) -> dict[str, Number]:
    return {k: round(v, 1) if isinstance(v, float) else v for k, v in numbers.items()}


_RULES: tuple[Callable[[_State, RuleSettings, GoalEvent | None], Recommendation | None], ...] = (
    _form_too_low,
    _ramp_rate_high,
    _monotony_strain,
    _detraining,
    _long_gap,
    _goal_event,
)
