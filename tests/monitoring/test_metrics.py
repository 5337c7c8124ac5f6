"""The metrics move by exactly what the syncs, webhooks and queries did (one process)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import OperationalError

from fitcoach.models import Athlete, StravaConnection
from fitcoach.strava.budget import Priority
from fitcoach.strava.errors import BudgetExhausted, Unavailable
from fitcoach.sync.activities import backfill_page, incremental_sync, record_failure
from fitcoach.sync.instrumentation import sync_kind
from fitcoach.sync.manual import manual_sync
from fitcoach.sync.webhooks.service import process_event
from tests.conftest import sync_of
from tests.monitoring.conftest import NOW, SUBSCRIPTION, Monitored, later

REQUESTS = "fitcoach_strava_requests_total"
RUNS = "fitcoach_sync_runs_total"


def event(athlete_id: int, **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "object_type": "activity",
        "object_id": 99_000_001,
        "aspect_type": "create",
        "updates": {},
        "owner_id": athlete_id,
        "subscription_id": SUBSCRIPTION,
        "event_time": int((NOW - timedelta(seconds=30)).timestamp()),
    }
    return {**base, **changes}


def backfill(monitored: Monitored) -> int:
    """The whole history, page by page; returns the number of pages (= list calls)."""
    context = sync_of(monitored.state)
    pages = 1
    while backfill_page(context, monitored.athlete_id, Priority.BACKFILL).more:
        pages += 1
    return pages


def test_backfill_counts_each_request_run_and_athlete_call(monitored: Monitored) -> None:
    before, calls_before = monitored.scrape(), monitored.strava_calls()
    pages = backfill(monitored)
    after = monitored.scrape()
    calls = monitored.strava_calls() - calls_before
    assert pages >= 2 and calls == pages
    assert after.delta(before, RUNS, kind="backfill", outcome="ok") == pages
    # The first page goes at a waiting person's priority, older pages at backfill's.
    labels = {"endpoint": "activities", "outcome": "ok"}
    assert after.delta(before, REQUESTS, priority="interactive", **labels) == 1
    assert after.delta(before, REQUESTS, priority="backfill", **labels) == pages - 1
    counted = after.value(REQUESTS) - after.value(REQUESTS, priority="uncounted")
    assert (
        counted - (before.value(REQUESTS) - before.value(REQUESTS, priority="uncounted")) == calls
    )
    assert (
        after.delta(before, "fitcoach_strava_request_duration_seconds_count", endpoint="activities")
        == pages
    )
    # The budget's own count (fixed clock: one window, which also holds the read-permission
    # check made at connection) and what Strava's headers said.
    used = "fitcoach_budget_used_requests"
    assert after.delta(before, used, limit="overall", window="daily") == calls
    assert after.delta(before, used, limit="read", window="15min") == calls
    assert (
        after.value("fitcoach_strava_reported_used_requests", limit="overall", window="daily") > 0
    )
    assert after.value("fitcoach_strava_reported_limit_requests", limit="read", window="daily") > 0
    athlete = str(monitored.athlete_id)
    # Per athlete, the backfill's calls and the read-permission check made at connection.
    top = "fitcoach_athlete_top_requests"
    assert after.delta(before, top, window="daily", athlete_id=athlete) == calls
    assert after.value(top, window="daily", athlete_id=athlete) == calls + 1
    assert after.value("fitcoach_athlete_requests_gcount", window="daily") == 1
    assert after.delta(before, "fitcoach_athlete_requests_gsum", window="15min") == calls
    assert after.value("fitcoach_athlete_requests_bucket", window="daily", le="1.0") == 0
    assert after.value("fitcoach_athlete_requests_bucket", window="daily", le="+Inf") == 1
    assert after.value("fitcoach_athletes_active_today") == 1
    assert after.value("fitcoach_athletes_connected") == 1


def test_sync_kinds_follow_priority_and_the_manual_task(monitored: Monitored) -> None:
    backfill(monitored)
    context = monitored.context()
    before = monitored.scrape()
    incremental_sync(context, monitored.athlete_id, Priority.SCHEDULED)
    incremental_sync(context, monitored.athlete_id, priority=Priority.WEBHOOK)
    incremental_sync(context, monitored.athlete_id, Priority.INTERACTIVE)
    with sync_kind("manual"):
        assert manual_sync(context, monitored.athlete_id)["status"] == "done"
    after = monitored.scrape()
    for kind in ("daily", "webhook", "incremental", "manual"):
        assert after.delta(before, RUNS, kind=kind, outcome="ok") == 1, kind
        assert after.delta(before, "fitcoach_sync_duration_seconds_count", kind=kind) == 1
    assert after.delta(before, REQUESTS, endpoint="activities", priority="scheduled") == 1
    assert after.delta(before, REQUESTS, endpoint="activities", priority="interactive") == 2


def test_failures_and_refusals_are_counted_by_outcome(
    monitored: Monitored, caplog: pytest.LogCaptureFixture
) -> None:
    backfill(monitored)
    before = monitored.scrape()
    path = "/api/v3/athlete/activities"
    monitored.sim("POST", "/faults", kind="server_error", count=3, path=path)
    context = monitored.context()
    caplog.clear()  # the backfill's calls may have been captured too
    with caplog.at_level(logging.INFO, logger="fitcoach.strava"), pytest.raises(Unavailable):
        incremental_sync(context, monitored.athlete_id, Priority.INTERACTIVE)
    record_failure(context, monitored.athlete_id, Unavailable("activities: Strava answered 500"))
    # Every attempt is logged with its endpoint, priority, status and Strava's budget after it.
    calls = [r for r in caplog.records if r.getMessage() == "strava call"]
    assert [(r.endpoint, r.priority, r.status) for r in calls] == [  # type: ignore[attr-defined]
        ("activities", "interactive", 500)
    ] * 3
    assert all(r.usage and r.limit and r.read_usage for r in calls)  # type: ignore[attr-defined]

    tight = monitored.context(strava_athlete_short_limit=1)  # the backfill used it up
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="fitcoach.strava"), pytest.raises(BudgetExhausted):
        incremental_sync(tight, monitored.athlete_id, Priority.SCHEDULED)
    (held,) = [r for r in caplog.records if r.getMessage() == "strava call held back"]
    assert held.priority == "scheduled" and "quota" in held.reason  # type: ignore[attr-defined]
    after = monitored.scrape()
    assert after.delta(before, RUNS, kind="incremental", outcome="failed") == 1
    assert after.delta(before, RUNS, kind="daily", outcome="deferred") == 1
    assert after.delta(before, REQUESTS, endpoint="activities", outcome="server_error") == 3
    refusals = "fitcoach_budget_refusals_total"
    assert after.delta(before, refusals, priority="scheduled", scope="athlete", window="15min") == 1
    assert after.delta(before, refusals, scope="app") == 0
    assert after.value("fitcoach_sync_failing_athletes") == 1


def test_webhook_events_received_processed_and_lag(monitored: Monitored) -> None:
    client, athlete_id = monitored.client, monitored.athlete_id
    before = monitored.scrape()
    received = "fitcoach_webhook_events_received_total"
    owner = monitored.strava_id
    callback = f"/webhooks/strava/{monitored.state.settings.callback_secrets[0]}"
    assert client.post(callback, json=event(owner)).status_code == 200
    assert client.post(callback, json=event(owner)).status_code == 200  # retry
    # Another subscription's: answered alike, dropped.
    assert client.post(callback, json=event(owner, subscription_id=1)).status_code == 200
    assert client.post(callback, content=b"{not json").status_code == 400
    assert client.post("/webhooks/strava/guess", json=event(owner)).status_code == 404
    monitored.clock[0] = later(1.5)
    waiting = monitored.scrape()
    labels = {"object_type": "activity", "aspect_type": "create"}
    assert waiting.delta(before, received, outcome="stored", **labels) == 1
    assert waiting.delta(before, received, outcome="duplicate", **labels) == 1
    assert waiting.delta(before, received, outcome="foreign", **labels) == 1
    assert waiting.delta(before, received, object_type="unknown", outcome="rejected") == 1
    assert waiting.delta(before, received, object_type="unknown", outcome="wrong_secret") == 1
    assert waiting.value("fitcoach_webhook_events_unprocessed") == 1
    assert waiting.value("fitcoach_queue_oldest_task_age_seconds") == 90

    monitored.clock[0] = later(2)  # event_time was NOW - 30 s: 150 s of lag
    context = monitored.context()
    with monitored.state.sessions() as session:
        event_id = session.scalar(text("SELECT id FROM webhook_events"))
    assert process_event(context, int(event_id)) == athlete_id
    incremental_sync(context, athlete_id, Priority.WEBHOOK)
    after = monitored.scrape()
    assert after.delta(before, "fitcoach_webhook_events_processed_total", **labels) == 1
    assert after.delta(before, "fitcoach_webhook_lag_seconds_count", object_type="activity") == 1
    assert after.delta(before, "fitcoach_webhook_lag_seconds_sum", object_type="activity") == 150
    lag_bucket = "fitcoach_webhook_lag_seconds_bucket"
    assert after.delta(before, lag_bucket, object_type="activity", le="120.0") == 0
    assert after.delta(before, lag_bucket, object_type="activity", le="300.0") == 1
    assert after.delta(before, RUNS, kind="webhook", outcome="ok") == 1
    assert after.value("fitcoach_webhook_events_unprocessed") == 0
    assert after.value("fitcoach_queue_oldest_task_age_seconds") == 0


def test_failed_event_handling_is_counted(monitored: Monitored) -> None:
    before = monitored.scrape()
    context = monitored.context()
    context.sessions = None  # type: ignore[assignment]  # any use fails
    with pytest.raises(TypeError):
        process_event(context, 1)
    after = monitored.scrape()
    assert after.delta(before, "fitcoach_webhook_events_failed_total", error="TypeError") == 1


def test_athlete_growth_comes_from_the_database(monitored: Monitored) -> None:
    with monitored.state.sessions.begin() as session:
        session.execute(update(Athlete).values(created_at=NOW - timedelta(days=8)))
    assert monitored.scrape().value("fitcoach_athletes_new_this_week") == 0
    with monitored.state.sessions.begin() as session:
        session.execute(update(Athlete).values(created_at=NOW - timedelta(days=6)))
    assert monitored.scrape().value("fitcoach_athletes_new_this_week") == 1
    with monitored.state.sessions.begin() as session:
        session.execute(update(StravaConnection).values(connected=False))
    assert monitored.scrape().value("fitcoach_athletes_connected") == 0


def test_database_queries_and_errors(monitored: Monitored) -> None:
    before = monitored.scrape()
    response = monitored.client.get("/api/strava/activities", params={"limit": 5})
    assert response.status_code == 200
    with pytest.raises(OperationalError), monitored.state.engine.connect() as connection:
        connection.execute(text("SELECT * FROM no_such_table"))
    after = monitored.scrape()
    duration = "fitcoach_db_query_duration_seconds_count"
    assert after.delta(before, duration, statement="select", table="activities") >= 1
    assert (
        after.delta(before, "fitcoach_db_errors_total", error="programming")
        + after.delta(before, "fitcoach_db_errors_total", error="operational")
        == 1
    )
    assert after.value("fitcoach_database_up") == 1
