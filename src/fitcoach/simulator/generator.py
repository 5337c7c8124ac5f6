"""Seeded athletes and years of training history: seasons, rest weeks, races and days off."""

from __future__ import annotations

import random

from .models import Activity, Athlete
from .names import athlete_name
from .places import PLACES, place_by_tz, utc_offset
from .summaries import build, race_duration

KINDS = ("cyclist", "runner", "triathlete")
DAY = 86400

# Relative weight of each weekday (Monday first) in an athlete's week.
WEEK_SHAPE = {
    "cyclist": (0.0, 1.0, 0.7, 1.0, 0.35, 1.8, 1.4),
    "runner": (0.4, 1.0, 0.8, 1.0, 0.0, 0.8, 1.6),
    "triathlete": (0.6, 1.2, 0.9, 1.2, 0.5, 1.7, 1.4),
}


def season_factor(month: int, southern: bool) -> tuple[float, str]:
    """Training volume multiplier and phase name for a month of the year."""
    if southern:
        month = (month + 5) % 12 + 1
    if month in (11, 12):
        return 0.75, "base"
    if month in (1, 2, 3):
        return 0.9, "base"
    if month in (4, 5, 6):
        return 1.05, "build"
    if month in (7, 8, 9):
        return 1.0, "race"
    return 0.6, "transition"


def make_athlete(
    athlete_id: int, kind: str, seed: int, history_days: int, anchor: float, id_base: int
) -> Athlete:
    rng = random.Random(seed)
    sex = rng.choice("MF")
    first, last = athlete_name(rng, sex)
    place = rng.choice(PLACES)
    heavy = 1.0 if sex == "M" else 0.86
    ftp = int(rng.uniform(180, 330) * heavy)
    hours = {"cyclist": (6, 13), "runner": (4, 8), "triathlete": (8, 15)}[kind]
    max_hr = rng.randint(172, 200)
    return Athlete(
        id=athlete_id,
        firstname=first,
        lastname=last,
        sex=sex,
        city=place.city,
        state=place.state,
        country=place.country,
        lat=place.lat,
        lng=place.lng,
        tz=place.tz,
        kind=kind,
        seed=seed,
        history_days=history_days,
        anchor=anchor,
        id_base=id_base,
        created_at=anchor - history_days * DAY - rng.randint(30, 900) * DAY,
        ftp=ftp,
        weight=round(rng.uniform(58, 85) * (1.0 if sex == "M" else 0.88), 1),
        max_hr=max_hr,
        resting_hr=rng.randint(40, 58),
        run_threshold_speed=round(rng.uniform(3.6, 4.9) * (1.0 if sex == "M" else 0.9), 3),
        swim_speed=round(rng.uniform(1.05, 1.5), 3),
        weekly_hours=round(rng.uniform(*hours), 1),
        measurement_preference=rng.choice(("meters", "meters", "feet")),
        premium=rng.random() < 0.4,
        bikes=[
            [f"b{athlete_id}{i}", name]
            for i, name in enumerate(
                rng.sample(
                    [
                        "Canyon Ultimate",
                        "Café Racer ☕",
                        "Pinarello Dogma",
                        "Trek Domane <SL6>",
                        "Commuter",
                    ],
                    2,
                )
            )
        ],
        shoes=[
            [f"g{athlete_id}{i}", name]
            for i, name in enumerate(
                rng.sample(["Pegasus 40", "Saucony Endorphin", "Hoka Clifton"], 2)
            )
        ],
    )


def _day_kinds(kind: str, weekday: int, phase: str, rng: random.Random) -> list[str]:
    """Which sessions an athlete does on a weekday in a training phase."""
    race_day = phase == "race" and weekday == 6 and rng.random() < 0.22
    if kind == "cyclist":
        if race_day:
            return ["ride_race"]
        if weekday in (1, 3):
            indoor = phase == "base" and rng.random() < 0.55
            if indoor:
                return ["ride_indoor"]
            return [
                rng.choice(
                    ("ride_intervals", "ride_sweetspot")
                    if phase != "base"
                    else ("ride_sweetspot", "ride_endurance")
                )
            ]
        if weekday == 4:
            return ["ride_commute"] if rng.random() < 0.6 else ["ride_recovery"]
        if weekday == 2:
            return [rng.choice(("ride_recovery", "ride_endurance"))]
        return ["ride_endurance"]
    if kind == "runner":
        if race_day:
            return ["run_race"]
        extra = ["manual"] if weekday == 0 and rng.random() < 0.3 else []
        if weekday == 1:
            return ["run_intervals", *extra]
        if weekday == 3:
            return ["run_tempo"]
        if weekday == 6:
            return ["run_long"]
        return [rng.choice(("run_easy", "run_easy", "run_recovery")), *extra]
    # triathlete: swims on Mon/Wed/Fri, bike and run around them
    sessions: list[str] = []
    if weekday in (0, 2, 4):
        sessions.append(rng.choice(("swim_endurance", "swim_intervals")))
    if race_day:
        return [*sessions, rng.choice(("run_race", "ride_race"))]
    if weekday in (1, 5):
        sessions.append("ride_intervals" if weekday == 1 else "ride_endurance")
    if weekday in (1, 3, 6):
        sessions.append("run_long" if weekday == 6 else rng.choice(("run_easy", "run_tempo")))
    if weekday == 3 and rng.random() < 0.5:
        sessions.append("ride_indoor" if phase == "base" else "ride_endurance")
    return sessions


def _limits(session: str) -> tuple[int, int]:
    if session.startswith("swim"):
        return 1500, 5400
    if session.startswith("run"):
        return 1200, 3 * 3600 if session == "run_long" else 5400
    if session == "manual":
        return 1800, 3600
    if session in ("ride_commute",):
        return 900, 2700
    return 1800, 6 * 3600


def generate_history(athlete: Athlete) -> list[Activity]:
    """The athlete's sessions over `history_days` before `anchor`, oldest first, ids ascending."""
    rng = random.Random(athlete.seed * 7919 + 17)
    place = place_by_tz(athlete.tz)
    southern = athlete.lat < 0
    shape = WEEK_SHAPE[athlete.kind]
    shape_total = sum(shape)
    anchor_offset = utc_offset(place, athlete.anchor)
    last_local_day = int((athlete.anchor + anchor_offset) // DAY)
    first_day = last_local_day - athlete.history_days + 1
    out: list[Activity] = []
    next_id = athlete.id_base
    break_until = -1
    form = 1.0
    for day in range(first_day, last_local_day + 1):
        weekday = (day + 3) % 7  # 1970-01-01 was a Thursday
        if weekday == 0:
            form = min(1.25, max(0.8, form + rng.uniform(-0.03, 0.035)))
            if rng.random() < 0.02:  # illness or holiday: a week or so off
                break_until = day + rng.randint(4, 12)
        if day <= break_until:
            continue
        month = _month_of(day)
        factor, phase = season_factor(month, southern)
        if ((day - 4) // 7) % 4 == 3:  # every fourth week is a recovery week
            factor *= 0.55
            if rng.random() < 0.4:  # fewer sessions, not just shorter ones
                continue
        hours = athlete.weekly_hours * factor * form * shape[weekday] / shape_total
        sessions = _day_kinds(athlete.kind, weekday, phase, rng)
        if hours < 0.25 or not sessions:
            continue
        # Drawn once per day so that a second session always starts after the first.
        hour = rng.choice((6, 7, 12, 17, 18)) if weekday < 5 else rng.choice((8, 9, 10))
        for n, session in enumerate(sessions):
            lo, hi = _limits(session)
            seconds = int(hours * 3600 / len(sessions) * rng.uniform(0.75, 1.25))
            if session == "run_race":
                seconds = race_duration(athlete, rng)
            seconds = max(lo, min(hi, seconds))
            local = day * DAY + (hour + 3 * n) * 3600 + rng.randint(0, 1800 if n == 0 else 3599)
            start = local - utc_offset(place, local - place.std_offset)
            if start >= athlete.anchor - seconds:
                continue
            next_id += rng.randint(1, 40)
            out.append(
                build(
                    athlete,
                    session,
                    start,
                    seconds,
                    rng.getrandbits(62),
                    next_id,
                    utc_offset(place, start),
                    month,
                    private=rng.random() < 0.05,
                )
            )
    return out


def _month_of(day: int) -> int:
    # Civil-from-days (Howard Hinnant's algorithm), to avoid a datetime per day.
    z = day + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    return mp + 3 if mp < 10 else mp - 9


def new_athlete_ids(seed: int, count: int, taken: set[int]) -> list[int]:
    rng = random.Random(seed * 31 + count)
    ids: list[int] = []
    while len(ids) < count:
        candidate = rng.randrange(1_000_000, 150_000_000)
        if candidate not in taken and candidate not in ids:
            ids.append(candidate)
    return ids


def kind_for(index: int, rng: random.Random) -> str:
    """Athlete mix: mostly cyclists and runners, some triathletes; the first three cover all."""
    if index < 3:
        return KINDS[index]
    return rng.choices(KINDS, (0.45, 0.35, 0.2))[0]
