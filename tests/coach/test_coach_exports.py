"""FIT workouts read back with fitdecode, .zwo parses as Zwift XML, the .ics as a calendar."""

import io
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any

import fitdecode
import pytest
from coach_factories import DETERMINISTIC, THRESHOLDS
from hypothesis import given
from hypothesis import strategies as st
from icalendar import Calendar
from plan_factories import thresholds
from test_coach_planning import request

from fitcoach.coach import (
    AthleteThresholds,
    CoachError,
    DoneLoad,
    Repeat,
    Step,
    TargetKind,
    Workout,
    WorkoutType,
    adapt_plan,
    build_workout,
    duration_range,
    plan_icalendar,
    plan_training,
    rest_workout,
    workout_fit,
    workout_types,
    workout_zwo,
)

CREATED = datetime(2025, 1, 1, 6, tzinfo=UTC)


def read_fit(data: bytes) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    file_id: dict[str, Any] = {}
    header: dict[str, Any] = {}
    steps: list[dict[str, Any]] = []
    with fitdecode.FitReader(io.BytesIO(data)) as reader:
        for frame in reader:
            if isinstance(frame, fitdecode.FitDataMessage):
                fields = {f.name: f.value for f in frame.fields}
                if frame.name == "file_id":
                    file_id = fields
                elif frame.name == "workout":
                    header = fields
                elif frame.name == "workout_step":
                    steps.append(fields)
    return file_id, header, steps


def expected_messages(w: Workout) -> list[tuple[Step | Repeat, int]]:
    """The messages a workout should make, each repeat with the index of its first step."""
    out: list[tuple[Step | Repeat, int]] = []
    for block in w.blocks:
        if isinstance(block, Repeat):
            first = len(out)
            out.extend((s, -1) for s in block.steps)
            out.append((block, first))
        else:
            out.append((block, -1))
    return out


@st.composite
def any_workout(draw: st.DrawFn) -> tuple[str, WorkoutType, int, AthleteThresholds]:
    sport = draw(st.sampled_from(["ride", "run", "swim"]))
    kind = draw(st.sampled_from(workout_types(sport)))
    lo, hi = duration_range(sport, kind)
    return sport, kind, draw(st.integers(lo // 5, hi // 5)) * 5, draw(thresholds())


@DETERMINISTIC
@given(any_workout())
def test_a_fit_workout_reads_back_with_the_same_steps(
    spec: tuple[str, WorkoutType, int, AthleteThresholds],
) -> None:
    w = build_workout(*spec)
    file_id, header, steps = read_fit(workout_fit(w, created=CREATED))
    assert file_id["type"] == "workout"
    assert file_id["time_created"] == CREATED
    assert header["sport"] == {"ride": "cycling", "run": "running", "swim": "swimming"}[w.sport]
    assert header["num_valid_steps"] == len(steps)
    expected = expected_messages(w)
    assert len(steps) == len(expected)
    for i, (message, (block, first)) in enumerate(zip(steps, expected, strict=True)):
        assert message["message_index"] == i
        if isinstance(block, Repeat):
            assert message["duration_type"] == "repeat_until_steps_cmplt"
            assert message["repeat_steps"] == block.times
            assert message["duration_step"] == first
            continue
        assert message["intensity"] == block.kind.value
        if block.distance_m is not None:
            assert message["duration_type"] == "distance"
            assert message["duration_distance"] == pytest.approx(block.distance_m, abs=0.01)
        else:
            assert message["duration_type"] == "time"
            assert message["duration_time"] == pytest.approx(block.duration_s, abs=0.001)
        t = block.target
        if t.kind is TargetKind.POWER and t.low is not None:
            assert message["target_type"] == "power"
            assert message["custom_target_power_low"] == round(t.low) + 1000
            assert message["custom_target_power_high"] == round(t.high or 0) + 1000
        elif t.kind is TargetKind.PACE and t.low is not None:
            assert message["target_type"] == "speed"
            assert message["custom_target_speed_low"] == pytest.approx(t.low, abs=0.001)
            assert message["custom_target_speed_high"] == pytest.approx(t.high, abs=0.001)
        elif t.kind is TargetKind.HEART_RATE and t.low is not None:
            assert message["target_type"] == "heart_rate"
            assert message["custom_target_heart_rate_low"] == round(t.low) + 100
        else:
            assert message["target_type"] == "open"


@pytest.mark.parametrize("sport", ["ride", "run"])
def test_a_zwo_parses_with_the_expected_elements(sport: str) -> None:
    w = build_workout(sport, WorkoutType.VO2MAX, 60, THRESHOLDS)
    root = ET.fromstring(workout_zwo(w))
    assert root.tag == "workout_file"
    assert root.findtext("sportType") == {"ride": "bike", "run": "run"}[sport]
    assert root.findtext("name") == w.name
    body = root.find("workout")
    assert body is not None
    tags = [e.tag for e in body]
    assert tags[0] == "Warmup" and tags[-1] == "Cooldown" and "IntervalsT" in tags
    seconds = 0
    for e in body:
        if e.tag == "IntervalsT":
            seconds += int(e.get("Repeat", "0")) * (
                int(e.get("OnDuration", "0")) + int(e.get("OffDuration", "0"))
            )
            assert float(e.get("OnPower", "0")) > 1.0  # VO2max efforts above threshold
        else:
            seconds += int(e.get("Duration", "0"))
    assert seconds == pytest.approx(w.duration_s, abs=len(tags))


def test_swims_and_rest_days_have_no_zwo() -> None:
    with pytest.raises(CoachError, match="Zwift"):
        workout_zwo(build_workout("swim", WorkoutType.THRESHOLD, 45, THRESHOLDS))
    with pytest.raises(CoachError, match="rest"):
        workout_zwo(rest_workout())
    with pytest.raises(CoachError, match="rest"):
        workout_fit(rest_workout(), created=CREATED)


def events(data: bytes) -> list[Any]:
    return [c for c in Calendar.from_ical(data).walk() if c.name == "VEVENT"]


def test_the_ics_has_one_event_per_planned_workout_with_stable_uids() -> None:
    plan = plan_training(request(weeks=10))
    data = plan_icalendar(plan, calendar_key="athlete-7", stamp=CREATED)
    found = events(data)
    sessions = [d for d in plan.days if d.workout.type is not WorkoutType.REST]
    assert len(found) == len(sessions)
    assert [e.decoded("dtstart") for e in found] == [d.day for d in sessions]
    uids = [str(e["uid"]) for e in found]
    assert len(set(uids)) == len(uids)
    assert all(
        str(e["summary"]).startswith(d.workout.name) for e, d in zip(found, sessions, strict=True)
    )
    # a new version keeps the UIDs of the days it did not move
    today = plan.start + timedelta(days=3)
    done = [DoneLoad(d.day, d.workout.load) for d in plan.days if d.day < today]
    again = plan_icalendar(
        adapt_plan(plan, done, today=today), calendar_key="athlete-7", stamp=CREATED
    )
    later = {str(e["uid"]): e for e in events(again)}
    assert set(uids) & set(later)
    assert all(int(e["sequence"]) == 2 for e in later.values())
