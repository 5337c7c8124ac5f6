"""Workout plans: the intensity segments of one session, and the summary numbers they imply.

A plan is a pure function of (kind, seed, moving time), so the cheap summary computed when
the history is generated and the 1 Hz streams computed much later describe the same session.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import NamedTuple

# Rider and bike for the speed model (power -> speed on flat road).
_MASS = 82.0
_CRR = 0.005
_CDA = 0.34
_RHO = 1.2
_G = 9.81


WORKOUTS = (
    "ride_endurance",
    "ride_intervals",
    "ride_sweetspot",
    "ride_recovery",
    "ride_race",
    "ride_indoor",
    "ride_commute",
    "run_easy",
    "run_long",
    "run_tempo",
    "run_intervals",
    "run_race",
    "run_recovery",
    "swim_endurance",
    "swim_intervals",
    "manual",
)


class Segment(NamedTuple):
    seconds: int
    intensity: float  # fraction of threshold: FTP for rides, threshold speed for runs and swims
    label: str  # "warmup", "work", "rest", "steady", "cooldown"


def _fill(segments: list[Segment], total: int) -> list[Segment]:
    """Make the plan last exactly `total` seconds by trimming or padding with steady riding."""
    used = sum(s.seconds for s in segments)
    if used > total:
        out: list[Segment] = []
        left = total
        for seg in segments:
            if left <= 0:
                break
            out.append(Segment(min(seg.seconds, left), seg.intensity, seg.label))
            left -= seg.seconds
        return out
    if used < total:
        segments = [*segments[:-1], Segment(total - used, 0.62, "steady"), segments[-1]]
    return segments


def _variable(
    rng: random.Random,
    total: int,
    lo: float,
    hi: float,
    chunk: tuple[int, int],
    label: str = "steady",
) -> list[Segment]:
    out: list[Segment] = []
    left = total
    rand = rng.random  # randint/uniform cost several times more; this runs per activity
    shortest, span = chunk[0], chunk[1] - chunk[0] + 1
    spread = hi - lo
    while left > 0:
        n = min(left, shortest + int(rand() * span))
        out.append(Segment(n, lo + spread * rand(), label))
        left -= n
    return out


def _intervals(
    rng: random.Random,
    total: int,
    reps: int,
    work: int,
    rest: int,
    work_i: float,
    rest_i: float,
    warm_i: float = 0.55,
) -> list[Segment]:
    warm = min(900, total // 5)
    cool = min(600, total // 8)
    body: list[Segment] = [Segment(warm, warm_i, "warmup")]
    room = total - warm - cool
    reps = max(1, min(reps, room // max(1, work + rest)))
    for i in range(reps):
        body.append(Segment(work, work_i * rng.uniform(0.98, 1.02), "work"))
        if i < reps - 1:
            body.append(Segment(rest, rest_i, "rest"))
    body.append(Segment(cool, 0.5, "cooldown"))
    return _fill(body, total)


def plan(kind: str, seed: int, total: int) -> list[Segment]:
    """The session's segments; their seconds add up to `total` exactly."""
    return plan_from(random.Random(seed), kind, total)


def plan_from(rng: random.Random, kind: str, total: int) -> list[Segment]:
    """`plan` with the generator already seeded, so a caller can keep drawing from it after."""
    total = max(60, total)
    if kind in ("ride_endurance", "ride_commute"):
        return _variable(rng, total, 0.58, 0.74, (240, 900))
    if kind == "ride_recovery":
        return _variable(rng, total, 0.45, 0.56, (300, 900))
    if kind == "ride_race":
        return _variable(rng, total, 0.62, 1.25, (30, 240), "work")
    if kind == "ride_sweetspot":
        reps = rng.choice((2, 3, 4))
        return _intervals(
            rng, total, reps, rng.choice((600, 900, 1200)), 300, rng.uniform(0.88, 0.93), 0.55
        )
    if kind in ("ride_intervals", "ride_indoor"):
        work = rng.choice((180, 240, 300, 480, 600))
        work_i = 1.2 if work <= 300 else 1.02
        return _intervals(rng, total, rng.randint(4, 8), work, work // 2 + 60, work_i, 0.5)
    if kind in ("run_easy", "run_recovery", "run_long"):
        lo, hi = (0.68, 0.76) if kind == "run_recovery" else (0.74, 0.82)
        return _variable(rng, total, lo, hi, (300, 1200))
    if kind == "run_tempo":
        reps = rng.choice((1, 2, 3))
        return _intervals(rng, total, reps, 1200 // reps + 300, 180, 0.96, 0.65, 0.75)
    if kind == "run_intervals":
        work = rng.choice((75, 150, 240))
        return _intervals(rng, total, rng.randint(6, 12), work, 90, 1.1, 0.55, 0.75)
    if kind == "run_race":
        return [Segment(total, 0.9 if total > 5400 else (0.98 if total > 2400 else 1.04), "work")]
    if kind == "swim_intervals":
        return _intervals(rng, total, rng.randint(6, 12), 90, 30, 1.02, 0.7, 0.85)
    if kind == "swim_endurance":
        return _variable(rng, total, 0.82, 0.92, (300, 900))
    return [Segment(total, 0.5, "steady")]


def heart_rate(intensity: float, resting: int, maximum: int) -> float:
    """Steady-state heart rate for a relative intensity (a Karvonen-style reserve fraction)."""
    reserve = min(0.97, max(0.3, 0.2 + 0.68 * intensity))
    return resting + (maximum - resting) * reserve


def ride_speed(watts: float) -> float:
    """Speed in m/s on flat road for a steady power (solves P = (Crr m g + ½ρCdA v²) v)."""
    if watts <= 0:
        return 0.0
    a = 0.5 * _RHO * _CDA
    b = _CRR * _MASS * _G
    p = watts / (2 * a)
    q = (b / (3 * a)) ** 3
    root = math.sqrt(p * p + q)
    return math.copysign(abs(p + root) ** (1 / 3), p + root) + math.copysign(
        abs(p - root) ** (1 / 3), p - root
    )


@dataclass(slots=True)
class PlanSummary:
    mean_intensity: float
    normalized_intensity: float  # fourth-power mean, the analogue of normalized power
    max_intensity: float
    mean_heart_rate: float
    max_heart_rate: float


def summarize(segments: list[Segment], resting: int, maximum: int) -> PlanSummary:
    total = 0
    s1 = s4 = reserve = 0.0
    peak = 0.0
    for seconds, intensity, _ in segments:
        total += seconds
        s1 += seconds * intensity
        s4 += seconds * intensity**4
        r = 0.2 + 0.68 * intensity  # heart_rate() inlined: this loop runs for every activity
        reserve += seconds * (0.97 if r > 0.97 else 0.3 if r < 0.3 else r)
        if intensity > peak:
            peak = intensity
    total = max(total, 1)
    hr = resting * total + (maximum - resting) * reserve
    max_hr = min(float(maximum), heart_rate(peak, resting, maximum) + 6)
    return PlanSummary(s1 / total, (s4 / total) ** 0.25, peak, hr / total, max_hr)


def hills(seed: int, gain: float) -> list[tuple[float, float, float]]:
    """The course's hills as (start, width, height): fractions of the distance, and metres.

    Heights add up to `gain`, so the altitude stream built from them climbs exactly the
    summary's total elevation gain and tops out at `elev_low + max(height)`.
    """
    if gain <= 0:
        return []
    rng = random.Random(seed ^ 0x5EED)
    count = rng.randint(1, 6)
    weights = [rng.uniform(0.3, 1.0) for _ in range(count)]
    scale = gain / sum(weights)
    slot = 1.0 / count
    out = []
    for i, w in enumerate(weights):
        width = slot * rng.uniform(0.4, 0.9)
        start = i * slot + rng.uniform(0, slot - width)
        out.append((start, width, w * scale))
    return out
