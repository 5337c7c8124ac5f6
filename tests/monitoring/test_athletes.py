"""Every athlete's requests in the current windows, read from each budget backend."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from fitcoach import migrations
from fitcoach.core.db import make_engine
from fitcoach.monitoring.athletes import athlete_requests, top
from fitcoach.strava.budget import (
    Backend,
    Budget,
    DatabaseBackend,
    Limits,
    Priority,
    RedisBackend,
    Window,
)

NOW = datetime(2026, 3, 2, 10, 7, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgres", "redis"])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    if request.param == "redis":
        url: str = request.getfixturevalue("redis_url")
        # Glob characters in the prefix must match literally.
        prefix = f"fitcoach-test:[{uuid.uuid4().hex}]*:"
        redis_backend = RedisBackend.from_url(url, prefix=prefix)
        yield redis_backend
        redis_backend.clear()
        redis_backend.dispose()
        return
    engine = make_engine(request.getfixturevalue(f"{request.param}_url"))
    migrations.upgrade(engine)
    yield DatabaseBackend(engine)
    engine.dispose()


def test_requests_per_athlete_in_each_window(backend: Backend) -> None:
    clock = [NOW]
    budget = Budget(backend, Limits(athlete_short=50), clock=lambda: clock[0])
    budget.acquire(Priority.INTERACTIVE, 7)
    for _ in range(3):
        budget.acquire(Priority.BACKFILL, 12)
    budget.acquire(Priority.SCHEDULED, None)  # the application's only: no athlete
    assert athlete_requests(budget, Window.SHORT) == {7: 1, 12: 3}
    clock[0] = NOW.replace(minute=20)  # the next quarter hour, the same day
    budget.acquire(Priority.WEBHOOK, 7)
    assert athlete_requests(budget, Window.SHORT) == {7: 1}
    assert athlete_requests(budget, Window.DAILY) == {7: 2, 12: 3}


def test_top_is_most_first_and_bounded() -> None:
    counts = {1: 5, 2: 9, 3: 5, 4: 1}
    assert top(counts, 3) == [(2, 9), (1, 5), (3, 5)]
    assert top({}, 3) == []
