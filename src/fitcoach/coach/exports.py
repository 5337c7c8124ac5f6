"""Workouts and plans as files: a FIT workout, a Zwift .zwo, an iCalendar feed.

Pure encoders: each returns the file's bytes or text; nothing is read or written.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from icalendar import Calendar, Event

from fitcoach.coach import sports
from fitcoach.coach.errors import CoachError
from fitcoach.coach.planning import Plan, PlannedDay
from fitcoach.coach.workouts import Repeat, Step, StepKind, TargetKind, Workout, WorkoutType

if TYPE_CHECKING:
    from fit_tool.profile.messages.workout_step_message import WorkoutStepMessage

# FIT encodes absolute custom targets with an offset: watts + 1000, bpm + 100 (values
# below the offset are % of FTP or of max HR).
FIT_POWER_OFFSET = 1000
FIT_HEART_RATE_OFFSET = 100
# FIT's names of the sports and step intensities (members of fit_tool's Sport and Intensity).
_FIT_SPORT = {sports.RIDE: "CYCLING", sports.RUN: "RUNNING", sports.SWIM: "SWIMMING"}
_FIT_INTENSITY = {
    StepKind.WARMUP: "WARMUP",
    StepKind.ACTIVE: "ACTIVE",
    StepKind.RECOVERY: "RECOVERY",
    StepKind.REST: "REST",
    StepKind.COOLDOWN: "COOLDOWN",
}
_ZWIFT_SPORT = {sports.RIDE: "bike", sports.RUN: "run"}


def _check(workout: Workout) -> None:
    if workout.type is WorkoutType.REST or not workout.blocks:
        raise CoachError("a rest day has no workout to export")


def workout_fit(workout: Workout, *, created: datetime) -> bytes:
    """The workout as a FIT workout file (file type 5): one step message per step, a
    repeat step after each repeated group. ``created`` stamps the file."""
    # fit_tool is imported when a FIT workout is first asked for: its message classes hold
    # about 10 MB that every web process would otherwise keep from its start.
    from fit_tool.fit_file_builder import FitFileBuilder
    from fit_tool.profile.messages.file_id_message import FileIdMessage
    from fit_tool.profile.messages.workout_message import WorkoutMessage
    from fit_tool.profile.messages.workout_step_message import WorkoutStepMessage
    from fit_tool.profile.profile_type import (
        FileType,
        Manufacturer,
        Sport,
        WorkoutStepDuration,
    )

    _check(workout)
    file_id = FileIdMessage()
    file_id.type = FileType.WORKOUT
    file_id.manufacturer = Manufacturer.DEVELOPMENT.value
    file_id.product = 0
    file_id.serial_number = 1
    file_id.time_created = round(created.astimezone(UTC).timestamp() * 1000)
    messages: list[WorkoutStepMessage] = []
    for block in workout.blocks:
        if isinstance(block, Repeat):
            first = len(messages)
            for step in block.steps:
                messages.append(_fit_step(step, len(messages)))
            repeat = WorkoutStepMessage()
            repeat.message_index = len(messages)
            repeat.duration_type = WorkoutStepDuration.REPEAT_UNTIL_STEPS_CMPLT
            repeat.duration_step = first
            repeat.target_repeat_steps = block.times
            messages.append(repeat)
        else:
            messages.append(_fit_step(block, len(messages)))
    header = WorkoutMessage()
    header.workout_name = workout.name[:40]
    header.sport = Sport[_FIT_SPORT[workout.sport]]
    header.num_valid_steps = len(messages)
    builder = FitFileBuilder(auto_define=True, min_string_size=50)
    builder.add(file_id)
    builder.add(header)
    builder.add_all(messages)
    data: bytes = builder.build().to_bytes()
    return data


def _fit_step(step: Step, index: int) -> WorkoutStepMessage:
    from fit_tool.profile.messages.workout_step_message import WorkoutStepMessage
    from fit_tool.profile.profile_type import Intensity, WorkoutStepDuration, WorkoutStepTarget

    m = WorkoutStepMessage()
    m.message_index = index
    m.workout_step_name = step.name[:40]
    m.intensity = Intensity[_FIT_INTENSITY[step.kind]]
    if step.distance_m is not None:
        m.duration_type = WorkoutStepDuration.DISTANCE
        m.duration_distance = step.distance_m
    else:
        m.duration_type = WorkoutStepDuration.TIME
        m.duration_time = round(step.duration_s, 3)
    t = step.target
    if t.kind is TargetKind.POWER and t.low is not None and t.high is not None:
        m.target_type = WorkoutStepTarget.POWER
        m.target_value = 0
        m.custom_target_power_low = round(t.low) + FIT_POWER_OFFSET
        m.custom_target_power_high = round(t.high) + FIT_POWER_OFFSET
    elif t.kind is TargetKind.PACE and t.low is not None and t.high is not None:
        m.target_type = WorkoutStepTarget.SPEED
        m.target_value = 0
        m.custom_target_speed_low = round(t.low, 3)
        m.custom_target_speed_high = round(t.high, 3)
    elif t.kind is TargetKind.HEART_RATE and t.low is not None and t.high is not None:
        m.target_type = WorkoutStepTarget.HEART_RATE
        m.target_value = 0
        m.custom_target_heart_rate_low = round(t.low) + FIT_HEART_RATE_OFFSET
        m.custom_target_heart_rate_high = round(t.high) + FIT_HEART_RATE_OFFSET
    else:
        m.target_type = WorkoutStepTarget.OPEN
        m.target_value = 0
    return m


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
