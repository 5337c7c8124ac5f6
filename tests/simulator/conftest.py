"""Fixtures for the simulator tests: a fake clock, an app, a client, and tokens."""

from __future__ import annotations

import calendar
import warnings
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from fitcoach.simulator import SimulatorConfig, create_app

with warnings.catch_warnings():
    # Starlette warns on import that its test client will move off httpx; not our concern.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

# Tuesday 2025-06-10 14:20:00 UTC: mid-window, mid-day, in the race season.
START = float(calendar.timegm((2025, 6, 10, 14, 20, 0)))
SECRET = "simulator-secret"


class FakeClock:
    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def config(clock: FakeClock, **overrides: Any) -> SimulatorConfig:
    values: dict[str, Any] = {
        "athletes": 3,
        "seed": 7,
        "history_days": 120,
        "clock": clock,
        "webhook_retry_delay": 0.05,
        "reorder_hold": 0.3,
    }
    values.update(overrides)
    return SimulatorConfig(**values)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(clock: FakeClock) -> Iterator[TestClient]:
    with TestClient(create_app(config(clock))) as c:
        yield c


def make_client(clock: FakeClock, **overrides: Any) -> TestClient:
    return TestClient(create_app(config(clock, **overrides)))


def athlete_ids(c: TestClient) -> list[int]:
    return [a["id"] for a in c.get("/_sim/athletes").json()]


def authorize(
    c: TestClient, athlete_id: int, scope: str = "read,activity:read_all", grant: str | None = None
) -> dict[str, Any]:
    """The whole OAuth dance through the automation parameters; returns the token body."""
    params = {
        "client_id": "1",
        "redirect_uri": "http://localhost:9/cb",
        "response_type": "code",
        "scope": scope,
        "state": "s1",
        "athlete_id": str(athlete_id),
        "decision": "approve",
    }
    if grant is not None:
        params["grant"] = grant
    redirect = c.get("/oauth/authorize", params=params, follow_redirects=False)
    assert redirect.status_code == 302, redirect.text
    query = parse_qs(urlsplit(redirect.headers["location"]).query)
    response = c.post(
        "/oauth/token",
        data={
            "client_id": "1",
            "client_secret": SECRET,
            "code": query["code"][0],
            "grant_type": "authorization_code",
        },
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    body["granted"] = query["scope"][0]
    return body


def bearer(token: dict[str, Any] | str) -> dict[str, str]:
    value = token if isinstance(token, str) else token["access_token"]
    return {"Authorization": f"Bearer {value}"}
