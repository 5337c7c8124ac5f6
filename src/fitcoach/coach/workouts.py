"""Structured workouts: steps with targets in the athlete's zones, and their planned load.

A workout is a list of steps (warm-up, steady parts, repeated intervals with recoveries,
cool-down). Each step holds one intensity *level* (recovery … sprint), turned into a
target the athlete can follow: power for rides when the FTP is known, pace for runs and
swims when the threshold pace is known, heart rate otherwise, and perceived effort when
nothing is known. The planned load is what ``load.activity_load`` computes for the
activity a perfectly executed workout would record (``executed_activity``): the same
maths as for the athlete's real activities. docs/metrics.md, "Structured workouts".
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Final

import numpy as np

from fitcoach.coach import sports
from fitcoach.coach.errors import CoachError
from fitcoach.coach.load import LoadMethod, activity_load
from fitcoach.coach.models import Activity, AthleteThresholds, Streams
from fitcoach.coach.zones import Zone, heart_rate_zones, pace_zones, power_zones

PLANNED_SPORTS: Final = (sports.RIDE, sports.RUN, sports.SWIM)
# Planned durations are whole multiples of this many minutes.
MINUTES_STEP: Final = 5


class WorkoutType(StrEnum):
    """The kinds of session the planner schedules; REST is a day without one."""

    REST = "rest"
    RECOVERY = "recovery"
    ENDURANCE = "endurance"
    LONG = "long"
    TEMPO = "tempo"
    SWEET_SPOT = "sweet_spot"
    THRESHOLD = "threshold"
    VO2MAX = "vo2max"
    ANAEROBIC = "anaerobic"
    SPRINTS = "sprints"
    STRIDES = "strides"


# Sessions above the first threshold (Seiler's zones 2–3): the "hard days" the plan
# spaces out and limits per week.
HARD_TYPES: Final = frozenset(
    {
        WorkoutType.TEMPO,
        WorkoutType.SWEET_SPOT,
        WorkoutType.THRESHOLD,
        WorkoutType.VO2MAX,
        WorkoutType.ANAEROBIC,
    }
)


class Level(StrEnum):
    """The intensity a step holds; each sport and target maps it to a number."""

    REST = "rest"
    RECOVERY = "recovery"
    ENDURANCE = "endurance"
    TEMPO = "tempo"
    SWEET_SPOT = "sweet_spot"
    THRESHOLD = "threshold"
    VO2MAX = "vo2max"
    ANAEROBIC = "anaerobic"
    SPRINT = "sprint"


class StepKind(StrEnum):
    """A step's role, as FIT and Zwift name them."""

    WARMUP = "warmup"
    ACTIVE = "active"
    RECOVERY = "recovery"
    REST = "rest"
    COOLDOWN = "cooldown"


class TargetKind(StrEnum):
    """What the athlete follows during a step."""

    POWER = "power"  # watts
    PACE = "pace"  # a speed in m/s, shown as a pace per km (run) or per 100 m (swim)
    HEART_RATE = "heart_rate"  # bpm
    OPEN = "open"  # perceived effort


# Fraction of the sport's threshold measure each level holds: FTP for rides, threshold
# speed for runs and swims. Rides follow Coggan's levels (zone 1 < 56 %, 2 56–75 %,
# 3 76–90 %, 4 91–105 %, 5 106–120 %, 6 121–150 %, 7 above); runs Friel's pace zones
# (speed: recovery < 77.5 %, endurance 77.5–88.5 %, tempo 88.5–95 %, threshold 95–100 %);
# swims the usual CSS-based sets (endurance ~ CSS + 10–15 s/100 m).
LEVELS: Final[dict[str, dict[Level, float]]] = {
    sports.RIDE: {
        Level.REST: 0.0,
        Level.RECOVERY: 0.50,
        Level.ENDURANCE: 0.68,
        Level.TEMPO: 0.83,
        Level.SWEET_SPOT: 0.90,
        Level.THRESHOLD: 0.98,
        Level.VO2MAX: 1.13,
        Level.ANAEROBIC: 1.35,
        Level.SPRINT: 1.75,
    },
    sports.RUN: {
        Level.REST: 0.0,
        Level.RECOVERY: 0.74,
        Level.ENDURANCE: 0.80,
        Level.TEMPO: 0.90,
        Level.SWEET_SPOT: 0.94,
        Level.THRESHOLD: 0.99,
        Level.VO2MAX: 1.06,
        Level.ANAEROBIC: 1.12,
        Level.SPRINT: 1.25,
    },
    sports.SWIM: {
        Level.REST: 0.0,
        Level.RECOVERY: 0.80,
        Level.ENDURANCE: 0.88,
        Level.TEMPO: 0.93,
        Level.SWEET_SPOT: 0.96,
        Level.THRESHOLD: 1.00,
        Level.VO2MAX: 1.04,
        Level.ANAEROBIC: 1.07,
        Level.SPRINT: 1.12,
    },
}
# Fraction of threshold heart rate for each level when heart rate is the target: Friel's
# cycling zones (2: 81–89 %, 3: 90–93 %, 4: 94–99 %, 5: ≥ 100 %) and running zones
# (2: 85–89 %, 3: 90–94 %, 4: 95–99 %). Heart rate lags short efforts: above threshold
# the target says "at least".
HEART_RATE_LEVELS: Final[dict[str, dict[Level, float]]] = {
    sports.RIDE: {
        Level.REST: 0.70,
        Level.RECOVERY: 0.72,
        Level.ENDURANCE: 0.85,
        Level.TEMPO: 0.915,
        Level.SWEET_SPOT: 0.95,
        Level.THRESHOLD: 0.99,
        Level.VO2MAX: 1.03,
        Level.ANAEROBIC: 1.05,
        Level.SPRINT: 1.05,
    },
    sports.RUN: {
        Level.REST: 0.75,
        Level.RECOVERY: 0.80,
        Level.ENDURANCE: 0.87,
        Level.TEMPO: 0.92,
        Level.SWEET_SPOT: 0.955,
        Level.THRESHOLD: 0.99,
        Level.VO2MAX: 1.03,
        Level.ANAEROBIC: 1.05,
        Level.SPRINT: 1.05,
    },
}
HEART_RATE_LEVELS[sports.SWIM] = HEART_RATE_LEVELS[sports.RIDE]
# Perceived effort (Borg CR-10) per level, for athletes with no thresholds at all.
RPE: Final[dict[Level, int]] = {
    Level.REST: 0,
    Level.RECOVERY: 2,
    Level.ENDURANCE: 3,
    Level.TEMPO: 5,
    Level.SWEET_SPOT: 6,
    Level.THRESHOLD: 7,
    Level.VO2MAX: 8,
    Level.ANAEROBIC: 9,
    Level.SPRINT: 10,
}
# Half-width of a target band: ±2.5 % of FTP, ±2 % of threshold speed, ±3 bpm.
POWER_BAND: Final = 0.025
SPEED_BAND: Final = 0.02
HEART_RATE_BAND: Final = 3.0
SWIM_LENGTH_M: Final = 25.0

_SPORT_TYPE: Final = {sports.RIDE: "Ride", sports.RUN: "Run", sports.SWIM: "Swim"}


@dataclass(frozen=True)
class Target:
    """What to hold: ``value`` is what a perfect execution holds, ``low``–``high`` the
    band shown (W, bpm or m/s; None for perceived effort); ``zone`` the zone of value."""

    kind: TargetKind
    value: float | None
    low: float | None
    high: float | None
    zone: int | None
    label: str


@dataclass(frozen=True)
class Step:
    """One step: its role, how long (and how far, for pool swims), at what level."""

    kind: StepKind
    duration_s: float
    level: Level
    fraction: float  # the level as a fraction of the sport's threshold (FTP or speed)
    target: Target
    name: str
    distance_m: float | None = None


@dataclass(frozen=True)
class Repeat:
    """``times`` repetitions of ``steps`` (an effort and its recovery)."""

    times: int
    steps: tuple[Step, ...]


Block = Step | Repeat


@dataclass(frozen=True)
class Workout:
    """A planned session: its steps and, computed from them, duration and load."""

    sport: str  # a sport family: ride, run or swim
    type: WorkoutType
    name: str
    description: str
    blocks: tuple[Block, ...]
    target_kind: TargetKind
    duration_s: float
    distance_m: float
    load: float
    load_method: LoadMethod
    intensity_factor: float | None

    @property
    def hard(self) -> bool:
        """Whether this is one of the week's hard sessions."""
        return self.type in HARD_TYPES

    def steps(self) -> Iterator[Step]:
        """Every step in order, repeats expanded."""
        for block in self.blocks:
            if isinstance(block, Repeat):
                for _ in range(block.times):
                    yield from block.steps
            else:
                yield block


@dataclass(frozen=True)
class _Template:
    title: str
    min_minutes: int
    max_minutes: int
    warmup: tuple[int, Level] | None
    cooldown: tuple[int, Level] | None
    steady: Level
    work: tuple[int, Level] | None = None
    recover: tuple[int, Level] | None = None
    reps: tuple[int, int] = (0, 0)
    steady_first: bool = True


def _t(
    title: str,
    minutes: tuple[int, int],
    steady: Level,
    *,
    warmup: tuple[int, Level] | None = (600, Level.RECOVERY),
    cooldown: tuple[int, Level] | None = (300, Level.RECOVERY),
    work: tuple[int, Level] | None = None,
    recover: tuple[int, Level] | None = None,
    reps: tuple[int, int] = (0, 0),
    steady_first: bool = True,
) -> _Template:
    return _Template(
        title, minutes[0], minutes[1], warmup, cooldown, steady, work, recover, reps, steady_first
    )


_L = Level
_WU15 = (900, _L.RECOVERY)
_CD10 = (600, _L.RECOVERY)
# The library: per sport and type, the session's shape and its duration range (minutes).
TEMPLATES: Final[dict[str, dict[WorkoutType, _Template]]] = {
    sports.RIDE: {
        WorkoutType.RECOVERY: _t(
            "Recovery spin", (30, 75), _L.RECOVERY, warmup=None, cooldown=None
        ),
        WorkoutType.ENDURANCE: _t("Endurance ride", (30, 180), _L.ENDURANCE),
        WorkoutType.LONG: _t("Long ride", (90, 360), _L.ENDURANCE, warmup=_WU15, cooldown=_CD10),
        WorkoutType.TEMPO: _t(
            "Tempo",
            (50, 120),
            _L.ENDURANCE,
            warmup=_WU15,
            cooldown=_CD10,
            work=(900, _L.TEMPO),
            recover=(300, _L.ENDURANCE),
            reps=(1, 4),
        ),
        WorkoutType.SWEET_SPOT: _t(
            "Sweet spot",
            (45, 120),
            _L.ENDURANCE,
            warmup=_WU15,
            cooldown=_CD10,
            work=(720, _L.SWEET_SPOT),
            recover=(240, _L.RECOVERY),
            reps=(1, 4),
        ),
        WorkoutType.THRESHOLD: _t(
            "Threshold intervals",
            (50, 105),
            _L.ENDURANCE,
            warmup=_WU15,
            cooldown=_CD10,
            work=(480, _L.THRESHOLD),
            recover=(240, _L.RECOVERY),
            reps=(2, 5),
        ),
        WorkoutType.VO2MAX: _t(
            "VO2max intervals",
            (50, 90),
            _L.ENDURANCE,
            warmup=_WU15,
            cooldown=_CD10,
            work=(240, _L.VO2MAX),
            recover=(240, _L.RECOVERY),
            reps=(3, 6),
        ),
        WorkoutType.ANAEROBIC: _t(
            "Anaerobic efforts",
            (45, 90),
            _L.ENDURANCE,
            warmup=_WU15,
            cooldown=_CD10,
            work=(60, _L.ANAEROBIC),
            recover=(180, _L.RECOVERY),
            reps=(4, 10),
        ),
        WorkoutType.SPRINTS: _t(
            "Endurance with sprints",
            (45, 120),
            _L.ENDURANCE,
            warmup=_WU15,
            cooldown=_CD10,
            work=(15, _L.SPRINT),
            recover=(285, _L.ENDURANCE),
            reps=(4, 8),
        ),
    },
    sports.RUN: {
        WorkoutType.RECOVERY: _t("Recovery run", (20, 45), _L.RECOVERY, warmup=None, cooldown=None),
        WorkoutType.ENDURANCE: _t(
            "Easy run", (30, 90), _L.ENDURANCE, warmup=(300, _L.RECOVERY), cooldown=None
        ),
        WorkoutType.LONG: _t(
            "Long run", (60, 150), _L.ENDURANCE, warmup=(600, _L.RECOVERY), cooldown=None
        ),
        WorkoutType.TEMPO: _t(
            "Tempo run",
            (45, 90),
            _L.ENDURANCE,
            cooldown=_CD10,
            work=(600, _L.TEMPO),
            recover=(180, _L.RECOVERY),
            reps=(2, 4),
        ),
        WorkoutType.SWEET_SPOT: _t(
            "Cruise intervals",
            (50, 90),
            _L.ENDURANCE,
            cooldown=_CD10,
            work=(480, _L.SWEET_SPOT),
            recover=(120, _L.RECOVERY),
            reps=(3, 5),
        ),
        WorkoutType.THRESHOLD: _t(
            "Threshold intervals",
            (45, 75),
            _L.ENDURANCE,
            cooldown=_CD10,
            work=(360, _L.THRESHOLD),
            recover=(120, _L.RECOVERY),
            reps=(3, 5),
        ),
        WorkoutType.VO2MAX: _t(
            "VO2max intervals",
            (45, 75),
            _L.ENDURANCE,
            cooldown=_CD10,
            work=(180, _L.VO2MAX),
            recover=(180, _L.RECOVERY),
            reps=(4, 6),
        ),
        WorkoutType.ANAEROBIC: _t(
            "Hill repeats",
            (40, 60),
            _L.ENDURANCE,
            cooldown=_CD10,
            work=(60, _L.ANAEROBIC),
            recover=(120, _L.RECOVERY),
            reps=(6, 10),
        ),
        WorkoutType.STRIDES: _t(
            "Easy run with strides",
            (35, 75),
            _L.ENDURANCE,
            warmup=(300, _L.RECOVERY),
            cooldown=(300, _L.RECOVERY),
            work=(20, _L.SPRINT),
            recover=(100, _L.RECOVERY),
            reps=(6, 6),
            steady_first=True,
        ),
    },
    sports.SWIM: {
        WorkoutType.RECOVERY: _t("Easy swim", (20, 45), _L.RECOVERY, warmup=None, cooldown=None),
        WorkoutType.ENDURANCE: _t(
            "Aerobic swim set",
            (25, 75),
            _L.ENDURANCE,
            warmup=(300, _L.RECOVERY),
            cooldown=(180, _L.RECOVERY),
            work=(360, _L.ENDURANCE),
            recover=(20, _L.REST),
            reps=(2, 8),
        ),
        WorkoutType.LONG: _t(
            "Long swim",
            (45, 90),
            _L.ENDURANCE,
            warmup=(300, _L.RECOVERY),
            cooldown=(180, _L.RECOVERY),
            work=(600, _L.ENDURANCE),
            recover=(30, _L.REST),
            reps=(3, 8),
        ),
        WorkoutType.TEMPO: _t(
            "Tempo swim set",
            (30, 75),
            _L.ENDURANCE,
            warmup=(480, _L.RECOVERY),
            cooldown=(300, _L.RECOVERY),
            work=(300, _L.TEMPO),
            recover=(30, _L.REST),
            reps=(2, 6),
        ),
        WorkoutType.SWEET_SPOT: _t(
            "Sub-CSS swim set",
            (30, 75),
            _L.ENDURANCE,
            warmup=(480, _L.RECOVERY),
            cooldown=(300, _L.RECOVERY),
            work=(240, _L.SWEET_SPOT),
            recover=(20, _L.REST),
            reps=(3, 8),
        ),
        WorkoutType.THRESHOLD: _t(
            "CSS swim set",
            (30, 75),
            _L.ENDURANCE,
            warmup=(480, _L.RECOVERY),
            cooldown=(300, _L.RECOVERY),
            work=(180, _L.THRESHOLD),
            recover=(20, _L.REST),
            reps=(4, 10),
        ),
        WorkoutType.VO2MAX: _t(
            "Fast swim set",
            (30, 60),
            _L.ENDURANCE,
            warmup=(480, _L.RECOVERY),
            cooldown=(300, _L.RECOVERY),
            work=(90, _L.VO2MAX),
            recover=(30, _L.REST),
            reps=(6, 12),
        ),
        WorkoutType.ANAEROBIC: _t(
            "Race-pace swim set",
            (30, 60),
            _L.ENDURANCE,
            warmup=(480, _L.RECOVERY),
            cooldown=(300, _L.RECOVERY),
            work=(60, _L.ANAEROBIC),
            recover=(40, _L.REST),
            reps=(6, 10),
        ),
        WorkoutType.SPRINTS: _t(
            "Swim sprints",
            (30, 60),
            _L.ENDURANCE,
            warmup=(480, _L.RECOVERY),
            cooldown=(300, _L.RECOVERY),
            work=(40, _L.SPRINT),
            recover=(40, _L.REST),
            reps=(6, 12),
        ),
    },
}


def workout_types(sport: str) -> tuple[WorkoutType, ...]:
    """The workout types the library has for a sport family."""
    return tuple(_templates(sport))


def duration_range(sport: str, workout_type: WorkoutType) -> tuple[int, int]:
    """Shortest and longest duration (minutes) of a workout type."""
    template = _template(sport, workout_type)
    fixed = sum(part[0] for part in (template.warmup, template.cooldown) if part is not None)
    if template.work is not None and template.recover is not None:
        fixed += template.reps[0] * (template.work[0] + template.recover[0])
    shortest = -(-fixed // (60 * MINUTES_STEP)) * MINUTES_STEP
    return max(template.min_minutes, shortest), template.max_minutes


def target_kind(sport: str, thresholds: AthleteThresholds) -> TargetKind:
    """Power for rides with an FTP, pace for runs and swims with a threshold pace, heart
    rate when the threshold heart rate is known, perceived effort otherwise."""
    if sport == sports.RIDE and thresholds.ftp is not None:
        return TargetKind.POWER
    if sport == sports.RUN and thresholds.threshold_pace_s_per_km is not None:
        return TargetKind.PACE
    if sport == sports.SWIM and thresholds.swim_threshold_pace_s_per_100m is not None:
        return TargetKind.PACE
    if thresholds.threshold_hr is not None:
        return TargetKind.HEART_RATE
    return TargetKind.OPEN


def rest_workout() -> Workout:
    """A rest day: no steps, no load."""
    return Workout(
        sports.OTHER, WorkoutType.REST, "Rest", "Rest day", (), TargetKind.OPEN, 0.0, 0.0,
        0.0, LoadMethod.NONE, None,
    )  # fmt: skip


def build_workout(
    sport: str, workout_type: WorkoutType, minutes: int, thresholds: AthleteThresholds
) -> Workout:
    """A workout of the library lasting ``minutes`` (a multiple of 5, within the type's
    range), with targets from ``thresholds`` and its load as load.py computes it."""
    if workout_type is WorkoutType.REST:
        return rest_workout()
    low, high = duration_range(sport, workout_type)
    if not (low <= minutes <= high and minutes % MINUTES_STEP == 0):
        raise CoachError(
            f"a {sport} {workout_type} lasts {low}–{high} minutes in steps of "
            f"{MINUTES_STEP}, got {minutes}"
        )
    return _build(sport, workout_type, minutes, thresholds)


@lru_cache(maxsize=8192)
def _build(
    sport: str, workout_type: WorkoutType, minutes: int, thresholds: AthleteThresholds
) -> Workout:
    template = _template(sport, workout_type)
    kind = target_kind(sport, thresholds)

    def step(role: StepKind, seconds: float, level: Level, name: str) -> Step:
        return _step(sport, kind, thresholds, role, seconds, level, name)

    total = minutes * 60
    fixed = sum(part[0] for part in (template.warmup, template.cooldown) if part is not None)
    reps = 0
    unit = 0
    if template.work is not None and template.recover is not None:
        unit = template.work[0] + template.recover[0]
        lo, hi = template.reps
        reps = max(lo, min(hi, (total - fixed) // unit))
    steady = total - fixed - reps * unit
    warmup_s = template.warmup[0] if template.warmup else 0
    if 0 < steady < 120 and template.warmup is not None:
        warmup_s, steady = warmup_s + steady, 0
    blocks: list[Block] = []
    if template.warmup is not None:
        blocks.append(step(StepKind.WARMUP, warmup_s, template.warmup[1], "Warm up"))
    steady_step = (
        step(StepKind.ACTIVE, steady, template.steady, template.steady.value.replace("_", " "))
        if steady > 0
        else None
    )
    if steady_step is not None and template.steady_first:
        blocks.append(steady_step)
    if reps and template.work is not None and template.recover is not None:
        work_s, work_level = template.work
        rec_s, rec_level = template.recover
        rec_kind = StepKind.REST if rec_level is Level.REST else StepKind.RECOVERY
        blocks.append(
            Repeat(
                reps,
                (
                    step(StepKind.ACTIVE, work_s, work_level, _effort_name(work_level)),
                    step(rec_kind, rec_s, rec_level, rec_kind.value),
                ),
            )
        )
    if steady_step is not None and not template.steady_first:
        blocks.append(steady_step)
    if template.cooldown is not None:
        blocks.append(
            step(StepKind.COOLDOWN, template.cooldown[0], template.cooldown[1], "Cool down")
        )
    return _finish(sport, workout_type, template, tuple(blocks), kind, thresholds)


def _finish(
    sport: str,
    workout_type: WorkoutType,
    template: _Template,
    blocks: tuple[Block, ...],
    kind: TargetKind,
    thresholds: AthleteThresholds,
) -> Workout:
    draft = Workout(
        sport, workout_type, template.title, "", blocks, kind, 0.0, 0.0, 0.0, LoadMethod.NONE, None
    )
    duration = sum(s.duration_s for s in draft.steps())
    distance = sum(s.distance_m or 0.0 for s in draft.steps())
    if kind is TargetKind.PACE and sport == sports.RUN:
        distance = sum(s.duration_s * (s.target.value or 0.0) for s in draft.steps())
    load = activity_load(executed_activity(draft, datetime(2000, 1, 1)), thresholds)
    description = _describe(draft, duration)
    return Workout(
        sport,
        workout_type,
        template.title,
        description,
        blocks,
        kind,
        duration,
        distance,
        load.load,
        load.method,
        load.intensity_factor,
    )


def _describe(workout: Workout, duration_s: float) -> str:
    parts = []
    for block in workout.blocks:
        if isinstance(block, Repeat):
            inner = " + ".join(
                f"{_clock(s.duration_s, s.distance_m)} {s.target.label}" for s in block.steps
            )
            parts.append(f"{block.times} × ({inner})")
        else:
            parts.append(f"{_clock(block.duration_s, block.distance_m)} {block.target.label}")
    return f"{workout.name}, {_clock(duration_s, None)}: " + "; ".join(parts)


def _clock(seconds: float, distance_m: float | None) -> str:
    if distance_m is not None:
        return f"{distance_m:.0f} m"
    total = round(seconds)
    if total < 60:
        return f"{total} s"
    if total % 60:
        return f"{total // 60}:{total % 60:02d}"
    hours, minutes = divmod(total // 60, 60)
    return f"{hours}:{minutes:02d} h" if hours else f"{minutes} min"


def _effort_name(level: Level) -> str:
    return level.value.replace("_", " ")


def _step(
    sport: str,
    kind: TargetKind,
    th: AthleteThresholds,
    role: StepKind,
    seconds: float,
    level: Level,
    name: str,
) -> Step:
    fraction = LEVELS[sport][level]
    if level is Level.REST:
        target = Target(TargetKind.OPEN, None, None, None, None, "rest")
        if kind is TargetKind.HEART_RATE and th.threshold_hr is not None:
            bpm = _bpm(sport, level, th)
            target = Target(TargetKind.HEART_RATE, bpm, None, None, None, "rest")
        return Step(role, float(seconds), level, 0.0, target, name)
    distance: float | None = None
    if kind is TargetKind.POWER and th.ftp is not None:
        watts = fraction * th.ftp
        band = POWER_BAND * th.ftp
        zone = _zone(power_zones(th.ftp), watts)
        target = Target(
            kind,
            watts,
            watts - band,
            watts + band,
            zone.number if zone else None,
            f"{watts - band:.0f}–{watts + band:.0f} W ({_zone_name(zone)})",
        )
    elif kind is TargetKind.PACE:
        speed, per, unit = _threshold_speed(sport, th)
        v = fraction * speed
        band = SPEED_BAND * speed
        zone = _zone(pace_zones(1000.0 / speed), v) if sport == sports.RUN else None
        label = f"{_pace(per / (v + band))}–{_pace(per / (v - band))}{unit}"
        target = Target(
            kind,
            v,
            v - band,
            v + band,
            zone.number if zone else None,
            f"{label} ({_zone_name(zone)})" if zone else label,
        )
        if sport == sports.SWIM:
            lengths = max(1, math.floor(v * seconds / SWIM_LENGTH_M))
            distance = lengths * SWIM_LENGTH_M
            seconds = distance / v
    elif kind is TargetKind.HEART_RATE and th.threshold_hr is not None:
        bpm = _bpm(sport, level, th)
        zone = _zone(heart_rate_zones(th.threshold_hr, None, _SPORT_TYPE[sport]), bpm)
        above = level in (Level.VO2MAX, Level.ANAEROBIC, Level.SPRINT)
        label = (
            f"at least {bpm:.0f} bpm"
            if above
            else f"{bpm - HEART_RATE_BAND:.0f}–{bpm + HEART_RATE_BAND:.0f} bpm"
        )
        target = Target(
            kind,
            bpm,
            bpm - HEART_RATE_BAND,
            bpm + HEART_RATE_BAND,
            zone.number if zone else None,
            f"{label} ({_zone_name(zone)})",
        )
    else:
        target = Target(
            TargetKind.OPEN, None, None, None, None, f"{_effort_name(level)} (RPE {RPE[level]}/10)"
        )
    return Step(role, float(seconds), level, fraction, target, name, distance)


def _bpm(sport: str, level: Level, th: AthleteThresholds) -> float:
    assert th.threshold_hr is not None
    bpm = HEART_RATE_LEVELS[sport][level] * th.threshold_hr
    if th.max_hr is not None:
        bpm = min(bpm, th.max_hr - 2.0)
    if th.resting_hr is not None:
        bpm = max(bpm, th.resting_hr + 5.0)
    return round(bpm)


def _threshold_speed(sport: str, th: AthleteThresholds) -> tuple[float, float, str]:
    if sport == sports.RUN and th.threshold_pace_s_per_km is not None:
        return 1000.0 / th.threshold_pace_s_per_km, 1000.0, "/km"
    if sport == sports.SWIM and th.swim_threshold_pace_s_per_100m is not None:
        return 100.0 / th.swim_threshold_pace_s_per_100m, 100.0, "/100 m"
    raise CoachError(f"no threshold pace for {sport}")


def _zone(zones: tuple[Zone, ...], value: float) -> Zone | None:
    for zone in zones:
        if zone.low <= value < zone.high:
            return zone
    return None


def _zone_name(zone: Zone | None) -> str:
    return f"Z{zone.number} {zone.name}" if zone else "no zone"


def _pace(seconds: float) -> str:
    total = round(seconds)
    return f"{total // 60}:{total % 60:02d}"


def _templates(sport: str) -> dict[WorkoutType, _Template]:
    if sport not in TEMPLATES:
        raise CoachError(f"no workouts for {sport!r}: plans cover {', '.join(PLANNED_SPORTS)}")
    return TEMPLATES[sport]


def _template(sport: str, workout_type: WorkoutType) -> _Template:
    templates = _templates(sport)
    if workout_type not in templates:
        raise CoachError(f"no {workout_type} workout for {sport}")
    return templates[workout_type]


def executed_activity(
    workout: Workout,
    start: datetime,
    *,
    intensity_scale: float = 1.0,
    duration_scale: float = 1.0,
) -> Activity:
    """The activity a device would record for ``workout`` held on target from ``start``:
    a 1 Hz power, speed or heart-rate stream for rides and runs, the distance and moving
    time for pool swims (rest at the wall is not moving time). The scales stretch every
    step's duration and intensity, for simulations of an imperfect execution."""
    if workout.type is WorkoutType.REST:
        raise CoachError("a rest day records no activity")
    sport_type = _SPORT_TYPE[workout.sport]
    steps = list(workout.steps())
    seconds = [max(1, round(s.duration_s * duration_scale)) for s in steps]
    total = float(sum(seconds))
    kind = workout.target_kind
    if kind is TargetKind.PACE and workout.sport == sports.SWIM:
        moving = [t for s, t in zip(steps, seconds, strict=True) if s.level is not Level.REST]
        distance = sum(
            t * (s.target.value or 0.0) * intensity_scale
            for s, t in zip(steps, seconds, strict=True)
            if s.level is not Level.REST
        )
        return Activity(sport_type, start, float(sum(moving)), total, distance=distance)
    if kind is TargetKind.OPEN:
        return Activity(sport_type, start, total, total)
    values = np.repeat(
        np.array([_held(s, kind) * intensity_scale for s in steps], dtype=np.float64),
        np.array(seconds, dtype=np.int64),
    )
    if kind is TargetKind.POWER:
        streams = Streams(watts=values)
        return Activity(sport_type, start, total, total, streams=streams)
    if kind is TargetKind.PACE:
        return Activity(
            sport_type, start, total, total, distance=float(values.sum()),
            streams=Streams(velocity_smooth=values),
        )  # fmt: skip
    return Activity(
        sport_type, start, total, total, has_heartrate=True,
        average_heartrate=float(values.mean()), streams=Streams(heartrate=values),
    )  # fmt: skip


def _held(step: Step, kind: TargetKind) -> float:
    if step.target.value is not None:
        return step.target.value
    if kind is TargetKind.HEART_RATE:
        raise CoachError("a heart-rate step without a value")
    return 0.0  # standing still (a rest step of a power or pace workout)
