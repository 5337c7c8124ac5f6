"""Generated athletes and history: deterministic per seed, plausible, streams match summaries."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fitcoach.simulator.generator import generate_history, make_athlete
from fitcoach.simulator.models import Activity, Athlete
from fitcoach.simulator.store import Store
from fitcoach.simulator.streams import compute

from .conftest import START

KINDS = ("cyclist", "runner", "triathlete")


def _athlete(kind: str, seed: int, days: int = 3 * 365) -> Athlete:
    return make_athlete(1000 + seed, kind, seed, days, START, 10_000_000_000)


@pytest.fixture(scope="module")
def histories() -> dict[str, tuple[Athlete, list[Activity]]]:
    out = {}
    for kind in KINDS:
        athlete = _athlete(kind, 11)
        out[kind] = (athlete, generate_history(athlete))
    return out


def test_same_seed_same_everything() -> None:
    one, two = Store(5), Store(5)
    a = one.create_athletes(4, 200, START)
    b = two.create_athletes(4, 200, START)
    assert [x.to_dict() for x in a] == [x.to_dict() for x in b]
    for x, y in zip(a, b, strict=True):
        ha, hb = one.history(x.id), two.history(y.id)
        assert [h.to_dict() for h in ha] == [h.to_dict() for h in hb]
        assert compute(ha[-1], x) == compute(hb[-1], y)
    other = Store(6).create_athletes(4, 200, START)
    assert [x.id for x in a] != [x.id for x in other]


def test_history_spans_the_days_with_ids_rising_in_time(histories: Any) -> None:
    for _athlete, history in histories.values():
        starts = [a.start for a in history]
        assert starts == sorted(starts)
        assert [a.id for a in history] == sorted(a.id for a in history)
        assert START - starts[-1] < 5 * 86400
        assert starts[0] - (START - 3 * 365 * 86400) < 30 * 86400
        assert all(a.start + a.elapsed_time <= START for a in history)
        assert all(a.id > 10_000_000_000 for a in history)  # ids beyond 32 bits, like Strava's


def _weekly_hours(history: list[Activity]) -> list[float]:
    weeks: Counter[int] = Counter()
    for a in history:
        weeks[(a.start // 86400 - 4) // 7] += a.moving_time  # Monday-based weeks
    first, last = min(weeks), max(weeks)
    return [weeks.get(w, 0) / 3600 for w in range(first, last + 1)]


@pytest.mark.parametrize(
    ("kind", "lo", "hi"), [("cyclist", 3, 14), ("runner", 2.5, 9), ("triathlete", 4.5, 16)]
)
def test_weekly_volume_seasons_and_rest(histories: Any, kind: str, lo: float, hi: float) -> None:
    _, history = histories[kind]
    hours = _weekly_hours(history)
    assert lo < float(np.median(hours)) < hi
    assert max(hours) < 30
    # Recovery weeks (every fourth), breaks and the off-season sit well below the median.
    assert sum(1 for h in hours if h < 0.6 * float(np.median(hours))) > len(hours) / 8


def test_sports_workouts_races_and_manual_entries(histories: Any) -> None:
    cyclist, runner, triathlete = (histories[k][1] for k in KINDS)
    assert {a.type for a in cyclist} <= {"Ride", "VirtualRide"}
    assert any(a.workout == "ride_race" and a.workout_type == 11 for a in cyclist)
    assert any(a.trainer for a in cyclist)
    assert any(a.commute and not a.device_watts for a in cyclist)
    assert {a.type for a in runner} >= {"Run"}
    assert any(a.workout == "run_race" and a.workout_type == 1 for a in runner)
    assert any(a.manual and not a.has_streams for a in runner)
    assert {a.type for a in triathlete} >= {"Ride", "Run", "Swim"}


def test_names_carry_unicode_and_html_like_text() -> None:
    store = Store(3)
    athletes = store.create_athletes(12, 365, START)
    names = [a.name for x in athletes for a in store.history(x.id)]
    people = [f"{a.firstname} {a.lastname}" for a in athletes]
    assert any(not n.isascii() for n in names) and any(not p.isascii() for p in people)
    assert any("<" in n and ">" in n for n in names)
    assert any("&" in n or '"' in n for n in names)


def test_summaries_are_physically_plausible(histories: Any) -> None:
    for athlete, history in histories.values():
        for a in history:
            assert 0 < a.moving_time <= a.elapsed_time <= 8 * 3600
            if a.average_heartrate is not None:
                assert 90 < a.average_heartrate < a.max_heartrate <= athlete.max_hr <= 210
            if a.average_watts is not None and a.device_watts:
                assert 0.35 * athlete.ftp < a.average_watts < 1.15 * athlete.ftp
                assert a.average_watts <= (a.weighted_average_watts or 0) < a.max_watts < 2000
            speed = a.average_speed
            if a.type == "Ride" and a.distance:
                assert 4 < speed < 13
            elif a.type == "Run":
                assert 2 < speed < 6.5
            elif a.type == "Swim":
                assert 0.5 < speed < 2


def _check_streams(a: Activity, athlete: Athlete) -> dict[str, Any]:
    s = compute(a, athlete)
    n = a.moving_time
    assert all(len(v) == n for v in s.values())
    assert s["time"][0] == 0 and s["time"][-1] == a.elapsed_time - 1
    if a.device_watts:
        watts = np.array(s["watts"])
        assert abs(watts.mean() - a.average_watts) / a.average_watts < 0.01
        assert watts.min() >= 0 and watts.max() == pytest.approx(a.max_watts, abs=1)
        rolling = np.convolve(watts, np.ones(30) / 30, mode="valid")
        np_watts = float(np.mean(rolling**4) ** 0.25)
        assert abs(np_watts - a.weighted_average_watts) / a.weighted_average_watts < 0.08
    else:
        assert "watts" not in s
    if a.average_heartrate is not None:
        hr = np.array(s["heartrate"])
        assert abs(hr.mean() - a.average_heartrate) / a.average_heartrate < 0.01
        assert hr.min() >= 40 and hr.max() <= a.max_heartrate
    else:
        assert "heartrate" not in s
    if a.distance:
        v = np.array(s["velocity_smooth"])
        assert abs(v.mean() - a.average_speed) / a.average_speed < 0.01
        assert abs(s["distance"][-1] - a.distance) / a.distance < 0.01
        assert np.all(np.diff(s["distance"]) >= 0)
    if "altitude" in s:
        rise = np.clip(np.diff(s["altitude"]), 0, None).sum()
        assert rise == pytest.approx(a.total_elevation_gain, rel=0.02, abs=1.0)
        assert all(-30 <= g <= 30 for g in s["grade_smooth"])
    assert ("latlng" in s) == (a.gps and a.distance > 0)
    return s


def test_streams_match_summaries_for_every_workout_kind(histories: Any) -> None:
    seen: set[str] = set()
    for athlete, history in histories.values():
        for a in reversed(history):
            if a.has_streams and a.workout not in seen:
                seen.add(a.workout)
                _check_streams(a, athlete)
    assert len(seen) >= 12


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**31), kind=st.sampled_from(KINDS))
def test_streams_match_summaries_for_any_seed(seed: int, kind: str) -> None:
    athlete = _athlete(kind, seed, days=21)
    for a in generate_history(athlete)[-3:]:
        if a.has_streams:
            _check_streams(a, athlete)


def test_streams_are_lazy_and_repeatable(histories: Any) -> None:
    athlete, history = histories["cyclist"]
    ride = next(a for a in reversed(history) if a.device_watts)
    assert compute(ride, athlete) == compute(ride, athlete)
    assert ride.raw_streams is None  # nothing was stored on the activity


def test_lazy_histories_only_materialize_when_touched() -> None:
    store = Store(9)
    athletes = store.create_athletes(50, 3 * 365, START)
    assert len(athletes) == 50 and not store._histories
    first = store.history(athletes[0].id)
    assert store.activity(first[5].id) is first[5]
    other = athletes[7]
    probe = other.id_base + 1
    store.activity(probe)  # looking up an id materializes its owner's history only
    assert set(store._histories) == {athletes[0].id, other.id}
