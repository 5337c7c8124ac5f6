"""A periodised training plan toward a goal event, day by day, and its re-planning.

The plan (docs/planning.md describes the model, docs/metrics.md "Planning" every rule and
its source):
- blocks: base, build and (A events) a peak week, then the taper of the goal's priority
  (taper.TAPERS) and race day; without a goal, two weeks of maintenance/build;
- weeks: a recovery week every 3rd or 4th week cutting the load by RECOVERY_CUT; load
  weeks aimed at raising fitness (CTL) by RAMP_SHARE of the ramp rule's limit
  (recommendations.RuleSettings.ramp_limit), and never letting any 7-day ramp pass it or
  form (TSB) fall below the form rule's floor;
- days: each week's load spread over the days the athlete has time, hard and easy days
  alternating, at most MAX_HARD_DAYS hard days, the long session on the day with the most
  time, nothing longer than the day's time; every workout from workouts.py, its load
  computed as load.py would for the activity it records;
- the taper's depth solved so that race-day form lands in the priority's band.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum
from typing import Final

import numpy as np

from fitcoach.coach import sports
from fitcoach.coach.errors import CoachError
from fitcoach.coach.models import AthleteThresholds
from fitcoach.coach.performance import (
    CTL_DAYS,
    RAMP_DAYS,
    PerformanceSeries,
    performance_series,
    smoothing_factor,
)
from fitcoach.coach.recommendations import RuleSettings
from fitcoach.coach.taper import TAPERS, GoalEvent
from fitcoach.coach.workouts import (
    MINUTES_STEP,
    PLANNED_SPORTS,
    Workout,
    WorkoutType,
    build_workout,
    duration_range,
    rest_workout,
)

Number = float | int | str
WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# Friel: a recovery week cuts the load by about a third (30–40 %).
RECOVERY_CUT: Final = 0.35
# Load weeks aim at this share of the ramp rule's limit, so that a session done harder
# than planned still leaves the week within the limit.
RAMP_SHARE: Final = 0.75
# Friel: at most two or three hard days a week; Seiler: ~80 % of sessions easy.
MAX_HARD_DAYS: Final = 3
# Friel's build period: two blocks of four weeks at most before the peak.
MAX_BUILD_WEEKS: Final = 8
# The taper may cut load from (nominal − 0.1) up to 80 % (Mujika & Padilla: 60–90 %);
# when even that leaves race-day form below the band, the week before the taper is eased,
# down to APPROACH_FLOOR of its load.
TAPER_CUT_MAX: Final = 0.8
TAPER_CUT_BELOW_NOMINAL: Final = 0.1
APPROACH_DAYS: Final = 7
APPROACH_FLOOR: Final = 0.4
NO_GOAL_DAYS: Final = 14
# The days just before race day hold no hard session.
RACE_EVE_EASY_DAYS: Final = 2
MAX_GOAL_DAYS: Final = 52 * 7
# A week failing the ramp or form check is planned at the largest share of its budget
# that passes, found to 2^-SCALE_STEPS.
SCALE_STEPS: Final = 10
# Loads closer than this count as equal (a week's days hold its target, two sets of
# sessions reach as far).
TARGET_SLACK: Final = 0.5
# A week planned under this share of its target (sessions come in whole 5-minute steps)
# shows what it plans as its target, and why.
TARGET_SHARE: Final = 0.97


class Phase(StrEnum):
    """The block a day belongs to."""

    BASE = "base"
    BUILD = "build"
    PEAK = "peak"
    TAPER = "taper"
    RACE = "race"
    MAINTAIN = "maintain"


class WeekKind(StrEnum):
    """Whether a week raises the load, recovers, or tapers."""

    LOAD = "load"
    RECOVERY = "recovery"
    TAPER = "taper"


class WeekLimit(StrEnum):
    """What holds a week's target under the load its kind asks for."""

    TIME = "time"  # every day with time already holds its longest session
    FORM = "form"  # more load would break the ramp or form check
    STEPS = "steps"  # one session more or one step longer would pass it


# Hard sessions per week by phase, and the types they rotate through (Friel: muscular
# endurance in base, threshold and VO2max in build and peak; Mujika: intensity kept in
# the taper).
HARD_SESSIONS: Final[dict[Phase, int]] = {
    Phase.BASE: 1,
    Phase.BUILD: 2,
    Phase.PEAK: 2,
    Phase.TAPER: 2,
    Phase.MAINTAIN: 2,
    Phase.RACE: 0,
}
HARD_TYPES_BY_PHASE: Final[dict[Phase, tuple[WorkoutType, ...]]] = {
    Phase.BASE: (WorkoutType.SWEET_SPOT, WorkoutType.TEMPO),
    Phase.BUILD: (WorkoutType.THRESHOLD, WorkoutType.VO2MAX),
    Phase.PEAK: (WorkoutType.VO2MAX, WorkoutType.THRESHOLD),
    Phase.TAPER: (WorkoutType.THRESHOLD, WorkoutType.VO2MAX),
    Phase.MAINTAIN: (WorkoutType.SWEET_SPOT, WorkoutType.VO2MAX),
    Phase.RACE: (),
}
_SKILL: Final = {sports.RIDE: WorkoutType.SPRINTS, sports.RUN: WorkoutType.STRIDES}


@dataclass(frozen=True)
class Availability:
    """Hours the athlete can train on each weekday, Monday first (0: no training)."""

    hours: tuple[float, float, float, float, float, float, float]

    def __post_init__(self) -> None:
        if len(self.hours) != 7:
            raise CoachError(f"availability needs 7 weekdays, got {len(self.hours)}")
        for day, hours in zip(WEEKDAYS, self.hours, strict=True):
            if not (math.isfinite(hours) and 0 <= hours <= 24):
                raise CoachError(f"availability on {day} must be 0–24 hours, got {hours!r}")

    @classmethod
    def of(cls, by_day: Mapping[str, float]) -> Availability:
        """From ``{"mon": 0, "tue": 1.0, …}``; a missing weekday is 0."""
        unknown = set(by_day) - set(WEEKDAYS)
        if unknown:
            raise CoachError(f"unknown weekdays {sorted(unknown)}: use {', '.join(WEEKDAYS)}")
        h = [float(by_day.get(day, 0.0)) for day in WEEKDAYS]
        return cls((h[0], h[1], h[2], h[3], h[4], h[5], h[6]))

    def on(self, day: date) -> float:
        """Hours available on ``day``."""
        return self.hours[day.weekday()]

    def minutes(self, day: date) -> int:
        """Whole planning steps of minutes available on ``day``."""
        return int(self.on(day) * 60 + 1e-6) // MINUTES_STEP * MINUTES_STEP


@dataclass(frozen=True)
class PlanRequest:
    """Everything a plan is made from. ``ctl``/``atl`` stand at the end of the day before
    ``today``; ``sports`` are families (ride, run, swim), the goal's sport first."""

    today: date
    ctl: float
    atl: float
    thresholds: AthleteThresholds
    availability: Availability
    sports: tuple[str, ...] = (sports.RIDE,)
    goal: GoalEvent | None = None
    recovery_every: int = 4
    weeks_since_recovery: int = 0
    rules: RuleSettings = field(default_factory=RuleSettings)

    def __post_init__(self) -> None:
        for name in ("ctl", "atl"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise CoachError(f"{name} must be a finite number >= 0, got {value!r}")
        if not self.sports or any(s not in PLANNED_SPORTS for s in self.sports):
            raise CoachError(f"sports must be among {', '.join(PLANNED_SPORTS)}: {self.sports}")
        if self.recovery_every not in (3, 4):
            raise CoachError(f"recovery_every must be 3 or 4, got {self.recovery_every}")
        if self.goal is not None:
            days = (self.goal.day - self.today).days
            if not 1 <= days <= MAX_GOAL_DAYS:
                raise CoachError(f"the goal must be 1–{MAX_GOAL_DAYS} days after today, got {days}")

    @property
    def main_sport(self) -> str:
        """The goal's sport when it names one of the plan's sports, else the first."""
        if self.goal is not None and self.goal.sport is not None:
            family = (
                self.goal.sport
                if self.goal.sport in PLANNED_SPORTS
                else sports.sport_family(self.goal.sport)
            )
            if family in self.sports:
                return family
        return self.sports[0]


@dataclass(frozen=True)
class Reason:
    """Why a day is what it is: a template and the numbers that fill it."""

    template: str
    numbers: Mapping[str, Number]

    @property
    def text(self) -> str:
        """The sentence, numbers filled in."""
        return self.template.format(**self.numbers)


@dataclass(frozen=True)
class PlannedDay:
    """One day of the plan: its workout (REST for none) and why.

    ``done_load`` is set for days before the version's ``as_of``: what was actually done
    (the plan's fitness projection uses it instead of the planned load)."""

    day: date
    phase: Phase
    workout: Workout
    reason: Reason
    available_h: float
    locked: bool = False
    done_load: float | None = None
    event: str | None = None

    @property
    def hard(self) -> bool:
        return self.workout.hard

    @property
    def load(self) -> float:
        """The load the projection counts: done when known, else planned."""
        return self.done_load if self.done_load is not None else self.workout.load


@dataclass(frozen=True)
class PlannedWeek:
    """An ISO week of the plan (only its days within the plan).

    ``target_load`` is the load the week is planned for. ``asked_load`` is what the
    week's kind asks for (the ramp, the recovery cut, the taper); when the target is
    lower, ``limit`` says why: the athlete's time or the ramp and form checks."""

    start: date  # the Monday
    kind: WeekKind
    target_load: float
    days: tuple[PlannedDay, ...]
    asked_load: float | None = None
    limit: WeekLimit | None = None

    @property
    def limit_reason(self) -> Reason | None:
        """Why the target stands below what the week asks for, or None."""
        if self.limit is None or self.asked_load is None:
            return None
        numbers: dict[str, Number] = {
            "target": round(self.target_load),
            "asked": round(self.asked_load),
            "kind": self.kind.value,
            "available_h": round(self.available_s / 3600, 1),
        }
        if self.limit is WeekLimit.TIME:
            return Reason(
                "target {target} where the {kind} week asks for {asked}: every day with "
                "time already holds its longest session ({available_h:.1f} h available)",
                numbers,
            )
        if self.limit is WeekLimit.FORM:
            return Reason(
                "target {target} where the {kind} week asks for {asked}: more would break "
                "the ramp or form limit",
                numbers,
            )
        return Reason(
            "target {target} where the {kind} week asks for {asked}: one session more or "
            "5 minutes longer would pass it",
            numbers,
        )

    @property
    def phase(self) -> Phase:
        return self.days[0].phase

    @property
    def planned_load(self) -> float:
        return sum(d.workout.load for d in self.days)

    @property
    def planned_s(self) -> float:
        return sum(d.workout.duration_s for d in self.days)

    @property
    def available_s(self) -> float:
        return sum(d.available_h for d in self.days) * 3600.0


@dataclass(frozen=True)
class TaperSpec:
    """The taper solved for the goal: when, how deep, and the race-day form it gives."""

    start: date
    days: int
    load_cut: float  # the taper's load below the last load weeks' daily level
    cut_range: tuple[float, float]
    approach_factor: float  # the week before the taper at this share of its load
    target_tsb: tuple[float, float]
    race_day_ctl: float
    race_day_tsb: float

    @property
    def in_band(self) -> bool:
        low, high = self.target_tsb
        return low <= self.race_day_tsb <= high


class ChangeKind(StrEnum):
    """How a re-plan changed a day."""

    ADDED = "added"
    REMOVED = "removed"
    REPLACED = "replaced"
    LONGER = "longer"
    SHORTER = "shorter"
    KEPT = "kept"  # the athlete's own change, locked


@dataclass(frozen=True)
class Change:
    """One day a new plan version changed, and why."""

    day: date
    kind: ChangeKind
    before: str
    after: str
    reason: Reason


@dataclass(frozen=True)
class Plan:
    """A version of the plan from ``start`` (today when first made) to its last day."""

    request: PlanRequest
    version: int
    as_of: date
    weeks: tuple[PlannedWeek, ...]
    taper: TaperSpec | None
    ramp_budget: float
    changes: tuple[Change, ...] = ()

    @property
    def start(self) -> date:
        return self.weeks[0].days[0].day

    @property
    def end(self) -> date:
        return self.weeks[-1].days[-1].day

    @property
    def days(self) -> tuple[PlannedDay, ...]:
        return tuple(d for w in self.weeks for d in w.days)

    def day(self, day: date) -> PlannedDay:
        """The plan's day ``day``."""
        i = (day - self.start).days
        days = self.days
        if not 0 <= i < len(days):
            raise CoachError(f"{day} is outside the plan ({self.start} to {self.end})")
        return days[i]

    def series(self) -> PerformanceSeries:
        """Fitness, fatigue, form and ramp the plan leads to (done loads where known)."""
        return performance_series(
            [d.load for d in self.days],
            self.start,
            ctl_start=self.request.ctl,
            atl_start=self.request.atl,
        )


# ---------------------------------------------------------------------------------------
# The skeleton: each day's phase and each week's kind.


@dataclass(frozen=True)
class _Skeleton:
    days: tuple[date, ...]
    phase: Mapping[date, Phase]
    kind: Mapping[date, WeekKind]  # by Monday
    taper_start: date | None
    approach_start: date | None
    race_day: date | None


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _skeleton(request: PlanRequest) -> _Skeleton:
    today, goal = request.today, request.goal
    if goal is None:
        days = tuple(today + timedelta(days=i) for i in range(NO_GOAL_DAYS))
        mondays = sorted({_monday(d) for d in days})
        counted = {m: _count_kind(k + 1, request) for k, m in enumerate(mondays)}
        return _Skeleton(days, dict.fromkeys(days, Phase.MAINTAIN), counted, None, None, None)
    n = (goal.day - today).days
    days = tuple(today + timedelta(days=i) for i in range(n + 1))
    taper_days = min(TAPERS[goal.priority].taper_days, n)
    taper_start = goal.day - timedelta(days=taper_days)
    pre = [d for d in days if d < taper_start]
    pre_weeks = sorted({_monday(d) for d in pre})
    w = len(pre_weeks)
    peak = 1 if goal.priority == "A" and w >= 3 else 0
    rest = w - peak
    base = max(rest - MAX_BUILD_WEEKS, rest // 3) if rest >= 4 else 0
    week_phase: dict[date, Phase] = {}
    for k, monday in enumerate(pre_weeks):
        week_phase[monday] = Phase.BASE if k < base else Phase.BUILD if k < w - peak else Phase.PEAK
    phase = {
        d: Phase.RACE
        if d == goal.day
        else Phase.TAPER
        if d >= taper_start
        else week_phase[_monday(d)]
        for d in days
    }
    kinds: dict[date, WeekKind] = {}
    for k, monday in enumerate(sorted({_monday(d) for d in days})):
        if monday not in week_phase:
            kinds[monday] = WeekKind.TAPER
            continue
        kinds[monday] = _count_kind(k + 1, request)
        if week_phase[monday] is Phase.PEAK and kinds[monday] is WeekKind.RECOVERY:
            # The peak week loads; the recovery it would have been comes a week early.
            kinds[monday] = WeekKind.LOAD
            kinds[monday - timedelta(days=7)] = WeekKind.RECOVERY
    approach = taper_start - timedelta(days=APPROACH_DAYS)
    return _Skeleton(days, phase, kinds, taper_start, approach, goal.day)


def _count_kind(k: int, request: PlanRequest) -> WeekKind:
    recovering = (k + request.weeks_since_recovery) % request.recovery_every == 0
    return WeekKind.RECOVERY if recovering else WeekKind.LOAD


# ---------------------------------------------------------------------------------------
# The builder: weeks one after another, each from the fitness the weeks before leave.


@dataclass(frozen=True)
class _Ctx:
    request: PlanRequest
    skeleton: _Skeleton
    start: date
    budget: float
    keep: float  # 1 − α of CTL
    fixed: Mapping[date, PlannedDay]  # done or locked: taken as they are
    caps: Mapping[date, float]  # week targets not to exceed, by Monday
    kept: Mapping[date, PlannedDay]  # earlier version's days, kept while the rules allow
    taper_before: TaperSpec | None = None
    previous_targets: Mapping[date, float] = field(default_factory=dict)
    previous_asked: Mapping[date, tuple[float | None, WeekLimit | None]] = field(
        default_factory=dict
    )


@dataclass
class _State:
    loads: list[float]
    days: list[PlannedDay]
    ref_daily: float | None
    targets: dict[date, float]
    # by Monday: the load the week's kind asked for and what held the target under it
    asked: dict[date, tuple[float | None, WeekLimit | None]] = field(default_factory=dict)

    def copy(self) -> _State:
        return _State(
            list(self.loads), list(self.days), self.ref_daily, dict(self.targets), dict(self.asked)
        )


def _ctl_atl(ctx: _Ctx, loads: Sequence[float]) -> tuple[float, float]:
    if not loads:
        return ctx.request.ctl, ctx.request.atl
    s = _series(ctx, loads)
    return float(s.ctl[-1]), float(s.atl[-1])


def _series(ctx: _Ctx, loads: Sequence[float]) -> PerformanceSeries:
    return performance_series(
        loads, ctx.start, ctl_start=ctx.request.ctl, atl_start=ctx.request.atl
    )


def _weeks(days: Iterable[date]) -> list[list[date]]:
    weeks: dict[date, list[date]] = {}
    for d in days:
        weeks.setdefault(_monday(d), []).append(d)
    return [weeks[m] for m in sorted(weeks)]


def _build(ctx: _Ctx) -> tuple[list[PlannedWeek], TaperSpec | None]:
    sk = ctx.skeleton
    state = _State([], [], None, {})
    weeks = _weeks(sk.days)
    region_from = len(weeks)
    if sk.approach_start is not None:
        region_from = next(
            i for i, w in enumerate(weeks) if w[-1] >= sk.approach_start or w[-1] == sk.race_day
        )
    for week in weeks[:region_from]:
        _plan_or_keep(ctx, state, week, 0.0)
    taper = None
    if region_from < len(weeks):
        state, taper = _solve_taper(ctx, state, weeks[region_from:])
    return _assemble(ctx, state), taper


def _plan_or_keep(ctx: _Ctx, state: _State, week: list[date], ease: float) -> bool:
    """Keep the earlier version's week when it still passes the rules, else plan it.
    Returns whether it was kept."""
    if week and all(d in ctx.kept or d in ctx.fixed for d in week):
        days = [ctx.fixed.get(d) or ctx.kept[d] for d in week]
        loads = [d.load for d in days]
        if _passes(ctx, state.loads, loads, [d for d in days if d.day not in ctx.fixed]):
            state.loads.extend(loads)
            state.days.extend(days)
            monday = _monday(week[0])
            state.targets[monday] = ctx.caps.get(
                monday, ctx.previous_targets.get(monday, sum(loads))
            )
            state.asked[monday] = ctx.previous_asked.get(monday, (None, None))
            _update_ref(ctx, state, week, days)
            return True
    _plan_week(ctx, state, week, ease)
    return False


def _passes(
    ctx: _Ctx, before: Sequence[float], week_loads: Sequence[float], free: Sequence[PlannedDay]
) -> bool:
    if not free:
        return True
    s = _series(ctx, [*before, *week_loads])
    a = len(before)
    rules = ctx.request.rules
    ramp_ok = bool(np.all(s.ramp[a:] <= ctx.budget + 1e-9))
    tsb_ok = bool(np.all(s.ctl[a:] - s.atl[a:] >= rules.form_floor - 1e-9))
    return ramp_ok and tsb_ok


def _update_ref(ctx: _Ctx, state: _State, week: list[date], days: Sequence[PlannedDay]) -> None:
    kind = ctx.skeleton.kind[_monday(week[0])]
    pre = [d for d in days if d.phase in (Phase.BASE, Phase.BUILD, Phase.MAINTAIN)]
    if kind is WeekKind.LOAD and pre:
        state.ref_daily = sum(d.load for d in pre) / len(pre)


def _daily_levels(ctx: _Ctx, state: _State, week: list[date], ease: float) -> dict[date, float]:
    """The load each day of the week is aimed at, before the rules and the days' time."""
    sk = ctx.skeleton
    kind = sk.kind[_monday(week[0])]
    ctl, _ = _ctl_atl(ctx, state.loads)
    n = len(week)
    rule_daily = ctl + ctx.budget * (n / RAMP_DAYS) / (1.0 - ctx.keep**n)
    ref = state.ref_daily if state.ref_daily is not None else max(ctl, 0.0)
    cut, approach = _ease(ctx, ease)
    levels: dict[date, float] = {}
    for d in week:
        phase = sk.phase[d]
        if phase is Phase.RACE:
            level = 0.0
        elif phase is Phase.TAPER:
            level = ref * (1.0 - cut)
        elif kind is WeekKind.RECOVERY:
            level = ref * (1.0 - RECOVERY_CUT)
        elif phase is Phase.PEAK:
            level = min(ref, rule_daily) if state.ref_daily is not None else rule_daily
        else:
            level = rule_daily
        if sk.approach_start is not None and sk.approach_start <= d < (sk.taper_start or d):
            level *= approach
        levels[d] = max(0.0, level)
    return levels


def _ease(ctx: _Ctx, ease: float) -> tuple[float, float]:
    """The taper's cut and the approach week's factor for an easing of 0–1: the first
    half deepens the taper across its range, the second eases the week before it."""
    lo, hi = _cut_range(ctx.request)
    if ease <= 0.5:
        return lo + (hi - lo) * ease / 0.5, 1.0
    return hi, 1.0 - (1.0 - APPROACH_FLOOR) * (ease - 0.5) / 0.5


def _cut_range(request: PlanRequest) -> tuple[float, float]:
    if request.goal is None:
        return 0.0, 0.0
    nominal = TAPERS[request.goal.priority].volume_reduction
    return max(0.0, nominal - TAPER_CUT_BELOW_NOMINAL), TAPER_CUT_MAX


def _plan_week(ctx: _Ctx, state: _State, week: list[date], ease: float) -> None:
    monday = _monday(week[0])
    levels = _daily_levels(ctx, state, week, ease)
    target = sum(levels.values())
    if all(d in ctx.fixed for d in week) and monday in ctx.previous_targets:
        target = ctx.previous_targets[monday]
    if monday in ctx.caps:
        target = min(target, ctx.caps[monday])
    fixed = {d: ctx.fixed[d] for d in week if d in ctx.fixed}
    free = [d for d in week if d not in fixed]
    fixed_load = sum(p.load for p in fixed.values())
    free_levels = sum(levels[d] for d in free)
    budget = max(0.0, target - fixed_load)

    def attempt(scale: float) -> tuple[list[PlannedDay], float, bool]:
        planned, held = _schedule_week(
            ctx, state, week, free, levels, free_levels, budget * scale, fixed
        )
        days = [fixed.get(d) or planned[d] for d in week]
        passes = _passes(ctx, state.loads, [p.load for p in days], [planned[d] for d in free])
        return days, held, passes

    scale = 1.0
    days, held, passes = attempt(scale)
    if not passes:
        # The largest share of the budget the ramp and form checks allow (at none, the
        # week is planned as bare as it gets).
        low, high = 0.0, 1.0
        days, held, _ = attempt(low)
        for _ in range(SCALE_STEPS):
            mid = (low + high) / 2
            trial = attempt(mid)
            if trial[2]:
                low, (days, held, _) = mid, trial
            else:
                high = mid
        scale = low
    state.loads.extend(p.load for p in days)
    state.days.extend(days)
    asked, limit = target, None
    planned = sum(p.load for p in days)
    if free and fixed_load + held < target - TARGET_SLACK:
        # The week cannot hold what it asks for: its target is what it plans.
        limit = WeekLimit.FORM if scale < 1.0 else WeekLimit.TIME
        target = planned
    elif free and planned < TARGET_SHARE * target:
        limit, target = WeekLimit.STEPS, planned
    earlier_asked, earlier_limit = ctx.previous_asked.get(monday, (None, None))
    limit = limit or (earlier_limit if monday in ctx.caps or not free else None)
    if limit is not None and earlier_asked is not None and earlier_asked > asked:
        # An earlier version set this week's target: what the week asked for still stands.
        asked = earlier_asked
    state.targets[monday] = target
    state.asked[monday] = (asked, limit)
    _update_ref(ctx, state, week, days)


def _schedule_week(
    ctx: _Ctx,
    state: _State,
    week: list[date],
    free: list[date],
    levels: Mapping[date, float],
    free_levels: float,
    budget: float,
    fixed: Mapping[date, PlannedDay],
) -> tuple[dict[date, PlannedDay], float]:
    """The free days' workouts for ``budget``, shared among the week's blocks by their
    levels, and the load the blocks can hold of it: a block's share, or less when its
    days' time cannot hold that much (what a block cannot hold is not moved to another:
    a taper day does not take what a peak day has no time for)."""
    sk = ctx.skeleton
    hard = {p.day for p in state.days[-1:] if p.hard} | {d for d, p in fixed.items() if p.hard}
    out: dict[date, PlannedDay] = {}
    segments: list[list[date]] = []
    for d in free:
        if segments and sk.phase[segments[-1][-1]] is sk.phase[d]:
            segments[-1].append(d)
        else:
            segments.append([d])
    week_index = (_monday(week[0]) - _monday(ctx.start)).days // 7
    hard_left = MAX_HARD_DAYS - sum(1 for p in fixed.values() if p.hard)
    kind = sk.kind[_monday(week[0])]
    held = 0.0
    for seg in segments:
        phase = sk.phase[seg[0]]
        share = sum(levels[d] for d in seg) / free_levels if free_levels > 0 else 0.0
        n_hard = 0 if kind is WeekKind.RECOVERY else HARD_SESSIONS[phase]
        if phase in (Phase.BASE, Phase.BUILD, Phase.PEAK, Phase.MAINTAIN):
            n_hard -= sum(1 for p in fixed.values() if p.hard and p.phase is phase)
        n_hard = max(0, min(n_hard, hard_left))
        chosen = _schedule(ctx, seg, math.inf, phase, kind, week_index, hard, n_hard)
        most = sum(w.load for w in chosen.values())
        if budget * share < most:
            chosen = _schedule(ctx, seg, budget * share, phase, kind, week_index, hard, n_hard)
        held += min(budget * share, most)
        for d in seg:
            workout = chosen.get(d, rest_workout())
            if workout.hard:
                hard.add(d)
                hard_left -= 1
            out[d] = PlannedDay(
                d,
                phase,
                workout,
                Reason("", {}),
                ctx.request.availability.on(d),
                event=ctx.request.goal.name if phase is Phase.RACE and ctx.request.goal else None,
            )
    return out, held


@dataclass(frozen=True)
class _Item:
    day: date
    sport: str
    type: WorkoutType
    group: int  # 0 hard, 1 long, 2 easy: the order in which sessions are shortened
    lo: int
    hi: int


def _schedule(
    ctx: _Ctx,
    days: list[date],
    target: float,
    phase: Phase,
    kind: WeekKind,
    week_index: int,
    hard_days: set[date],
    n_hard: int,
) -> dict[date, Workout]:
    """Workouts for ``days`` whose loads add up to at most ``target``."""
    if phase is Phase.RACE or target <= 0:
        return {}
    request = ctx.request
    th = request.thresholds
    avail = {d: request.availability.minutes(d) for d in days}
    main = request.main_sport
    others = [s for s in request.sports if s != main]
    order = [main, *others]

    def fits(sport: str, t: WorkoutType, d: date) -> bool:
        try:
            return duration_range(sport, t)[0] <= avail[d]
        except CoachError:
            return False

    candidates = [d for d in days if any(fits(s, WorkoutType.ENDURANCE, d) for s in order)]
    items: list[_Item] = []
    long_day: date | None = None
    if phase in (Phase.BASE, Phase.BUILD, Phase.PEAK, Phase.MAINTAIN) and len(candidates) >= 2:
        best = max(candidates, key=lambda d: (avail[d], d))
        if fits(main, WorkoutType.LONG, best):
            long_day = best
            items.append(_item(main, WorkoutType.LONG, best, 1, avail[best]))
    hard_types = HARD_TYPES_BY_PHASE[phase]
    rest = [d for d in candidates if d != long_day]
    n_hard = min(n_hard, max(0, len(candidates) - 1))

    def adjacent(d: date, others: Iterable[date]) -> bool:
        return any(abs((d - o).days) <= 1 for o in others)

    ranked = sorted(
        rest,
        key=lambda d: (
            long_day is not None and adjacent(d, [long_day]),
            -avail[d],
            d,
        ),
    )
    race = ctx.skeleton.race_day
    if race is not None:
        # Openers, not intervals, in the last days: a session missed or overdone there
        # cannot be made up before the race.
        ranked = [d for d in ranked if (race - d).days > RACE_EVE_EASY_DAYS]
    chosen: list[date] = []
    for d in ranked:
        if len(chosen) >= n_hard or not hard_types:
            break
        if adjacent(d, [*hard_days, *chosen]):
            continue
        i = len(chosen)
        sport = order[i % len(order)]
        t = hard_types[(i + week_index) % len(hard_types)]
        if not fits(sport, t, d):
            sport = main
        if fits(sport, t, d):
            chosen.append(d)
    chosen.sort()
    for i, d in enumerate(chosen):
        sport = order[i % len(order)]
        t = hard_types[(i + week_index) % len(hard_types)]
        if not fits(sport, t, d):
            sport = main
        items.append(_item(sport, t, d, 0, avail[d]))
    skill_left = phase in (Phase.BASE, Phase.BUILD, Phase.MAINTAIN) and kind is WeekKind.LOAD
    j = 0
    for d in rest:
        if d in chosen:
            continue
        sports_in_turn = order[j % len(order) :] + order[: j % len(order)]
        if len(order) > 1:
            sports_in_turn = sports_in_turn[1:] + sports_in_turn[:1]
        easy = next((s for s in sports_in_turn if fits(s, WorkoutType.ENDURANCE, d)), None)
        if easy is None:
            continue
        j += 1
        t = WorkoutType.ENDURANCE
        after_hard = (d - timedelta(days=1)) in hard_days or (d - timedelta(days=1)) in chosen
        if after_hard and avail[d] < 60 and fits(easy, WorkoutType.RECOVERY, d):
            t = WorkoutType.RECOVERY
        elif skill_left and easy in _SKILL and fits(easy, _SKILL[easy], d):
            t = _SKILL[easy]
            skill_left = False
        items.append(_item(easy, t, d, 2, avail[d]))
    return _fit_durations(th, items, target)


def _item(sport: str, t: WorkoutType, d: date, group: int, minutes: int) -> _Item:
    lo, hi = duration_range(sport, t)
    return _Item(d, sport, t, group, lo, min(hi, minutes))


def _minutes(item: _Item, lam: float) -> int:
    portion = min(1.0, max(0.0, lam - item.group))
    span = (item.hi - item.lo) * portion
    return item.lo + int(span + 1e-9) // MINUTES_STEP * MINUTES_STEP


def _fit_durations(th: AthleteThresholds, items: list[_Item], target: float) -> dict[date, Workout]:
    """Durations for the sessions so their loads add up to at most ``target``: easy
    sessions shortened first, then the long one, then the hard ones; when even their
    shortest forms are too much, some sessions become rest days (``_kept_sessions``)."""

    def total(its: Sequence[_Item], lam: float) -> float:
        return sum(build_workout(i.sport, i.type, _minutes(i, lam), th).load for i in its)

    live = [i for i in items if i.lo <= i.hi]
    if total(live, 0.0) > target:
        live = _kept_sessions(th, live, target)
    if not live:
        return {}
    lo_lam, hi_lam = 0.0, 3.0
    if total(live, hi_lam) <= target:
        lo_lam = hi_lam
    else:
        for _ in range(30):
            mid = (lo_lam + hi_lam) / 2
            if total(live, mid) <= target:
                lo_lam = mid
            else:
                hi_lam = mid
    minutes = {i.day: _minutes(i, lo_lam) for i in live}
    out = {i.day: build_workout(i.sport, i.type, minutes[i.day], th) for i in live}
    if lo_lam < hi_lam:
        _fill(th, live, minutes, out, target)
    return out


def _kept_sessions(th: AthleteThresholds, items: list[_Item], target: float) -> list[_Item]:
    """The sessions to keep when even their shortest forms add up to more than
    ``target``: of the sets whose shortest forms fit, one whose longest forms reach the
    most of the target (dropping sessions one at a time in a fixed order can leave a week
    far short: its hard sessions kept where the long one alone would reach the target);
    among equals the most hard sessions, then the long one, then the most easy ones."""
    shortest = [build_workout(i.sport, i.type, i.lo, th).load for i in items]
    longest = [build_workout(i.sport, i.type, _minutes(i, 3.0), th).load for i in items]
    best: tuple[float, int, int, int, float] | None = None
    kept: list[_Item] = []
    for n in range(len(items), 0, -1):
        for chosen in itertools.combinations(range(len(items)), n):
            if sum(shortest[k] for k in chosen) > target:
                continue
            reach = min(target, sum(longest[k] for k in chosen))
            groups = [items[k].group for k in chosen]
            key = (
                round(reach / TARGET_SLACK),
                groups.count(0),
                groups.count(1),
                groups.count(2),
                sum(items[k].hi for k in chosen),
            )
            if best is None or key > best:
                best, kept = key, [items[k] for k in chosen]
    return kept


def _fill(
    th: AthleteThresholds,
    items: Sequence[_Item],
    minutes: dict[date, int],
    out: dict[date, Workout],
    target: float,
) -> None:
    """Lengthen sessions a step at a time, in the order the sessions grow (hard, long,
    easy), while the loads still add up to at most ``target``: the common fraction leaves
    each session up to a step short, a week of several sessions a noticeable share of its
    target short."""
    load = sum(w.load for w in out.values())
    grown = True
    while grown:
        grown = False
        for i in sorted(items, key=lambda i: (i.group, i.day)):
            step = minutes[i.day] + MINUTES_STEP
            if step > i.hi:
                continue
            longer = build_workout(i.sport, i.type, step, th)
            if load - out[i.day].load + longer.load <= target:
                load += longer.load - out[i.day].load
                minutes[i.day], out[i.day] = step, longer
                grown = True


def _solve_taper(ctx: _Ctx, state: _State, region: list[list[date]]) -> tuple[_State, TaperSpec]:
    """Plan the weeks from the approach to race day with the easing that brings race-day
    form closest to the middle of the priority's band."""
    goal = ctx.request.goal
    sk = ctx.skeleton
    assert goal is not None and sk.taper_start is not None and sk.race_day is not None
    race_day = sk.race_day
    low, high = TAPERS[goal.priority].target_tsb
    middle = (low + high) / 2

    def run(ease: float) -> tuple[_State, float]:
        trial = state.copy()
        kept = True
        for week in region:
            kept = _plan_or_keep(ctx, trial, week, ease) and kept
        if not kept and ctx.kept:
            # A kept week failed the rules: the whole approach is planned afresh.
            fresh = replace(ctx, kept={})
            trial = state.copy()
            for week in region:
                _plan_week(fresh, trial, week, ease)
        race = (race_day - ctx.start).days
        ctl, atl = _ctl_atl(ctx, trial.loads[:race])
        return trial, ctl - atl

    tried: dict[float, tuple[_State, float]] = {}

    def at(ease: float) -> float:
        if ease not in tried:
            tried[ease] = run(ease)
        return tried[ease][1]

    if at(0.0) < middle and at(1.0) > middle:
        lo, hi = 0.0, 1.0
        for _ in range(7):
            mid = (lo + hi) / 2
            if at(mid) < middle:
                lo = mid
            else:
                hi = mid

    def rank(e: float) -> tuple[bool, float, float]:
        tsb = tried[e][1]
        # out of band, then distance to the middle; among equals the deepest taper when
        # form is short of the band, the mildest otherwise
        return (not low <= tsb <= high, abs(tsb - middle), -e if tsb < low else e)

    best = min(tried, key=rank)
    final, tsb = tried[best]
    cut, approach = _ease(ctx, best)
    region_days = [d for w in region for d in w]
    if (
        ctx.taper_before is not None
        and all(
            final.days[(d - ctx.start).days] is ctx.kept.get(d)
            for d in region_days
            if d in ctx.kept
        )
        and any(d in ctx.kept for d in region_days)
    ):
        cut, approach = ctx.taper_before.load_cut, ctx.taper_before.approach_factor
    race = (sk.race_day - ctx.start).days
    ctl, _ = _ctl_atl(ctx, final.loads[:race])
    spec = TaperSpec(
        sk.taper_start,
        (sk.race_day - sk.taper_start).days,
        cut,
        _cut_range(ctx.request),
        approach,
        (float(low), float(high)),
        ctl,
        tsb,
    )
    return final, spec


def _assemble(ctx: _Ctx, state: _State) -> list[PlannedWeek]:
    s = _series(ctx, state.loads)
    by_week: dict[date, list[PlannedDay]] = {}
    last_hard: date | None = None
    for p in state.days:
        if p.day < ctx.start:
            continue
        by_week.setdefault(_monday(p.day), []).append(p)
    weeks: list[PlannedWeek] = []
    for monday in sorted(by_week):
        days = by_week[monday]
        target = state.targets.get(monday, sum(p.load for p in days))
        so_far = 0.0
        explained: list[PlannedDay] = []
        for p in days:
            i = (p.day - ctx.start).days
            tsb = float(s.tsb[i])
            reason = p.reason
            if p.day not in ctx.fixed or not reason.template:
                reason = _explain(ctx, p, tsb, last_hard, so_far, target, s, i)
            explained.append(replace(p, reason=reason))
            if p.hard:
                last_hard = p.day
            so_far += p.load
        asked, limit = state.asked.get(monday, (None, None))
        weeks.append(
            PlannedWeek(monday, ctx.skeleton.kind[monday], target, tuple(explained), asked, limit)
        )
    return weeks


def _explain(
    ctx: _Ctx,
    p: PlannedDay,
    tsb: float,
    last_hard: date | None,
    so_far: float,
    target: float,
    s: PerformanceSeries,
    i: int,
) -> Reason:
    w = p.workout
    week_pct = 100.0 * so_far / target if target > 0 else 100.0
    common: dict[str, Number] = {
        "tsb": round(tsb, 1),
        "ctl": round(float(s.ctl[i - 1]) if i > 0 else ctx.request.ctl, 1),
        "week_pct": round(week_pct),
        "week_target": round(target),
        "load": round(w.load, 1),
        "minutes": round(w.duration_s / 60),
        "available_h": round(p.available_h, 2),
        "phase": p.phase.value,
        "weekday": WEEKDAYS[p.day.weekday()],
        "workout": w.type.value.replace("_", " "),
        "sport": w.sport,
    }
    goal = ctx.request.goal
    if p.phase is Phase.RACE and goal is not None:
        low, high = TAPERS[goal.priority].target_tsb
        return Reason(
            "{event}: race day, form {tsb:+.0f} (target {low:+.0f} to {high:+.0f})",
            {**common, "event": goal.name, "low": low, "high": high},
        )
    if p.locked:
        return Reason("{workout} {sport}: your change, kept as it is", common)
    if w.type is WorkoutType.REST:
        if p.available_h * 60 < MINUTES_STEP or ctx.request.availability.minutes(p.day) < 20:
            return Reason("rest: no time to train on {weekday}s", common)
        if p.phase is Phase.TAPER:
            return Reason(
                "rest: taper, the week at {week_pct:.0f} % of its reduced target of "
                "{week_target:.0f}",
                common,
            )
        return Reason(
            "rest: the other days carry the week's target of {week_target:.0f} "
            "(the week at {week_pct:.0f} %), form {tsb:+.0f}",
            common,
        )
    since = (p.day - last_hard).days if last_hard is not None else None
    if p.phase is Phase.TAPER and goal is not None and ctx.skeleton.race_day is not None:
        days_to = (ctx.skeleton.race_day - p.day).days
        return Reason(
            "{workout} {sport} today, {minutes} min: taper, {days_to} days to {event}, "
            "form {tsb:+.0f}, the week at {week_pct:.0f} % of its reduced target",
            {**common, "days_to": days_to, "event": goal.name},
        )
    if w.hard:
        if since is None:
            return Reason(
                "{workout} today: form {tsb:+.0f}, no hard session yet in the plan, "
                "the week at {week_pct:.0f} % of its target",
                common,
            )
        return Reason(
            "{workout} today: form {tsb:+.0f}, {days_since_hard} days since the last hard "
            "session, the week at {week_pct:.0f} % of its target",
            {**common, "days_since_hard": since},
        )
    if w.type is WorkoutType.LONG:
        return Reason(
            "long {sport} today, {minutes} min: the day with the most time "
            "({available_h:.1f} h), form {tsb:+.0f}, the week at {week_pct:.0f} % of its "
            "target",
            common,
        )
    if since == 1:
        return Reason(
            "{workout} {sport} today, {minutes} min: easy after yesterday's hard session, "
            "form {tsb:+.0f}, the week at {week_pct:.0f} % of its target",
            common,
        )
    kind = ctx.skeleton.kind[_monday(p.day)]
    if kind is WeekKind.RECOVERY:
        return Reason(
            "{workout} {sport} today, {minutes} min: recovery week, load cut {cut:.0f} % "
            "from the load weeks, form {tsb:+.0f}",
            {**common, "cut": 100 * RECOVERY_CUT},
        )
    return Reason(
        "{workout} {sport} today, {minutes} min: aerobic volume, form {tsb:+.0f}, the week "
        "at {week_pct:.0f} % of its target",
        common,
    )


# ---------------------------------------------------------------------------------------
# Public entry points.


def plan_training(request: PlanRequest) -> Plan:
    """A plan from ``request.today`` to the goal (or two weeks without one)."""
    ctx = _context(request, request.today, {}, {}, {})
    weeks, taper = _build(ctx)
    return Plan(request, 1, request.today, tuple(weeks), taper, ctx.budget)


def _context(
    request: PlanRequest,
    start: date,
    fixed: Mapping[date, PlannedDay],
    caps: Mapping[date, float],
    kept: Mapping[date, PlannedDay],
) -> _Ctx:
    keep = 1.0 - smoothing_factor(CTL_DAYS, "exponential")
    budget = request.rules.ramp_limit * RAMP_SHARE
    return _Ctx(request, _skeleton(request), start, budget, keep, fixed, caps, kept)


@dataclass(frozen=True)
class DoneLoad:
    """The load actually done on a day (all activities summed)."""

    day: date
    load: float


def adapt_plan(
    plan: Plan,
    done: Sequence[DoneLoad],
    *,
    today: date,
    locks: Mapping[date, Workout] | None = None,
) -> Plan:
    """The next version of ``plan`` on the morning of ``today``.

    Days before today take the load actually done (``done``, summed per day). The rest of
    this week and next week are planned again: this week keeps its target (what is left
    of it spread over the days left), later weeks are kept while the ramp and form rules
    still hold for them, else planned again from the fitness reached; when the approach
    to the goal falls within those two weeks the taper is solved again for race-day form.
    ``locks`` are the athlete's own changes (a moved, skipped, swapped or replaced
    workout; REST for a skipped day), kept as they are.
    """
    if not plan.start <= today <= plan.end:
        raise CoachError(f"today ({today}) is outside the plan ({plan.start} to {plan.end})")
    locks = dict(locks or {})
    for day in locks:
        if not today <= day <= plan.end:
            raise CoachError(f"a locked day ({day}) must fall from today to {plan.end}")
    per_day: dict[date, float] = {}
    for d in done:
        per_day[d.day] = per_day.get(d.day, 0.0) + d.load
    old = {p.day: p for p in plan.days}
    fixed: dict[date, PlannedDay] = {}
    for day, p in old.items():
        if day < today:
            fixed[day] = replace(p, done_load=per_day.get(day, 0.0))
    for day, workout in locks.items():
        fixed[day] = replace(old[day], workout=workout, locked=True)
    horizon = _monday(today) + timedelta(days=13)
    request = plan.request
    sk = _skeleton(request)
    if sk.approach_start is not None and sk.approach_start <= horizon:
        horizon = plan.end
    kept = {day: p for day, p in old.items() if day > horizon and day not in fixed}
    caps: dict[date, float] = {}
    this_week = _monday(today)
    in_approach = (
        sk.approach_start is not None and this_week + timedelta(days=6) >= sk.approach_start
    )
    if not in_approach:
        caps = {w.start: w.target_load for w in plan.weeks if w.start == this_week}
    ctx = replace(
        _context(request, plan.start, fixed, caps, kept),
        taper_before=plan.taper,
        previous_targets={w.start: w.target_load for w in plan.weeks},
        previous_asked={w.start: (w.asked_load, w.limit) for w in plan.weeks},
    )
    weeks, taper = _build(ctx)
    new = Plan(request, plan.version + 1, today, tuple(weeks), taper, ctx.budget)
    return replace(new, changes=tuple(_changes(plan, new, today, per_day)))


def _label(w: Workout) -> str:
    if w.type is WorkoutType.REST:
        return "rest"
    return f"{w.type.value.replace('_', ' ')} {w.sport} {round(w.duration_s / 60)} min"


def _changes(old: Plan, new: Plan, today: date, done: Mapping[date, float]) -> list[Change]:
    before = {p.day: p for p in old.days}
    weeks = {w.start: w for w in new.weeks}
    old_weeks = {w.start: w for w in old.weeks}
    changes: list[Change] = []
    old_series, new_series = old.series(), new.series()
    for p in new.days:
        if p.day < today or p.day not in before:
            continue
        q = before[p.day]
        a, b = q.workout, p.workout
        if p.locked:
            kind = ChangeKind.KEPT
        elif a.type is WorkoutType.REST and b.type is WorkoutType.REST:
            continue
        elif a.type is WorkoutType.REST:
            kind = ChangeKind.ADDED
        elif b.type is WorkoutType.REST:
            kind = ChangeKind.REMOVED
        elif (a.type, a.sport) != (b.type, b.sport):
            kind = ChangeKind.REPLACED
        elif abs(a.duration_s - b.duration_s) < 60:
            continue
        else:
            kind = ChangeKind.LONGER if b.duration_s > a.duration_s else ChangeKind.SHORTER
        monday = _monday(p.day)
        week = weeks[monday]
        done_week = sum(v for d, v in done.items() if _monday(d) == monday and d < today)
        planned_week_before = (
            sum(x.workout.load for x in old_weeks[monday].days if x.day < today)
            if monday in old_weeks
            else 0.0
        )
        i = (p.day - new.start).days
        numbers: dict[str, Number] = {
            "before": _label(a),
            "after": _label(b),
            "week_target": round(week.target_load),
            "done": round(done_week),
            "planned_so_far": round(planned_week_before),
            "left": round(max(0.0, week.target_load - done_week)),
            "days_left": sum(1 for x in week.days if x.day >= today),
            "ctl": round(float(new_series.ctl[i - 1]) if i > 0 else new.request.ctl, 1),
            "planned_ctl": round(float(old_series.ctl[i - 1]) if i > 0 else old.request.ctl, 1),
            "ramp_limit": new.request.rules.ramp_limit,
        }
        if kind is ChangeKind.KEPT:
            template = "{after}: your change, kept; the other days make up the week's target"
        elif monday == _monday(today):
            template = (
                "{before} → {after}: {done} of the week's {week_target} done by today "
                "({planned_so_far} planned), {left} left over {days_left} days"
            )
        elif p.phase in (Phase.TAPER, Phase.RACE) and new.taper is not None:
            numbers["race_tsb"] = round(new.taper.race_day_tsb, 1)
            numbers["low"], numbers["high"] = new.taper.target_tsb
            template = (
                "{before} → {after}: taper planned again, race-day form {race_tsb:+.0f} "
                "(target {low:+.0f} to {high:+.0f})"
            )
        else:
            template = (
                "{before} → {after}: fitness {ctl:.0f} where the plan expected "
                "{planned_ctl:.0f}; the week's target is {week_target} within the ramp "
                "limit of {ramp_limit:.0f} a week"
            )
        changes.append(Change(p.day, kind, _label(a), _label(b), Reason(template, numbers)))
    return changes


def weekly_ramps(plan: Plan) -> list[float]:
    """The largest 7-day CTL ramp within each week of the plan's projection."""
    s = plan.series()
    out: list[float] = []
    for w in plan.weeks:
        idx = [(d.day - plan.start).days for d in w.days]
        out.append(float(np.max(s.ramp[idx])))
    return out


def hard_days_by_week(plan: Plan) -> list[int]:
    """How many hard sessions each week holds."""
    return [sum(1 for d in w.days if d.hard) for w in plan.weeks]
