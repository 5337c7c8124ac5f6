from datetime import date, timedelta

import pytest
from coach_factories import activity

from fitcoach.coach import CoachError, monthly_summary, weekly_summary

MONDAY = date(2024, 3, 11)


def test_weekly_summary_per_sport_against_the_previous_four_weeks() -> None:
    acts = [
        activity(
            "Ride", 3600, MONDAY + timedelta(days=1), distance=30000, total_elevation_gain=300
        ),
        activity("VirtualRide", 1800, MONDAY + timedelta(days=6), distance=15000),
        activity("Run", 2400, MONDAY + timedelta(days=2), distance=8000),
        # previous weeks: one ride two weeks ago, one run four weeks ago, nothing else
        activity("Ride", 7200, MONDAY - timedelta(days=10), distance=60000),
        activity("Run", 3600, MONDAY - timedelta(days=28), distance=12000),
        # outside the window: five weeks ago and next week
        activity("Ride", 3600, MONDAY - timedelta(days=35)),
        activity("Ride", 3600, MONDAY + timedelta(days=7)),
    ]
    loads = [50.0, 25.0, 40.0, 120.0, 60.0, 999.0, 999.0]
    week = weekly_summary(acts, loads, week_of=MONDAY + timedelta(days=3))
    assert (week.start, week.end, week.kind, week.compared_periods) == (
        MONDAY,
        MONDAY + timedelta(days=6),
        "week",
        4,
    )
    ride = next(s for s in week.sports if s.sport == "ride")
    assert ride.current.count == 2
    assert ride.current.moving_time_s == 5400
    assert ride.current.distance_m == 45000
    assert ride.current.elevation_m == 300
    assert ride.current.load == 75
    assert ride.recent_average.load == pytest.approx(120 / 4)
    assert ride.difference.load == pytest.approx(75 - 30)
    run = next(s for s in week.sports if s.sport == "run")
    assert run.recent_average.count == pytest.approx(0.25)
    assert week.total.current.load == 115
    assert week.total.recent_average.load == pytest.approx(180 / 4)
    assert [s.sport for s in week.sports] == ["ride", "run"]


def test_a_sport_only_in_past_weeks_shows_zero_now() -> None:
    acts = [activity("Swim", 1800, MONDAY - timedelta(days=3), distance=1500)]
    week = weekly_summary(acts, [30.0], week_of=MONDAY)
    swim = week.sports[0]
    assert (swim.sport, swim.current.count, swim.recent_average.load) == ("swim", 0, 7.5)


def test_monthly_summary() -> None:
    acts = [
        activity("Run", 3600, date(2024, 3, 31)),
        activity("Run", 3600, date(2024, 2, 29)),
        activity("Run", 3600, date(2023, 12, 1)),
        activity("Run", 3600, date(2023, 11, 30)),
    ]
    month = monthly_summary(acts, [10.0, 20.0, 30.0, 40.0], month_of=date(2024, 3, 15))
    assert (month.start, month.end) == (date(2024, 3, 1), date(2024, 3, 31))
    assert month.total.current.load == 10
    assert month.total.recent_average.load == pytest.approx((20 + 30) / 3)


def test_empty_history_gives_zeros() -> None:
    week = weekly_summary([], [], week_of=MONDAY)
    assert week.sports == ()
    assert week.total.current.count == 0


def test_bad_summary_input_is_a_coach_error() -> None:
    with pytest.raises(CoachError, match="one load each"):
        weekly_summary([activity()], [], week_of=MONDAY)
    with pytest.raises(CoachError, match=">= 0"):
        weekly_summary([], [], week_of=MONDAY, compare_weeks=-1)


def test_a_week_under_way_is_compared_with_the_same_days_of_earlier_weeks() -> None:
    thursday = MONDAY + timedelta(days=3)
    acts = [
        activity("Ride", 3600, MONDAY + timedelta(days=1)),  # this Tuesday
        activity("Ride", 3600, MONDAY - timedelta(days=6)),  # last Tuesday: counted
        activity("Ride", 3600, MONDAY - timedelta(days=2)),  # last Saturday: not yet
        activity("Ride", 3600, MONDAY - timedelta(days=11)),  # Thursday two weeks ago
    ]
    week = weekly_summary(acts, [50.0, 60.0, 200.0, 40.0], week_of=thursday, to_date=True)
    assert (week.start, week.end) == (MONDAY, thursday)
    assert week.total.current.load == 50
    assert week.total.recent_average.load == pytest.approx((60 + 40) / 4)
    whole = weekly_summary(acts, [50.0, 60.0, 200.0, 40.0], week_of=thursday)
    assert whole.total.recent_average.load == pytest.approx((60 + 200 + 40) / 4)
