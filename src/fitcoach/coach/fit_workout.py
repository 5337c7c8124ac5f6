"""A workout as a FIT workout file, with fit_tool.

Imported by ``coach.exports.workout_fit`` when a FIT workout is first asked for: fit_tool's
message classes hold about 10 MB that every web process would otherwise keep from its start.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fit_tool.fit_file_builder import FitFileBuilder
from fit_tool.profile.messages.file_id_message import FileIdMessage
from fit_tool.profile.messages.workout_message import WorkoutMessage
from fit_tool.profile.messages.workout_step_message import WorkoutStepMessage
from fit_tool.profile.profile_type import (
    FileType,
    Intensity,
    Manufacturer,
    Sport,
    WorkoutStepDuration,
    WorkoutStepTarget,
)

from fitcoach.coach import sports
from fitcoach.coach.workouts import Repeat, Step, StepKind, TargetKind, Workout

# FIT encodes absolute custom targets with an offset: watts + 1000, bpm + 100 (values
# below the offset are % of FTP or of max HR).
FIT_POWER_OFFSET = 1000
FIT_HEART_RATE_OFFSET = 100
_FIT_SPORT = {sports.RIDE: Sport.CYCLING, sports.RUN: Sport.RUNNING, sports.SWIM: Sport.SWIMMING}
_FIT_INTENSITY = {
    StepKind.WARMUP: Intensity.WARMUP,
    StepKind.ACTIVE: Intensity.ACTIVE,
    StepKind.RECOVERY: Intensity.RECOVERY,
    StepKind.REST: Intensity.REST,
    StepKind.COOLDOWN: Intensity.COOLDOWN,
}


def encode(workout: Workout, *, created: datetime) -> bytes:
    """The workout as a FIT workout file (file type 5): one step message per step, a
    repeat step after each repeated group. ``created`` stamps the file."""
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
    header.sport = _FIT_SPORT[workout.sport]
    header.num_valid_steps = len(messages)
    builder = FitFileBuilder(auto_define=True, min_string_size=50)
    builder.add(file_id)
    builder.add(header)
    builder.add_all(messages)
    data: bytes = builder.build().to_bytes()
    return data


def _fit_step(step: Step, index: int) -> WorkoutStepMessage:
    m = WorkoutStepMessage()
    m.message_index = index
    m.workout_step_name = step.name[:40]
    m.intensity = _FIT_INTENSITY[step.kind]
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
