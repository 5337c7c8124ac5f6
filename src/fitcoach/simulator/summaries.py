"""One activity's summary numbers, computed cheaply from its workout plan (no streams)."""

from __future__ import annotations

import random

from .models import Activity, Athlete
from .names import activity_title
from .workouts import hills, plan_from, ride_speed, summarize

RIDE_DEVICES = ("Garmin Edge 530", "Wahoo ELEMNT BOLT", "Garmin Edge 1040 Solar")
RUN_DEVICES = ("Garmin Forerunner 965", "COROS PACE 3", "Apple Watch Series 9")
# Mean outdoor temperature by month, northern hemisphere.
MONTH_TEMP = (1, 3, 7, 11, 15, 19, 22, 21, 17, 12, 6, 2)
RACE_DISTANCES = (5000.0, 10000.0, 21097.5, 42195.0)


def sport_for(kind: str, indoor_speed: bool, rng: random.Random) -> str:
    if kind == "ride_indoor":
        return "VirtualRide" if indoor_speed else "Ride"
    if kind == "ride_commute":
        return "Ride"
    if kind.startswith("ride"):
        return rng.choices(("Ride", "GravelRide", "MountainBikeRide"), (0.85, 0.1, 0.05))[0]
    if kind.startswith("run"):
        return "TrailRun" if kind == "run_long" and rng.random() < 0.15 else "Run"
    if kind.startswith("swim"):
        return "Swim"
    return rng.choice(("WeightTraining", "Workout", "Yoga"))


def race_duration(athlete: Athlete, rng: random.Random) -> int:
    """A run race lasts as long as its distance takes at the pace the plan will assign."""
    distance = rng.choice(RACE_DISTANCES)
    for intensity, longest in ((1.04, 2400), (0.98, 5400), (0.9, 10**9)):
        seconds = int(distance / (athlete.run_threshold_speed * intensity))
        if seconds <= longest:
            return seconds
    return int(distance / athlete.run_threshold_speed)


def build(
    athlete: Athlete,
    kind: str,
    start: int,
    duration: int,
    seed: int,
    activity_id: int,
    utc_offset: int,
    month: int,
    private: bool = False,
) -> Activity:
    """A complete summary for one generated session; streams later follow the same plan."""
    rng = random.Random(seed)
    # The plan is drawn first from the fresh generator, exactly as `workouts.plan` draws it.
    segments = plan_from(rng, kind, duration) if kind != "manual" else []
    indoor_speed = rng.random() < 0.7
    sport = sport_for(kind, indoor_speed, rng)
    act = Activity(
        id=activity_id,
        athlete_id=athlete.id,
        seed=seed,
        sport_type=sport,
        workout=kind,
        start=start,
        utc_offset=utc_offset,
        name=activity_title(rng, kind),
        moving_time=duration,
        elapsed_time=duration,
        distance=0.0,
        private=private,
    )
    if kind == "manual":
        act.manual = True
        act.has_streams = False
        act.gps = False
        act.calories = round(duration / 60 * 6.0, 1)
        return act
    summary = summarize(segments, athlete.resting_hr, athlete.max_hr)
    # Pauses at lights and cafés: elapsed time runs on while moving time stops.
    if not kind.startswith("swim") and kind != "ride_indoor":
        act.elapsed_time = duration + int(duration * rng.uniform(0.0, 0.12))
    if rng.random() < 0.96:
        swim_drop = 10 if kind.startswith("swim") else 0
        act.average_heartrate = round(
            summary.mean_heart_rate * rng.uniform(0.98, 1.02) - swim_drop, 1
        )
        act.max_heartrate = int(max(act.average_heartrate + 5, summary.max_heart_rate - swim_drop))
    outdoor = kind != "ride_indoor" and not (kind.startswith("swim") and rng.random() < 0.8)
    if kind.startswith("ride"):
        _ride(
            act,
            athlete,
            kind,
            summary.mean_intensity,
            summary.normalized_intensity,
            summary.max_intensity,
            rng,
            indoor_speed,
        )
    elif kind.startswith("run"):
        speed = athlete.run_threshold_speed * summary.mean_intensity
        act.distance = round(speed * duration, 1)
        per_km = rng.uniform(25, 50) if sport == "TrailRun" else rng.uniform(2, 18)
        act.total_elevation_gain = round(act.distance / 1000 * per_km, 1)
        act.max_speed = round(athlete.run_threshold_speed * summary.max_intensity * 1.15, 3)
        act.average_cadence = round(rng.uniform(80, 92), 1)
        act.workout_type = {"run_race": 1, "run_long": 2, "run_tempo": 3, "run_intervals": 3}.get(
            kind, 0
        )
        act.gear_id = athlete.shoes[0][0] if athlete.shoes else None
        act.device_name = rng.choice(RUN_DEVICES)
        act.calories = round(athlete.weight * act.distance / 1000 * 1.04, 1)
    else:
        speed = athlete.swim_speed * summary.mean_intensity
        act.distance = round(speed * duration / 25) * 25.0  # whole pool lengths
        act.max_speed = round(athlete.swim_speed * summary.max_intensity * 1.2, 3)
        act.average_cadence = round(rng.uniform(24, 34), 1)
        act.device_name = rng.choice(RUN_DEVICES)
        act.calories = round(duration / 60 * 9.5, 1)
        if rng.random() < 0.7:  # most swimmers leave the chest strap at home
            act.average_heartrate = act.max_heartrate = None
    act.trainer = not outdoor and kind.startswith("ride")
    act.gps = outdoor
    act.average_speed = round(act.distance / duration, 3) if act.distance else 0.0
    act.max_speed = max(act.max_speed, act.average_speed)
    if outdoor and (act.total_elevation_gain or kind.startswith("ride") or kind.startswith("run")):
        act.elev_low = round(rng.uniform(5, 600), 1)
    if outdoor and act.device_name and "Edge" in act.device_name:
        act.average_temp = MONTH_TEMP[month - 1] + rng.randint(-4, 4)
    if act.average_heartrate is not None:
        reserve = (act.average_heartrate - athlete.resting_hr) / (
            athlete.max_hr - athlete.resting_hr
        )
        act.suffer_score = max(1, round(duration / 60 * max(reserve, 0.1) ** 2 * 3))
    return act


def _ride(
    act: Activity,
    athlete: Athlete,
    kind: str,
    mean_i: float,
    norm_i: float,
    max_i: float,
    rng: random.Random,
    indoor_speed: bool,
) -> None:
    duration = act.moving_time
    watts = athlete.ftp * mean_i
    act.average_cadence = round(rng.uniform(80, 95), 1)
    act.gear_id = athlete.bikes[0][0] if athlete.bikes else None
    if kind == "ride_commute":
        # No power meter on the commuter: Strava estimates watts and says so.
        act.commute = True
        act.has_streams = True
        act.device_watts = False
        act.average_watts = round(watts * 0.92, 1)
        act.device_name = "Strava iPhone App"
        act.average_cadence = None
        act.average_heartrate = act.max_heartrate = None
        act.gear_id = athlete.bikes[-1][0] if athlete.bikes else None
    else:
        act.device_watts = True
        act.average_watts = round(watts, 1)
        # Second-by-second variation lifts normalized power a little above the plan's.
        act.weighted_average_watts = round(athlete.ftp * norm_i * 1.02)
        sprint = rng.uniform(1.6, 2.6) if kind != "ride_indoor" else rng.uniform(1.25, 1.6)
        act.max_watts = round(athlete.ftp * max(max_i * 1.3, sprint))
        act.device_name = (
            "Zwift" if kind == "ride_indoor" and indoor_speed else rng.choice(RIDE_DEVICES)
        )
    act.kilojoules = round(act.average_watts * duration / 1000, 1)
    act.calories = round(act.kilojoules * 1.05, 1)
    act.workout_type = {
        "ride_race": 11,
        "ride_intervals": 12,
        "ride_sweetspot": 12,
        "ride_indoor": 12,
    }.get(kind, 10)
    if kind == "ride_indoor" and not indoor_speed:
        return  # a trainer without a speed sensor: no distance, no speed, no climbing
    terrain = rng.uniform(0.82, 0.97) if kind != "ride_indoor" else 0.95
    speed = ride_speed(watts) * terrain
    act.distance = round(speed * duration, 1)
    act.total_elevation_gain = round(act.distance / 1000 * rng.uniform(3, 16), 1)
    act.max_speed = round(speed * rng.uniform(1.7, 2.3), 3)


def elev_high(act: Activity) -> float | None:
    """Top of the course: the lowest point plus the tallest generated hill."""
    if act.elev_low is None or act.raw is not None:
        return None
    tallest = max((h for _, _, h in hills(act.seed, act.total_elevation_gain)), default=0.0)
    return round(act.elev_low + tallest, 1)
