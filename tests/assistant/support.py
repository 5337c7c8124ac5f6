"""Fixtures of the assistant's tests (registered by the root conftest): a store with
three athletes for the MCP tests, fitcoach served on loopback, and the
SDK's own client over HTTP.

- ``own``: 9 activities from their own archive (rides with power and heart-rate streams,
  runs, swims) and 3 long rides from Strava's API (123.456 km each, easy to spot);
- ``other``: 3 activities of their own archive;
- ``strava_only``: 3 rides from Strava's API and nothing else.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from sqlalchemy import select
from sqlalchemy.engine import URL

from fitcoach.activities.loads import compute_loads
from fitcoach.activities.repository import upsert_api_activities
from fitcoach.activities.rows import row_from_strava
from fitcoach.app import create_app
from fitcoach.core.db import transaction
from fitcoach.core.settings import load_settings
from fitcoach.imports.parsing.limits import Limits
from fitcoach.imports.service import import_path
from fitcoach.mcp.tokens import Scope, create_token
from fitcoach.models import Athlete
from tests.conftest import MovableClock, RunningServer, session_cookie
from tests.imports.builders import ArchiveItem, archive_items, ride, write_archive
from tests.stores import Store, make_store

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
OTHER = 5151
STRAVA_ONLY = 6161
API_DISTANCE_M = 123_456.0

T = TypeVar("T")


def run_async(function: Callable[..., Awaitable[T]], *args: Any) -> T:
    """Run a coroutine function to its end in a thread of its own: a browser test's
    session-wide Playwright driver holds an asyncio loop in the main thread, where
    ``anyio.run`` refuses to start, so the tests here pass in any order."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(anyio.run, function, *args).result()


def api_rides(athlete_id: int, first_id: int, days_back: range) -> list[dict[str, Any]]:
    rows = []
    for i, back in enumerate(days_back):
        start = NOW - timedelta(days=back, hours=3)
        document = ArchiveItem(first_id + i, ride(start, 60), "", "API").strava_document(athlete_id)
        document.update(moving_time=4 * 3600, elapsed_time=4 * 3600, distance=API_DISTANCE_M)
        rows.append(row_from_strava(document, athlete_id))
    return rows


@dataclass
class World:
    store: Store
    tmp_path: Path

    @property
    def own(self) -> int:
        return self.store.athlete_id

    def token(self, athlete_id: int, scope: Scope = Scope.READ, days: int | None = None) -> str:
        made = create_token(self.store.sessions, athlete_id, scope, "test", NOW, days=days)
        return made.secret


def build_world(url: URL, tmp_path: Path) -> tuple[World, Any]:
    store, engine = make_store(url)
    with transaction(store.sessions) as session:
        session.add(Athlete(id=OTHER, firstname="Bea", ftp_watts=200.0))
        session.add(Athlete(id=STRAVA_ONLY, firstname="Cy", ftp_watts=220.0))
    start = NOW - timedelta(days=10)
    own = list(archive_items(9, start, seconds=900, first_id=9_100_000_000))
    import_path(
        store.sessions, store.athlete_id, write_archive(tmp_path / "own.zip", own), Limits()
    )
    other = list(archive_items(3, start, seconds=300, first_id=9_200_000_000))
    import_path(store.sessions, OTHER, write_archive(tmp_path / "other.zip", other), Limits())
    with transaction(store.sessions) as session:
        upsert_api_activities(session, api_rides(store.athlete_id, 5_000, range(1, 4)))
        upsert_api_activities(session, api_rides(STRAVA_ONLY, 6_000, range(1, 4)))
    for athlete_id in (store.athlete_id, OTHER, STRAVA_ONLY):
        compute_loads(store.sessions, athlete_id, TODAY)
    return World(store, tmp_path), engine


@pytest.fixture
def world_url(request: pytest.FixtureRequest) -> URL:
    """The store's database: SQLite, or PostgreSQL for a test parametrized
    ``@pytest.mark.parametrize("world_url", ["sqlite", "postgres"], indirect=True)``."""
    kind = getattr(request, "param", "sqlite")
    url: URL = request.getfixturevalue("sqlite_url" if kind == "sqlite" else "postgres_url")
    return url


@pytest.fixture
def world(world_url: URL, tmp_path: Path) -> Iterator[World]:
    made, engine = build_world(world_url, tmp_path)
    yield made
    engine.dispose()


def serve(
    url: URL, monkeypatch: pytest.MonkeyPatch, clock: MovableClock, **env: str
) -> RunningServer:
    """fitcoach's real app on loopback, on this store, with these settings."""
    monkeypatch.setenv("DATABASE_URL", url.render_as_string(hide_password=False))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return RunningServer(create_app(load_settings(), clock=clock))


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(NOW)


@pytest.fixture
def served(
    world: World, world_url: URL, monkeypatch: pytest.MonkeyPatch, clock: MovableClock
) -> Iterator[RunningServer]:
    server = serve(world_url, monkeypatch, clock)
    yield server
    server.stop()


@asynccontextmanager
async def connected(server: RunningServer, token: str | None) -> AsyncIterator[Client]:
    """The SDK's client over streamable HTTP, sending this token."""
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=30) as http,
        Client(streamable_http_client(f"{server.url}/mcp", http_client=http)) as client,
    ):
        yield client


def login_cookie(world: World, secret_key: str, athlete_id: int) -> str:
    """A session cookie of this athlete, signed as a login at ``NOW`` would sign it."""
    with world.store.sessions() as session:
        version = session.scalars(
            select(Athlete.session_version).where(Athlete.id == athlete_id)
        ).one()
    return session_cookie(secret_key, athlete_id, version, NOW)


def days_ago(n: int) -> date:
    return TODAY - timedelta(days=n)
