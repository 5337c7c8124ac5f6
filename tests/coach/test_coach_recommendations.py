"""Each rule fires on its own case and stays quiet on the others."""

import math
from datetime import date, timedelta

import pytest

from fitcoach.coach import (
    CoachError,
    GoalEvent,
    Kind,
    Recommendation,
    RuleSettings,
    Severity,
    foster_monotony_strain,
    performance_series,
    project_taper,
    recommend,
)

START = date(2024, 1, 1)
# A varied week with two rest days (mean 100, SD 70.7, monotony 1.41): months of it give a
# steady athlete at CTL ≈ ATL ≈ 100 whom no rule should bother.
WEEK = [0.0, 150.0, 100.0, 0.0, 200.0, 150.0, 100.0]
STEADY = WEEK * 18
# The same week rotated to end on a rest day, for builds.
BUILD_WEEK = [150.0, 100.0, 0.0, 200.0, 150.0, 100.0, 0.0]


def advise(loads: list[float], goal: GoalEvent | None = None) -> tuple[Recommendation, ...]:
    """Recommendations for the morning after ``loads`` (today's load not yet known: 0)."""
    series = performance_series([*loads, 0.0], START)
    return recommend(series, today=series.end, goal=goal)


def kinds(loads: list[float], goal: GoalEvent | None = None) -> set[Kind]:
    return {r.kind for r in advise(loads, goal)}


def goal_in(days: int, priority: str = "A") -> GoalEvent:
    """A goal ``days`` after the morning that follows STEADY."""
    return GoalEvent("Spring Marathon", START + timedelta(days=len(STEADY) + days), priority)  # type: ignore[arg-type]


CASES: dict[str, tuple[list[float], GoalEvent | None, set[Kind]]] = {
    "steady": (STEADY, None, {Kind.ON_TRACK}),
    # Three very hard days after an easy week: fatigue jumps, fitness barely moves.
    "crash block": ([*STEADY, 50, 0, 50, 0, 300, 300, 300], None, {Kind.FORM_TOO_LOW}),
    # A week at 1.6× the usual load, ending on a rest day.
    "steep build": (STEADY + [1.6 * x for x in BUILD_WEEK], None, {Kind.RAMP_RATE_HIGH}),
    # A week of the same load every day, at the athlete's usual level.
    "same every day": (STEADY + [110.0] * 7, None, {Kind.MONOTONY_STRAIN}),
    # Five weeks at half the usual load, never missing more than two days.
    "training less": (STEADY + [0.5 * x for x in WEEK] * 5, None, {Kind.DETRAINING}),
    # Ten days off: fitness falls too, but the gap explains it (no detraining finding).
    "ten days off": (STEADY + [0.0] * 10, None, {Kind.LONG_GAP}),
    "goal in 30 days": (STEADY, goal_in(30), {Kind.GOAL_EVENT, Kind.ON_TRACK}),
    "goal too far away": (STEADY, goal_in(100), {Kind.ON_TRACK}),
    "goal passed": (STEADY, goal_in(-5), {Kind.ON_TRACK}),
    # Fitness falls during a planned taper: the goal explains it.
    "tapering": (
        STEADY + [0.5 * x for x in WEEK] * 5,
        goal_in(35 + 6),
        {Kind.GOAL_EVENT, Kind.ON_TRACK},
    ),
    # Ten days from nothing: too little history for trend rules.
    "new athlete": (WEEK + WEEK[:3], None, {Kind.ON_TRACK}),
}


@pytest.mark.parametrize("case", CASES)
def test_each_rule_fires_on_its_case_only(case: str) -> None:
    loads, goal, expected = CASES[case]
    assert kinds(loads, goal) == expected


def test_form_too_low_says_recover_with_its_numbers() -> None:
    (rec,) = advise([*STEADY, 50, 0, 50, 0, 300, 300, 300])
    assert rec.severity is Severity.WARNING
    assert rec.numbers["tsb"] < -30
    assert rec.numbers["tsb"] == pytest.approx(rec.numbers["ctl"] - rec.numbers["atl"], abs=0.2)
    assert f"{rec.numbers['tsb']:.0f}" in rec.text


def test_ramp_rate_gives_a_safe_weekly_load() -> None:
    (rec,) = advise(STEADY + [1.6 * x for x in BUILD_WEEK])
    assert rec.numbers["ramp_rate"] > 8
    assert rec.numbers["ramp_rate"] == pytest.approx(
        rec.numbers["ctl"] - rec.numbers["ctl_week_ago"], abs=0.2
    )
    assert f"{rec.numbers['safe_weekly_load']:.0f}" in rec.text


def test_monotony_numbers_follow_foster() -> None:
    (rec,) = advise(STEADY + [110.0] * 7)
    assert rec.numbers["weekly_load"] == 770
    assert rec.numbers["strain"] == pytest.approx(770 * rec.numbers["monotony"])


def test_foster_monotony_and_strain() -> None:
    # Loads 0,150,100,0,200,150,100: weekly 700, mean 100, population SD
    # sqrt((100² + 50² + 0 + 100² + 100² + 50² + 0) / 7) = sqrt(5000) = 70.71;
    # monotony 100 / 70.71 = 1.414; strain 700 × 1.414 = 989.9.
    weekly, monotony, strain = foster_monotony_strain(WEEK)
    assert weekly == 700
    assert monotony == pytest.approx(1.41421, abs=1e-5)
    assert strain == pytest.approx(989.95, abs=0.01)
    assert foster_monotony_strain([0.0] * 7) == (0.0, 0.0, 0.0)
    assert foster_monotony_strain([50.0] * 7)[1] == 10.0  # capped


def test_goal_event_gives_a_taper_plan() -> None:
    (goal_rec,) = [r for r in advise(STEADY, goal_in(30)) if r.kind is Kind.GOAL_EVENT]
    numbers = goal_rec.numbers
    assert numbers["days_to_event"] == 30
    assert numbers["taper_days"] == 14
    assert numbers["volume_reduction_pct"] == 50
    assert numbers["taper_start"] == (START + timedelta(days=len(STEADY) + 30 - 14)).isoformat()
    # Two weeks at half the load from CTL ≈ ATL ≈ 100 lifts form well above zero.
    assert numbers["projected_tsb"] > 10
    assert "Spring Marathon" in goal_rec.text


@pytest.mark.parametrize(("priority", "days", "taper"), [("B", 20, 7), ("C", 6, 2)])
def test_lower_priority_events_get_shorter_tapers(priority: str, days: int, taper: int) -> None:
    recs = advise(STEADY, goal_in(days, priority))
    (goal_rec,) = [r for r in recs if r.kind is Kind.GOAL_EVENT]
    assert goal_rec.numbers["taper_days"] == taper


@pytest.mark.parametrize(("priority", "days"), [("A", 57), ("B", 22), ("C", 8)])
def test_events_beyond_their_horizon_stay_quiet(priority: str, days: int) -> None:
    assert Kind.GOAL_EVENT not in kinds(STEADY, goal_in(days, priority))


def test_race_day() -> None:
    recs = advise(STEADY, goal_in(0))
    (goal_rec,) = [r for r in recs if r.kind is Kind.GOAL_EVENT]
    assert goal_rec.numbers["days_to_event"] == 0
    assert goal_rec.text.startswith("Today is Spring Marathon")


def test_warnings_come_first() -> None:
    recs = advise([*STEADY, 50, 0, 50, 0, 350, 350, 350])
    assert [r.kind for r in recs][:2] == [Kind.FORM_TOO_LOW, Kind.RAMP_RATE_HIGH]


def test_settings_change_the_thresholds() -> None:
    series = performance_series([*STEADY, 0.0], START)
    strict = RuleSettings(form_floor=-5.0)
    assert Kind.FORM_TOO_LOW in {
        r.kind for r in recommend(series, today=series.end, settings=strict)
    }


def test_today_outside_the_series_is_a_coach_error() -> None:
    series = performance_series(STEADY, START)
    with pytest.raises(CoachError, match="outside the series"):
        recommend(series, today=series.end + timedelta(days=1))


def test_taper_projection_closed_form() -> None:
    # From CTL = ATL = 100 at a daily load of 100, an A event 14 days away: the whole time
    # is taper at 50. CTL = 50 + 50·e^(−14/42) = 50 + 50 × 0.71653 = 85.83;
    # ATL = 50 + 50·e^(−14/7) = 50 + 50 × 0.13534 = 56.77; race-day TSB = 29.06.
    goal = GoalEvent("Club TT", START + timedelta(days=14), "A")
    keep42, keep7 = math.exp(-1 / 42), math.exp(-1 / 7)
    taper = project_taper(
        goal, START, ctl=100, atl=100, daily_load=100, ctl_keep=keep42, atl_keep=keep7
    )
    assert taper is not None
    assert (taper.taper_days, taper.taper_start) == (14, START)
    assert taper.projected_ctl == pytest.approx(85.83, abs=0.01)
    assert taper.projected_tsb == pytest.approx(29.06, abs=0.01)
    too_far = GoalEvent("Club TT", START + timedelta(days=57), "A")
    kwargs = dict(ctl=100.0, atl=100.0, daily_load=100.0, ctl_keep=keep42, atl_keep=keep7)
    assert project_taper(too_far, START, **kwargs) is None
