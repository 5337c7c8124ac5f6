"""Workouts and plans as files: a FIT workout, a Zwift .zwo, an iCalendar feed.

Pure encoders: each returns the file's bytes or text; nothing is read or written.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event

from fitcoach.coach import sports
from fitcoach.coach.errors import CoachError
from fitcoach.coach.planning import Plan, PlannedDay
from fitcoach.coach.workouts import Repeat, Step, StepKind, Workout, WorkoutType

_ZWIFT_SPORT = {sports.RIDE: "bike", sports.RUN: "run"}


def _check(workout: Workout) -> None:
    if workout.type is WorkoutType.REST or not workout.blocks:
        raise CoachError("a rest day has no workout to export")


def workout_fit(workout: Workout, *, created: datetime) -> bytes:
    """The workout as a FIT workout file (file type 5): one step message per step, a
    repeat step after each repeated group. ``created`` stamps the file."""
    _check(workout)
    # fit_tool is imported when a FIT workout is first asked for (see coach.fit_workout).
    from fitcoach.coach import fit_workout

    return fit_workout.encode(workout, created=created)


def workout_zwo(workout: Workout) -> str:
    """The workout as a Zwift workout (.zwo): intensities as fractions of FTP (rides) or
    of threshold pace (runs); repeated effort/recovery pairs as IntervalsT."""
    _check(workout)
    if workout.sport not in _ZWIFT_SPORT:
        raise CoachError(f"Zwift workouts are rides or runs, not {workout.sport}")
    root = ET.Element("workout_file")
    ET.SubElement(root, "author").text = "fitcoach"
    ET.SubElement(root, "name").text = workout.name
    ET.SubElement(root, "description").text = workout.description
    ET.SubElement(root, "sportType").text = _ZWIFT_SPORT[workout.sport]
    ET.SubElement(root, "tags")
    body = ET.SubElement(root, "workout")
    for block in workout.blocks:
        if isinstance(block, Repeat) and len(block.steps) == 2:
            on, off = block.steps
            ET.SubElement(
                body,
                "IntervalsT",
                Repeat=str(block.times),
                OnDuration=_seconds(on.duration_s),
                OffDuration=_seconds(off.duration_s),
                OnPower=_fraction(on.fraction),
                OffPower=_fraction(off.fraction),
            )
        elif isinstance(block, Repeat):
            for _ in range(block.times):
                for step in block.steps:
                    _zwo_step(body, step)
        else:
            _zwo_step(body, block)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=False) + "\n"


def _zwo_step(body: ET.Element, step: Step) -> None:
    duration = _seconds(step.duration_s)
    power = _fraction(step.fraction)
    if step.kind is StepKind.WARMUP:
        ET.SubElement(body, "Warmup", Duration=duration, PowerLow=power, PowerHigh=power)
    elif step.kind is StepKind.COOLDOWN:
        ET.SubElement(body, "Cooldown", Duration=duration, PowerLow=power, PowerHigh=power)
    else:
        ET.SubElement(body, "SteadyState", Duration=duration, Power=power)


def _seconds(seconds: float) -> str:
    return str(round(seconds))


def _fraction(value: float) -> str:
    return f"{value:.3f}"


def plan_uid(calendar_key: str, workout_day: str, sport: str) -> str:
    """The stable UID of a planned workout: the same day and sport keep the same UID
    across plan versions, so a calendar updates the event instead of adding one."""
    return f"fitcoach-{calendar_key}-{workout_day}-{sport}@fitcoach"


def plan_icalendar(
    plan: Plan, *, calendar_key: str, stamp: datetime, name: str = "Training plan"
) -> bytes:
    """The plan as an iCalendar feed: one all-day VEVENT per planned workout (rest days
    have none), its steps and the reason for it in the description."""
    cal = Calendar()
    cal.add("prodid", "-//fitcoach//training plan//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    for p in _sessions(plan):
        w = p.workout
        event = Event()
        event.add("uid", plan_uid(calendar_key, p.day.isoformat(), w.sport))
        event.add("dtstamp", stamp.astimezone(UTC))
        event.add("dtstart", p.day)
        event.add("dtend", p.day + timedelta(days=1))
        event.add(
            "summary",
            f"{w.name} · {round(w.duration_s / 60)} min · load {w.load:.0f}",
        )
        event.add("description", f"{w.description}\n\nWhy: {p.reason.text}")
        event.add("categories", [w.sport, w.type.value])
        event.add("sequence", plan.version)
        cal.add_component(event)
    data: bytes = cal.to_ical()
    return data


def _sessions(plan: Plan) -> Iterator[PlannedDay]:
    for p in plan.days:
        if p.workout.type is not WorkoutType.REST:
            yield p
