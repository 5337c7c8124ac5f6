"""The simulated population and everything it will do, drawn up front from the seed.

Generating every upload, edit, deletion, view and refresh press before the run, sorted by
time, lets each strategy replay exactly the same days (CAPACITY.md: like with like), and
keeps the run loop to "advance the clock to the next thing and do it".
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from enum import IntEnum

from fitcoach.capacity.options import USER_TYPES, CapacityOptions

DAY = 86_400
# Monday 2026-03-02 00:00 UTC: a fixed start keeps runs reproducible from the seed alone.
RUN_START = 1_772_409_600
VIEWS_PER_DAY = {"light": (1, 2), "moderate": (3, 5), "heavy": (10, 15)}
PRESS_SHARE = {"light": 0.05, "moderate": 0.05, "heavy": 0.15}
# Half of the first views of a day with an upload come within 30 minutes of it.
LOOK_AFTER_UPLOAD = 0.5
LOOK_WINDOW_S = (60.0, 1800.0)
EDIT_DELAY_S = (30.0, 600.0)
DELETE_DELAY_S = (600.0, 6 * 3600.0)
PRESS_DELAY_S = 20.0
FIRST_VIEW_AFTER_JOIN_S = 30.0
# Offsets (hours) and weights: most athletes in Europe and the Americas, some elsewhere.
TIME_ZONES: tuple[tuple[float, float], ...] = (
    (-8.0, 0.10),
    (-5.0, 0.15),
    (-3.0, 0.05),
    (0.0, 0.15),
    (1.0, 0.25),
    (2.0, 0.10),
    (3.0, 0.05),
    (5.5, 0.05),
    (8.0, 0.05),
    (10.0, 0.05),
)
SPORTS = (("cyclist", 0.45), ("runner", 0.35), ("triathlete", 0.20))


class Kind(IntEnum):
    """What happens; the value breaks ties at one instant (a join before its first view)."""

    JOIN = 0
    UPLOAD = 1
    EDIT = 2
    DELETE = 3
    VIEW = 4
    PRESS = 5


@dataclass(frozen=True, slots=True)
class Event:
    at: float
    seq: int
    kind: Kind
    person: int
    upload: int = -1


@dataclass(slots=True)
class Person:
    index: int
    user_type: str
    tz_hours: float
    sport: str
    joins_at: float | None  # None: connected (and synced) before the run starts


@dataclass(slots=True)
class Upload:
    """One activity uploaded during the run; `versions` are its titles with their times."""

    index: int
    person: int
    at: float
    start: int
    duration: int
    versions: list[tuple[float, str]]
    deleted_at: float | None = None


@dataclass
class Population:
    start: float
    days: int
    people: list[Person]
    uploads: list[Upload]
    events: list[Event]
    views_per_day: list[int] = field(default_factory=list)

    @property
    def end(self) -> float:
        return self.start + self.days * DAY

    def day_of(self, at: float) -> int:
        return min(self.days - 1, max(0, int((at - self.start) // DAY)))

    def athletes_on(self, day: int) -> int:
        """Athletes registered by the end of `day` (all of them are daily active)."""
        end = self.start + (day + 1) * DAY
        return sum(1 for p in self.people if p.joins_at is None or p.joins_at < end)


def title(upload: int, edited: bool = False) -> str:
    return f"capacity upload {upload}" + (", edited" if edited else "")


def generate(options: CapacityOptions) -> Population:
    rng = random.Random(options.seed)
    start, end = float(RUN_START), float(RUN_START + options.days * DAY)
    people: list[Person] = []
    plans: list[tuple[Person, float]] = []
    for _ in range(options.athletes):
        person = _person(rng, options, len(people), None)
        people.append(person)
        plans.append((person, start))
    for day in range(options.days):
        rate = options.joins_per_day
        count = int(rate) + (1 if rng.random() < rate - int(rate) else 0)
        for _ in range(count):
            person = _person(rng, options, len(people), None)
            person.joins_at = _utc_in_day(rng, start + day * DAY, person.tz_hours)
            people.append(person)
            plans.append((person, person.joins_at))
    builder = _Builder(rng, options, start, end)
    for person, active_from in plans:
        builder.person(person, active_from)
    builder.events.sort(key=lambda e: (e.at, e.kind, e.seq))
    population = Population(start, options.days, people, builder.uploads, builder.events)
    population.views_per_day = [0] * options.days
    for event in builder.events:
        if event.kind is Kind.VIEW:
            population.views_per_day[population.day_of(event.at)] += 1
    return population


def _person(
    rng: random.Random, options: CapacityOptions, index: int, joins_at: float | None
) -> Person:
    types = [t for t in USER_TYPES if options.mix.get(t, 0.0) > 0]
    user_type = rng.choices(types, [options.mix[t] for t in types])[0]
    tz = rng.choices([z for z, _ in TIME_ZONES], [w for _, w in TIME_ZONES])[0]
    sport = rng.choices([s for s, _ in SPORTS], [w for _, w in SPORTS])[0]
    return Person(index, user_type, tz, sport, joins_at)


def _time_of_day(rng: random.Random) -> float:
    """Seconds after local midnight, from a two-peak day: morning and (busier) evening."""
    hour = rng.gauss(7.0, 1.0) if rng.random() < 0.4 else rng.gauss(18.5, 1.5)
    return (hour % 24.0) * 3600.0


def _utc_in_day(rng: random.Random, day_start: float, tz_hours: float) -> float:
    at = day_start + _time_of_day(rng) - tz_hours * 3600.0
    while at < day_start:
        at += DAY
    while at >= day_start + DAY:
        at -= DAY
    return at


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


class _Builder:
    def __init__(
        self, rng: random.Random, options: CapacityOptions, start: float, end: float
    ) -> None:
        self.rng, self.options, self.start, self.end = rng, options, start, end
        self.events: list[Event] = []
        self.uploads: list[Upload] = []

    def add(self, at: float, kind: Kind, person: int, upload: int = -1) -> None:
        if at < self.end:
            self.events.append(Event(at, len(self.events), kind, person, upload))

    def person(self, person: Person, active_from: float) -> None:
        rng, options = self.rng, self.options
        if person.joins_at is not None:
            self.add(person.joins_at, Kind.JOIN, person.index)
            # Connecting lands the athlete on their dashboard.
            self.add(person.joins_at + FIRST_VIEW_AFTER_JOIN_S, Kind.VIEW, person.index)
        previous_upload = active_from
        # Local days from the one before the run to the one after it, so that every UTC
        # day of the run sees full local days whatever the athlete's time zone.
        for local_day in range(-1, options.days + 1):
            midnight = self.start + local_day * DAY - person.tz_hours * 3600.0
            ups = sorted(
                midnight + _time_of_day(rng) for _ in range(_poisson(rng, options.uploads_per_day))
            )
            low, high = VIEWS_PER_DAY[person.user_type]
            views = sorted(midnight + _time_of_day(rng) for _ in range(rng.randint(low, high)))
            if ups and views and rng.random() < LOOK_AFTER_UPLOAD:
                views[0] = rng.choice(ups) + rng.uniform(*LOOK_WINDOW_S)
            for at in ups:
                previous_upload = self.upload(person, at, previous_upload, active_from)
            for at in views:
                if at >= active_from:
                    self.add(at, Kind.VIEW, person.index)
                    if rng.random() < PRESS_SHARE[person.user_type]:
                        self.add(at + PRESS_DELAY_S, Kind.PRESS, person.index)

    def upload(self, person: Person, at: float, previous: float, active_from: float) -> float:
        rng, options = self.rng, self.options
        duration = rng.randint(30, 120) * 60
        delay = rng.randint(1, 15) * 60
        edit = rng.random() < options.edit_rate
        edit_after = rng.uniform(*EDIT_DELAY_S)
        delete = rng.random() < options.delete_rate
        delete_after = rng.uniform(*DELETE_DELAY_S)
        if at < active_from:
            return previous
        # One athlete does one thing at a time: an activity starts after the last upload.
        at = max(at, previous + duration + delay + 60)
        if at >= self.end:
            return previous
        index = len(self.uploads)
        upload = Upload(index, person.index, at, int(at) - duration - delay, duration, [])
        upload.versions.append((at, title(index)))
        self.uploads.append(upload)
        self.add(at, Kind.UPLOAD, person.index, index)
        if edit and at + edit_after < self.end:
            upload.versions.append((at + edit_after, title(index, edited=True)))
            self.add(at + edit_after, Kind.EDIT, person.index, index)
        if delete and at + delete_after < self.end:
            upload.deleted_at = at + delete_after
            self.add(at + delete_after, Kind.DELETE, person.index, index)
        return at
