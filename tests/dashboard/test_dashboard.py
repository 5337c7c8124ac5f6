"""The dashboard and activity pages: content, escaping, who may see what, error pages."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import URL

from fitcoach.core.db import transaction
from fitcoach.models import Activity, ActivityStreams, Athlete, StravaConnection, SyncState
from tests.conftest import RunningServer
from tests.dashboard.dashboard_support import HTML, TRICKY_TITLE, Site, logged_in_site, sim


@pytest.fixture
def site(sqlite_url: URL, simulator: RunningServer) -> Iterator[Site]:
    yield from logged_in_site(sqlite_url, simulator)


def chart_data(html: str) -> dict[str, object]:
    match = re.search(r'<script type="application/json" class="chart-data">(.*?)</script>', html)
    assert match is not None
    data: dict[str, object] = json.loads(match.group(1))
    return data


def strava_reads(simulator: RunningServer) -> int:
    return int(sim(simulator, "GET", "/usage")["total"])


def test_landing_explains_and_offers_to_connect(sqlite_url: URL, site: Site) -> None:
    with TestClient(site.client.app) as stranger:
        page = stranger.get("/", headers=HTML)
    assert page.status_code == 200
    assert '<html lang="en">' in page.text and "<main" in page.text
    assert 'href="/auth/strava/login"' in page.text and "Connect with Strava" in page.text
    assert "Powered by Strava" in page.text
    assert "Disconnect" not in page.text and "Refresh" not in page.text


def test_dashboard_shows_the_athletes_training(site: Site) -> None:
    page = site.client.get("/", headers=HTML)
    assert page.status_code == 200
    with site.state.sessions() as session:
        athlete = session.get(Athlete, site.athlete_id)
        assert athlete is not None
        newest = session.scalars(
            select(Activity)
            .where(Activity.athlete_id == site.athlete_id)
            .order_by(Activity.start_date.desc())
            .limit(10)
        ).all()
        stored = len(session.scalars(select(Activity.id)).all())
    assert f"Hello, {athlete.firstname}" in page.text.replace("&#39;", "'")
    for row in newest:
        assert f'href="/activities/{row.id}"' in page.text
        assert f'href="https://www.strava.com/activities/{row.strava_id}"' in page.text
    assert page.text.count("View on Strava") == 10
    assert "How it was computed" in page.text and "weighted power" in page.text
    assert f"{stored} activities stored" in page.text
    assert "whole Strava history is imported" in page.text
    assert "What the coach says" in page.text and "The numbers behind it" in page.text
    assert "This week" in page.text and "Load per week" in page.text
    assert 'hx-post="/api/strava/sync"' in page.text
    assert "/static/vendor/htmx.min.js" in page.text
    assert "/static/vendor/uPlot.iife.min.js" in page.text
    assert "Strava is connected" in page.text and 'href="/settings#strava"' in page.text
    data = chart_data(page.text)
    assert isinstance(data["x"], list) and len(data["x"]) == 90
    assert isinstance(data["ctl"], list) and max(v for v in data["ctl"] if v) > 0


def test_ranges_and_the_performance_part(site: Site) -> None:
    year = site.client.get("/", params={"range": "1y"}, headers=HTML)
    assert '<a href="/?range=1y"' in year.text
    assert re.search(r'hx-push-url="/\?range=1y"\s+aria-current="true"', year.text)
    assert len(chart_data(year.text)["x"]) == 365  # type: ignore[arg-type]
    part = site.client.get("/partials/performance", params={"range": "6m"}, headers=HTML)
    assert part.status_code == 200 and "<html" not in part.text
    assert part.text.lstrip().startswith('<section id="performance"')
    assert len(chart_data(part.text)["x"]) == 182  # type: ignore[arg-type]
    unknown = site.client.get("/", params={"range": "forever"}, headers=HTML)
    assert len(chart_data(unknown.text)["x"]) == 90  # type: ignore[arg-type]
    live = site.client.get("/partials/dashboard", params={"range": "1y"}, headers=HTML)
    assert live.text.lstrip().startswith('<div id="dashboard-live">')
    assert "Recent activities" in live.text and "<html" not in live.text


def test_goal_event_is_marked_and_planned(site: Site) -> None:
    today = site.today
    with transaction(site.state.sessions) as session:
        athlete = session.get(Athlete, site.athlete_id)
        assert athlete is not None
        athlete.goal_event_name = "</script><script>alert(1)</script>"
        athlete.goal_event_date = today + timedelta(days=10)
        athlete.goal_event_priority = "B"
    page = site.client.get("/", headers=HTML)
    assert "<script>alert(1)" not in page.text
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    data = chart_data(page.text)
    goal = data["goal"]
    assert isinstance(goal, dict) and goal["label"].startswith("</script>")
    assert len(data["x"]) == 100  # type: ignore[arg-type]  # widened to the goal's day
    assert "taper plan" in page.text
    # The widened days carry the projection, from today's measured morning to race day.
    projected = data["projected"]
    assert isinstance(projected, dict)
    today_at = len(data["x"]) - 11  # type: ignore[arg-type]
    for key in ("ctl", "atl", "tsb"):
        assert projected[key][:today_at] == [None] * today_at
        assert projected[key][today_at] == data[key][today_at]  # type: ignore[index]
        assert None not in projected[key][today_at:]
    # Race morning's form under the chart is the one the coach's advice quotes.
    shown = re.search(r"Projected form on race\s+morning: <strong>([+−-]?\d+)</strong>", page.text)
    advised = re.search(r"form on race day is projected at ([+-]?\d+)", page.text)
    assert shown and advised and shown[1].replace("−", "-") == advised[1]
    assert [zone["name"] for zone in data["zones"]][:2] == ["Transition", "Fresh"]  # type: ignore[index]


def test_athlete_text_renders_as_text(site: Site) -> None:
    activity_id = site.add_activity(TRICKY_TITLE)
    escaped = "&lt;b&gt;Tempo&lt;/b&gt; &amp; &#34;hills&#34;"
    for path in ("/", f"/activities/{activity_id}"):
        page = site.client.get(path, headers=HTML)
        assert escaped in page.text, path
        assert "<b>Tempo</b>" not in page.text, path


def test_activity_page_fetches_streams_once(site: Site) -> None:
    activity_id = site.add_activity("Intervals", workout="ride_intervals")
    before = strava_reads(site.simulator)
    page = site.client.get(f"/activities/{activity_id}", headers=HTML)
    assert page.status_code == 200
    assert strava_reads(site.simulator) == before + 1
    with site.state.sessions() as session:
        activity = session.get(Activity, activity_id)
        assert activity is not None
    assert f'href="https://www.strava.com/activities/{activity.strava_id}"' in page.text
    assert "How it was computed:" in page.text and "TSS" in page.text
    assert "From the recorded streams: power TSS from the power stream" in page.text
    assert "Power zones" in page.text and "Heart-rate zones" in page.text
    data = chart_data(page.text)
    assert {"x", "watts", "heartrate"} <= set(data)
    assert len(data["x"]) <= 1200  # type: ignore[arg-type]
    again = site.client.get(f"/activities/{activity_id}", headers=HTML)
    assert again.status_code == 200 and "Power zones" in again.text
    assert strava_reads(site.simulator) == before + 1
    with site.state.sessions() as session:
        assert session.get(ActivityStreams, activity_id) is not None


def test_a_run_page_charts_pace_elevation_and_cadence(site: Site) -> None:
    activity_id = site.add_activity("Track", workout="run_intervals")
    page = site.client.get(f"/activities/{activity_id}", headers=HTML)
    assert page.status_code == 200
    data = chart_data(page.text)
    assert {"x", "heartrate", "pace", "altitude", "cadence"} <= set(data)
    assert "speed" not in data and data["pace_per"] == "km" and data["cadence_unit"] == "spm"
    paces = [v for v in data["pace"] if v is not None]  # type: ignore[union-attr]
    # Seconds per km of a run: between a sprint and a walk.
    assert paces and all(150 <= v <= 1200 for v in paces)
    assert "Heart rate, pace, elevation, cadence</h2>" in page.text


@pytest.mark.parametrize(
    ("fault", "says"),
    [
        ({"kind": "rate_limited"}, "request budget is used up"),
        ({"kind": "server_error"}, "Strava is not answering"),
    ],
)
def test_activity_page_without_strava_shows_the_summary(
    site: Site, fault: dict[str, object], says: str
) -> None:
    with site.state.sessions() as session:
        activity_id, strava_id = session.execute(
            select(Activity.id, Activity.strava_id)
            .where(Activity.athlete_id == site.athlete_id)
            .limit(1)
        ).one()
    sim(site.simulator, "POST", "/faults", path=f"/api/v3/activities/{strava_id}", **fault)
    page = site.client.get(f"/activities/{activity_id}", headers=HTML)
    assert page.status_code == 200
    assert says in page.text and "summary below is from your stored data" in page.text
    assert "Moving time" in page.text and "How it was computed:" in page.text
    assert "Power zones" not in page.text


def test_activities_are_private_to_their_athlete(
    sqlite_url: URL, simulator: RunningServer, site: Site
) -> None:
    with site.state.sessions() as session:
        mine = session.scalars(select(Activity.id).limit(1)).one()
    with TestClient(site.client.app) as stranger:
        page = stranger.get(f"/activities/{mine}", headers=HTML)
        assert page.status_code == 401 and "Please log in" in page.text
        # A second athlete, logged in on their own browser, cannot see the first's.
        other_id = int(sim(simulator, "GET", "/athletes")[1]["id"])
        from tests.conftest import login_through_simulator

        answer = login_through_simulator(stranger, athlete_id=str(other_id))
        assert stranger.get("/auth/strava/callback", params=answer).status_code == 200
        refused = stranger.get(f"/activities/{mine}", headers=HTML)
        assert refused.status_code == 404 and "Activity not found" in refused.text
        assert "Back to the dashboard" in refused.text
    missing = site.client.get("/activities/999999999", headers=HTML)
    assert missing.status_code == 404 and "Activity not found" in missing.text


def test_pages_answer_html_errors_and_the_api_keeps_json(site: Site) -> None:
    page = site.client.get("/no/such/page", headers=HTML)
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "There is no page at this address." in page.text and "What to do" in page.text
    bad = site.client.get("/activities/not-a-number", headers=HTML)
    assert bad.status_code == 422 and "text/html" in bad.headers["content-type"]
    stale = site.client.post("/auth/logout", data={"csrf": "stale"}, headers=HTML)
    assert stale.status_code == 403 and "security token" in stale.text
    assert "submit the form again" in stale.text
    api = site.client.get("/api/strava/sync/nope", headers=HTML)
    assert api.status_code == 404 and api.json()["error"]["what_to_do"]
    program = site.client.get("/no/such/page")
    assert program.json()["error"]["status"] == 404
    with TestClient(site.client.app) as stranger:
        part = stranger.get("/partials/dashboard", headers={"HX-Request": "true"})
    assert part.status_code == 401 and "Connect with Strava" in part.text


def test_disconnected_athlete_is_asked_to_reconnect(site: Site) -> None:
    with transaction(site.state.sessions) as session:
        connection = session.get(StravaConnection, site.athlete_id)
        assert connection is not None
        connection.connected = False
        connection.disconnected_reason = "You revoked fitcoach's access on Strava."
    page = site.client.get("/", headers=HTML)
    assert page.status_code == 200
    assert "fitcoach lost access to your Strava account" in page.text
    assert "Connect with Strava again" in page.text
    assert "Recent activities" in page.text  # the stored data is still shown


def test_sync_state_in_words(site: Site) -> None:
    with transaction(site.state.sessions) as session:
        state = session.get(SyncState, site.athlete_id)
        assert state is not None
        state.backfill_done = False
        state.backfill_fetched = 1240
        state.last_sync_at = site.state.clock() - timedelta(minutes=95)
        # 1,240 activities over two years in 40 minutes; a year older to go.
        state.newest_activity_at = site.state.clock() - timedelta(days=1)
        state.backfill_cursor = state.newest_activity_at - timedelta(days=730)
        state.backfill_started_at = site.state.clock() - timedelta(minutes=40)
        state.history_starts_at = state.backfill_cursor - timedelta(days=365)
    words = " ".join(site.client.get("/", headers=HTML).text.split())
    assert "Importing your history: 1,240 activities so far" in words
    assert "About 620 more to come" in words
    assert "about 20 minutes left at the pace so far" in words
    assert 'value="67"' in words  # two years of three
    assert "Your data is 1 hour old (last synced with Strava at" in words


def test_dashboard_says_when_strava_is_down(site: Site) -> None:
    """A webhook said there is news, but Strava fails: stored data, and a note saying so."""
    with transaction(site.state.sessions) as session:
        state = session.get(SyncState, site.athlete_id)
        assert state is not None
        state.dirty = True
        state.dirty_since = site.state.clock()
    sim(site.simulator, "POST", "/faults", kind="server_error", path="/api/v3/athlete/activities")
    page = site.client.get("/", headers=HTML)
    assert page.status_code == 200
    assert "Strava is not answering just now; this shows your stored data." in page.text
    assert "Recent activities" in page.text and page.text.count("View on Strava") == 10


def test_dashboard_refreshes_an_athlete_with_news_once(site: Site) -> None:
    """A clean athlete's page costs no Strava read; one a webhook marked dirty is refreshed
    first (one read) and the page shows what it brought; the next view costs none."""
    before = strava_reads(site.simulator)
    assert site.client.get("/", headers=HTML).status_code == 200
    assert strava_reads(site.simulator) == before
    start = int(site.state.clock().timestamp()) - 3600
    sim(
        site.simulator,
        "POST",
        f"/athletes/{site.strava_id}/activities",
        generate={"workout": "ride_intervals", "name": "Fresh hills", "start": start},
    )
    with transaction(site.state.sessions) as session:
        state = session.get(SyncState, site.athlete_id)
        assert state is not None
        state.dirty = True
        state.dirty_since = site.state.clock()
    page = site.client.get("/", headers=HTML)
    assert page.status_code == 200 and "Fresh hills" in page.text
    assert strava_reads(site.simulator) == before + 1
    assert site.client.get("/", headers=HTML).status_code == 200
    assert strava_reads(site.simulator) == before + 1
