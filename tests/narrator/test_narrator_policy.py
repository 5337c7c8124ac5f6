"""The language model never receives a value derived from Strava API data unless
COACH_LLM_ALLOW_STRAVA_DATA says so: a local chat-completions server records what is sent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from sqlalchemy import delete

from fitcoach.activities.loads import compute_loads
from fitcoach.activities.repository import upsert_api_activities
from fitcoach.activities.rows import row_from_strava
from fitcoach.core.db import transaction
from fitcoach.imports.parsing.limits import Limits
from fitcoach.imports.service import import_path
from fitcoach.models import Activity
from fitcoach.narrator.client import narrate_week
from fitcoach.narrator.policy import narrator_input
from tests.conftest import RunningServer
from tests.imports.builders import ArchiveItem, archive_items, ride, write_archive
from tests.stores import Store


@pytest.fixture
def model() -> Iterator[tuple[RunningServer, list[dict[str, Any]]]]:
    """An OpenAI-compatible endpoint on loopback that keeps every request body."""
    received: list[dict[str, Any]] = []
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def complete(request: Request) -> dict[str, Any]:
        received.append(await request.json())
        return {"choices": [{"message": {"role": "assistant", "content": "Rest tomorrow."}}]}

    server = RunningServer(app)
    yield server, received
    server.stop()


def test_the_narrator_sees_only_the_athletes_own_files_by_default(
    store: Store, tmp_path: Path, model: tuple[RunningServer, list[dict[str, Any]]]
) -> None:
    server, received = model
    today = date.today()
    # Two weeks of the athlete's own rides (an archive)…
    own = list(archive_items(14, datetime.now(UTC) - timedelta(days=15), seconds=600))
    import_path(store.sessions, store.athlete_id, write_archive(tmp_path / "e.zip", own), Limits())
    # …and this week's long rides from the Strava API, with a distance that stands out.
    rows = []
    for day in range(3):
        start = datetime.now(UTC) - timedelta(days=day, hours=3)
        document = ArchiveItem(5_000 + day, ride(start, 60), "", "API").strava_document(
            store.athlete_id
        )
        document.update(moving_time=4 * 3600, elapsed_time=4 * 3600, distance=123_456.0)
        rows.append(row_from_strava(document, store.athlete_id))
    with transaction(store.sessions) as session:
        upsert_api_activities(session, rows)
    compute_loads(store.sessions, store.athlete_id, today)

    policy = narrator_input(store.sessions, store.athlete_id, today, allow_strava_data=False)
    everything = narrator_input(store.sessions, store.athlete_id, today, allow_strava_data=True)
    assert policy is not None and everything is not None
    assert policy.sources == ("file", "archive") and policy.note
    assert everything.note is None
    assert everything.numbers["ctl"] > policy.numbers["ctl"]

    for given in (policy, everything):
        narration = narrate_week(
            given.numbers, given.recommendations, base_url=server.url, model="test"
        )
        assert narration.source == "narrator"
    sent_by_default, sent_when_allowed = (body["messages"][1]["content"] for body in received)
    assert sent_by_default != sent_when_allowed
    grounding = json.loads(sent_by_default.split("\n", 1)[1].split("\n\n")[0])
    assert grounding["numbers"] == policy.numbers

    # What was sent by default is exactly what fitcoach computes with no API data at all.
    with transaction(store.sessions) as session:
        session.execute(delete(Activity).where(Activity.source == "strava_api"))
    own_only = narrator_input(store.sessions, store.athlete_id, today, allow_strava_data=True)
    assert own_only is not None
    assert own_only.numbers == policy.numbers
    assert own_only.recommendations == policy.recommendations
