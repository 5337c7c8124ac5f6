"""Rate limits: windows on the quarter hour and at 00:00 UTC, headers, 429s, counting."""

from __future__ import annotations

import calendar
from typing import Any

from fitcoach.simulator.ratelimit import RateLimiter, is_upload

from .conftest import FakeClock, athlete_ids, authorize, bearer, make_client
from .spec import FAULT, assert_valid, model_schema


def at(*parts: int) -> float:
    return float(calendar.timegm((2025, 6, 10, *parts)))


def test_quarter_hour_window_resets_at_15_00_00() -> None:
    limiter = RateLimiter(200, 2000, 100, 1000)
    for _ in range(3):
        limiter.hit("1", "GET /x", True, at(14, 59, 59))
    assert limiter.headers("1", at(14, 59, 59))["X-RateLimit-Usage"] == "3,3"
    limiter.hit("1", "GET /x", True, at(15, 0, 0))
    assert limiter.headers("1", at(15, 0, 0))["X-RateLimit-Usage"] == "1,4"
    assert limiter.headers("1", at(15, 14, 59))["X-ReadRateLimit-Usage"] == "1,4"
    assert limiter.headers("1", at(15, 15, 0))["X-ReadRateLimit-Usage"] == "0,4"


def test_daily_window_resets_at_midnight_utc() -> None:
    limiter = RateLimiter(200, 2000, 100, 1000)
    late = float(calendar.timegm((2025, 6, 10, 23, 59, 59)))
    for _ in range(5):
        limiter.hit("1", "GET /x", True, late)
    limiter.hit("1", "GET /x", True, late + 1)  # 2025-06-11 00:00:00
    assert limiter.headers("1", late + 1)["X-RateLimit-Usage"] == "1,1"


def test_windows_are_per_application() -> None:
    limiter = RateLimiter(2, 10, 2, 10)
    assert not limiter.hit("a", "GET /x", True, at(10, 0, 0))
    assert not limiter.hit("a", "GET /x", True, at(10, 0, 0))
    assert limiter.hit("a", "GET /x", True, at(10, 0, 0))
    assert not limiter.hit("b", "GET /x", True, at(10, 0, 0))


def test_uploads_are_not_reads() -> None:
    assert is_upload("POST", "/api/v3/uploads")
    assert is_upload("POST", "/api/v3/activities")
    assert not is_upload("GET", "/api/v3/activities/1")
    limiter = RateLimiter(200, 2000, 100, 1000)
    limiter.hit("1", "POST /api/v3/uploads", False, at(9, 0, 0))
    headers = limiter.headers("1", at(9, 0, 0))
    assert headers["X-RateLimit-Usage"] == "1,1" and headers["X-ReadRateLimit-Usage"] == "0,0"


def test_headers_after_each_request_and_429_while_limited() -> None:
    clock = FakeClock(at(14, 59, 57))
    with make_client(clock, read_short_limit=3, read_long_limit=5) as c:
        token = authorize(c, athlete_ids(c)[0])
        seen = []
        for _ in range(4):
            response = c.get("/api/v3/athlete", headers=bearer(token))
            seen.append((response.status_code, response.headers["x-readratelimit-usage"]))
            assert response.headers["x-ratelimit-limit"] == "200,2000"
            assert response.headers["x-readratelimit-limit"] == "3,5"
        assert seen == [(200, "1,1"), (200, "2,2"), (200, "3,3"), (429, "4,4")]
        limited = c.get("/api/v3/athlete", headers=bearer(token))
        assert limited.status_code == 429
        assert limited.json() == {
            "message": "Rate Limit Exceeded",
            "errors": [{"resource": "Application", "field": "rate limit", "code": "exceeded"}],
        }
        assert_valid(limited.json(), model_schema(FAULT))
        assert limited.headers["x-readratelimit-usage"] == "5,5"  # refused, still counted
        assert limited.headers["x-ratelimit-usage"] == "5,5"
        clock.now = at(15, 0, 0)  # a new quarter hour, but the day is spent
        response = c.get("/api/v3/athlete", headers=bearer(token))
        assert response.status_code == 429
        assert response.headers["x-readratelimit-usage"] == "1,6"
        clock.now = float(calendar.timegm((2025, 6, 11, 0, 0, 0)))
        token = authorize(c, athlete_ids(c)[0])  # the old one expired; OAuth is not counted
        response = c.get("/api/v3/athlete", headers=bearer(token))
        assert response.status_code == 200
        assert response.headers["x-readratelimit-usage"] == "1,1"


def test_overall_limit_binds_too() -> None:
    with make_client(FakeClock(), short_limit=2) as c:
        token = authorize(c, athlete_ids(c)[0])
        codes = [c.get("/api/v3/athlete", headers=bearer(token)).status_code for _ in range(3)]
        assert codes == [200, 200, 429]


def test_errors_carry_headers_and_count(client: Any) -> None:
    for response in (
        client.get("/api/v3/athlete"),
        client.get("/api/v3/activities/5", headers=bearer("x")),
        client.get("/api/v3/nope"),
    ):
        assert response.status_code in (401, 404)
        assert response.headers["x-ratelimit-limit"] == "200,2000"
    assert response.headers["x-ratelimit-usage"] == "3,3"


def test_usage_report_per_window_and_endpoint(client: Any) -> None:
    token = authorize(client, athlete_ids(client)[0])
    client.get("/api/v3/athlete", headers=bearer(token))
    client.get("/api/v3/athlete/activities", headers=bearer(token))
    first = client.get("/api/v3/athlete/activities", headers=bearer(token)).json()[0]
    client.get(f"/api/v3/activities/{first['id']}", headers=bearer(token))
    client.get("/_sim/athletes")  # the control API is not Strava's: not counted
    report = client.get("/_sim/usage").json()
    assert report["total"] == 4
    assert report["endpoints"] == {
        "GET /api/v3/activities/{id}": 1,
        "GET /api/v3/athlete": 1,
        "GET /api/v3/athlete/activities": 2,
    }
    app = report["applications"]["1"]
    assert app["read"]["short"] == {"window_start": int(at(14, 15, 0)), "usage": 4, "limit": 100}
    assert app["overall"]["long"]["usage"] == 4
    reset = client.post("/_sim/usage/reset").json()
    assert reset["total"] == 0 and reset["endpoints"] == {}
    assert (
        client.get("/api/v3/athlete", headers=bearer(token)).headers["x-ratelimit-usage"] == "1,1"
    )


def test_clock_control_crosses_windows(client: Any) -> None:
    token = authorize(client, athlete_ids(client)[0])
    client.get("/api/v3/athlete", headers=bearer(token))
    client.post("/_sim/clock", json={"advance": 15 * 60})
    assert (
        client.get("/api/v3/athlete", headers=bearer(token)).headers["x-ratelimit-usage"] == "1,2"
    )


def test_a_limit_increase_applies_from_then_on() -> None:
    clock = FakeClock(at(10, 0, 0))
    with make_client(clock, read_short_limit=1, read_long_limit=5) as c:
        token = authorize(c, athlete_ids(c)[0])
        assert c.get("/api/v3/athlete", headers=bearer(token)).status_code == 200
        assert c.get("/api/v3/athlete", headers=bearer(token)).status_code == 429
        raised = {"short_limit": 2000, "long_limit": 20000}
        raised |= {"read_short_limit": 1000, "read_long_limit": 10000}
        assert c.post("/_sim/limits", json=raised).status_code == 200
        response = c.get("/api/v3/athlete", headers=bearer(token))
        assert response.status_code == 200  # usage kept (3 now), under the new limit
        assert response.headers["x-readratelimit-limit"] == "1000,10000"
        assert response.headers["x-readratelimit-usage"] == "3,3"
        assert c.post("/_sim/limits", json={**raised, "short_limit": 0}).status_code == 422
