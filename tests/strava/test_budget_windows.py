"""Window arithmetic, header parsing and policy validation: pure functions, no backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from fitcoach.core.settings import Settings
from fitcoach.strava.budget import (
    BadRateHeaders,
    BudgetConfigError,
    Limits,
    Priority,
    Shares,
    Window,
    parse_rate_headers,
    window_end,
    window_start,
)
from fitcoach.strava.budget.headers import LimitReport
from fitcoach.strava.budget.policy import cap, request_slots
from fitcoach.strava.budget.windows import describe_time


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "short_start", "daily_start"),
    [
        ("2026-03-01T14:59:59.999999", "2026-03-01T14:45:00", "2026-03-01T00:00:00"),
        ("2026-03-01T15:00:00", "2026-03-01T15:00:00", "2026-03-01T00:00:00"),
        ("2026-03-01T15:14:59", "2026-03-01T15:00:00", "2026-03-01T00:00:00"),
        ("2026-03-01T23:59:59", "2026-03-01T23:45:00", "2026-03-01T00:00:00"),
        ("2026-03-02T00:00:00", "2026-03-02T00:00:00", "2026-03-02T00:00:00"),
    ],
)
def test_windows_start_on_the_quarter_hour_and_at_midnight_utc(
    moment: str, short_start: str, daily_start: str
) -> None:
    assert window_start(Window.SHORT, at(moment)) == at(short_start)
    assert window_start(Window.DAILY, at(moment)) == at(daily_start)


def test_window_end_is_the_next_start() -> None:
    assert window_end(Window.SHORT, at("2026-03-01T14:59:59")) == at("2026-03-01T15:00:00")
    assert window_end(Window.DAILY, at("2026-03-01T23:59:59")) == at("2026-03-02T00:00:00")


def test_windows_are_utc_whatever_the_zone_of_the_time() -> None:
    # 01:20 in UTC+05:30 is 19:50 UTC the day before: the daily window is that day's.
    local = datetime(2026, 3, 2, 1, 20, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    assert window_start(Window.DAILY, local) == at("2026-03-01T00:00:00")
    assert window_start(Window.SHORT, local) == at("2026-03-01T19:45:00")


def test_naive_times_are_refused() -> None:
    with pytest.raises(BudgetConfigError, match="naive"):
        window_start(Window.SHORT, datetime(2026, 3, 1, 14, 0))


def test_reset_times_read_for_a_person() -> None:
    now = at("2026-03-01T14:37:00")
    assert describe_time(at("2026-03-01T14:45:00"), now) == "14:45 UTC"
    assert describe_time(at("2026-03-02T00:00:00"), now) == "00:00 UTC on 2026-03-02"


def test_headers_are_parsed_case_insensitively() -> None:
    report = parse_rate_headers(
        {
            "x-ratelimit-limit": "200,2000",
            "X-RateLimit-Usage": "17, 342",
            "X-ReadRateLimit-Limit": "100,1000",
            "X-READRATELIMIT-USAGE": "9,120",
            "Content-Type": "application/json",
        }
    )
    assert report.overall == LimitReport(200, 2000, 17, 342)
    assert report.read == LimitReport(100, 1000, 9, 120)


def test_absent_headers_report_nothing() -> None:
    report = parse_rate_headers({"Content-Type": "application/json"})
    assert report.overall is None and report.read is None


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"X-RateLimit-Limit": "100,1000"}, "X-RateLimit-Limit came without X-RateLimit-Usage"),
        ({"X-ReadRateLimit-Usage": "1,2"}, "X-ReadRateLimit-Usage came without"),
        (
            {"X-RateLimit-Limit": "100", "X-RateLimit-Usage": "1,2"},
            "expected '<15-minute>,<daily>'",
        ),
        ({"X-RateLimit-Limit": "100,1000", "X-RateLimit-Usage": "-1,2"}, "X-RateLimit-Usage"),
        ({"X-RateLimit-Limit": "100,1000", "X-RateLimit-Usage": "1,2,3"}, "got '1,2,3'"),
        ({"X-RateLimit-Limit": "a,b", "X-RateLimit-Usage": "1,2"}, "whole numbers"),
        ({"X-RateLimit-Limit": "0,1000", "X-RateLimit-Usage": "1,2"}, "limits must be >= 1"),
        ({"X-RateLimit-Limit": "١٠٠,1000", "X-RateLimit-Usage": "1,2"}, "whole numbers"),
    ],
)
def test_malformed_headers_are_refused_with_the_header_named(
    headers: dict[str, str], message: str
) -> None:
    with pytest.raises(BadRateHeaders, match=message):
        parse_rate_headers(headers)


@pytest.mark.parametrize(
    "overrides",
    [{"short": -1}, {"long": 0}, {"athlete_short": -50}, {"read_long": 2.5}, {"short": True}],
)
def test_limits_must_be_whole_positive_numbers(overrides: dict[str, object]) -> None:
    with pytest.raises(BudgetConfigError, match="budget limit"):
        Limits(**overrides)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"backfill": 1.5, "scheduled": 1.5, "webhook": 1.5}, "between 0 and 1"),
        ({"backfill": -0.1}, "between 0 and 1"),
        ({"interactive": float("nan")}, "between 0 and 1"),
        ({"backfill": 0.9, "scheduled": 0.8}, "never use less"),
        ({"interactive": 0.9}, "never use less"),
    ],
)
def test_shares_must_be_fractions_that_grow_with_priority(
    overrides: dict[str, float], message: str
) -> None:
    with pytest.raises(BudgetConfigError, match=message):
        Shares(**overrides)


def test_limits_come_from_the_settings() -> None:
    settings = Settings(
        strava_short_limit=200,
        strava_long_limit=2000,
        strava_read_short_limit=100,
        strava_read_long_limit=1000,
        strava_athlete_short_limit=30,
        strava_athlete_long_limit=300,
    )
    assert Limits.from_settings(settings) == Limits(200, 2000, 100, 1000, 30, 300)


def test_default_shares_keep_a_reserve_for_each_higher_priority() -> None:
    shares = Shares()
    assert [cap(100, shares.basis_points(p)) for p in Priority] == [70, 85, 95, 100]
    # Basis points make 0.7 x 1000 exactly 700, where floats could give 699.
    assert cap(1000, Shares(backfill=0.7).basis_points(Priority.BACKFILL)) == 700
    assert cap(1, shares.basis_points(Priority.BACKFILL)) == 0


def test_a_request_draws_on_every_application_window_and_its_athletes() -> None:
    now = at("2026-03-01T14:37:00")
    scopes = [(s.scope, s.window.value) for s in request_slots(Limits(), 42, now)]
    assert scopes == [
        ("app", "15min"),
        ("app", "daily"),
        ("app-read", "15min"),
        ("app-read", "daily"),
        ("athlete:42", "15min"),
        ("athlete:42", "daily"),
    ]
    assert len(request_slots(Limits(), None, now)) == 4
