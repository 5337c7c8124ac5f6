"""The workout library: targets per sport and threshold, durations, and planned load
equal to load.py's load of the perfectly executed workout."""

from datetime import datetime

import numpy as np
import pytest
from coach_factories import DETERMINISTIC, THRESHOLDS
from hypothesis import given
from hypothesis import strategies as st
from plan_factories import thresholds

from fitcoach.coach import (
    AthleteThresholds,
    CoachError,
    LoadMethod,
    Repeat,
    TargetKind,
    WorkoutType,
    activity_load,
    build_workout,
    duration_range,
    executed_activity,
    normalized_power,
    running_tss,
    training_stress_score,
    workout_types,
)

START = datetime(2025, 1, 6, 7)


@st.composite
def workouts(draw: st.DrawFn) -> tuple[str, WorkoutType, int]:
    sport = draw(st.sampled_from(["ride", "run", "swim"]))
    kind = draw(st.sampled_from(workout_types(sport)))
    lo, hi = duration_range(sport, kind)
    minutes = draw(st.integers(lo // 5, hi // 5)) * 5
    return sport, kind, minutes


@DETERMINISTIC
@given(workouts(), thresholds())
def test_planned_load_is_load_py_on_the_executed_workout(
    spec: tuple[str, WorkoutType, int], th: AthleteThresholds
) -> None:
    sport, kind, minutes = spec
    w = build_workout(sport, kind, minutes, th)
    recorded = activity_load(executed_activity(w, START), th)
    assert w.load == recorded.load and w.load_method is recorded.method
    assert w.duration_s <= minutes * 60 + 1e-6
    assert w.duration_s == pytest.approx(sum(s.duration_s for s in w.steps()))
    if sport != "swim" or w.target_kind is not TargetKind.PACE:
        assert w.duration_s == minutes * 60


@DETERMINISTIC
@given(workouts())
def test_power_load_from_the_steps_by_hand(spec: tuple[str, WorkoutType, int]) -> None:
    sport, kind, minutes = spec
    if sport != "ride":
        return
    w = build_workout(sport, kind, minutes, THRESHOLDS)
    watts = np.concatenate([np.full(round(s.duration_s), s.target.value) for s in w.steps()])
    ftp = THRESHOLDS.ftp
    assert ftp is not None
    expected = training_stress_score(len(watts), normalized_power(watts), ftp)
    assert w.load == pytest.approx(expected)
    assert w.load_method is LoadMethod.POWER_STREAM


def test_run_load_from_pace_steps_by_hand() -> None:
    w = build_workout("run", WorkoutType.ENDURANCE, 60, THRESHOLDS)
    steps = list(w.steps())
    assert [s.target.kind for s in steps] == [TargetKind.PACE] * len(steps)
    pace = THRESHOLDS.threshold_pace_s_per_km
    assert pace is not None
    speeds = np.concatenate([np.full(round(s.duration_s), s.target.value) for s in steps])
    ngs = normalized_power(speeds)  # the same 30-s fourth-power mean, on speed
    assert w.load == pytest.approx(running_tss(len(speeds), ngs, pace))


def test_targets_follow_what_the_athlete_knows() -> None:
    hr_only = AthleteThresholds(threshold_hr=165, max_hr=190, resting_hr=50)
    nothing = AthleteThresholds()
    assert build_workout("ride", WorkoutType.THRESHOLD, 60, THRESHOLDS).target_kind is (
        TargetKind.POWER
    )
    assert build_workout("run", WorkoutType.THRESHOLD, 60, THRESHOLDS).target_kind is (
        TargetKind.PACE
    )
    assert build_workout("swim", WorkoutType.THRESHOLD, 45, THRESHOLDS).target_kind is (
        TargetKind.PACE
    )
    hr = build_workout("ride", WorkoutType.THRESHOLD, 60, hr_only)
    assert hr.target_kind is TargetKind.HEART_RATE
    assert hr.load_method is LoadMethod.HEART_RATE_STREAM
    open_ = build_workout("run", WorkoutType.ENDURANCE, 45, nothing)
    assert open_.target_kind is TargetKind.OPEN
    assert open_.load_method is LoadMethod.DURATION_ESTIMATE
    assert "RPE" in open_.description


def test_threshold_intervals_have_warm_up_repeats_and_cool_down() -> None:
    w = build_workout("ride", WorkoutType.THRESHOLD, 75, THRESHOLDS)
    kinds = [type(b).__name__ for b in w.blocks]
    assert kinds[0] == "Step" and kinds[-1] == "Step" and "Repeat" in kinds
    repeat = next(b for b in w.blocks if isinstance(b, Repeat))
    effort, recovery = repeat.steps
    assert effort.target.value == pytest.approx(0.98 * 250)
    assert effort.target.zone == 4  # Coggan's lactate threshold zone
    assert recovery.target.value == pytest.approx(0.5 * 250)
    assert w.hard


def test_pool_swims_are_whole_lengths() -> None:
    w = build_workout("swim", WorkoutType.THRESHOLD, 45, THRESHOLDS)
    lengths = [s.distance_m for s in w.steps() if s.distance_m is not None]
    assert lengths and all(d % 25 == 0 for d in lengths)
    assert w.distance_m == sum(lengths)


def test_durations_outside_the_range_are_refused() -> None:
    with pytest.raises(CoachError, match="lasts"):
        build_workout("ride", WorkoutType.VO2MAX, 20, THRESHOLDS)
    with pytest.raises(CoachError, match="no workouts"):
        build_workout("rowing", WorkoutType.ENDURANCE, 60, THRESHOLDS)
