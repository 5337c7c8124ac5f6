"""Settings (validation that saves nothing on bad input), Ask the coach, budget in words."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sqlalchemy.engine import URL

from fitcoach.athletes.schemas import parse_settings
from fitcoach.dashboard.endpoints import budget_pressure
from fitcoach.models import Athlete
from fitcoach.strava import gate as gate_module
from fitcoach.strava.budget.gate import Usage, WindowUsage
from fitcoach.strava.gate import USAGE_READ_EVERY, BudgetGate
from tests.conftest import RunningServer
from tests.dashboard.dashboard_support import HTML, Site, logged_in_site

GOOD = {
    "ftp_watts": "265",
    "threshold_hr": "168",
    "threshold_pace": "4:30",
    "max_hr": "190",
    "resting_hr": "48",
    "sex": "F",
    "weight_kg": "61.5",
    "goal_event_name": "Marmotte <Granfondo> & co",
    "goal_event_date": "",
    "goal_event_priority": "B",
}


@pytest.fixture
def site(sqlite_url: URL, simulator: RunningServer) -> Iterator[Site]:
    yield from logged_in_site(sqlite_url, simulator)


def stored(site: Site) -> dict[str, Any]:
    with site.state.sessions() as session:
        athlete = session.get(Athlete, site.athlete_id)
        assert athlete is not None
        return {
            column: getattr(athlete, column)
            for column in (
                "ftp_watts",
                "threshold_hr",
                "threshold_pace_s_per_km",
                "max_hr",
                "resting_hr",
                "sex",
                "weight_kg",
                "goal_event_name",
                "goal_event_date",
                "goal_event_priority",
            )
        }


def good_form(site: Site) -> dict[str, str]:
    goal_day = site.state.clock().date() + timedelta(days=40)
    return {**GOOD, "goal_event_date": goal_day.isoformat()}


def test_settings_show_estimates_with_their_sources(site: Site) -> None:
    page = site.client.get("/settings", headers=HTML)
    assert page.status_code == 200
    for label in ("FTP (watts)", "Threshold run pace (min:s per km)", "Resting heart rate"):
        assert label in page.text
    assert 'for="ftp_watts"' in page.text and 'id="ftp_watts"' in page.text
    assert "estimate: weighted average power" in page.text
    assert "default: 60 bpm" in page.text


BAD_INPUT = [
    # (field, value, the field flagged, what the page says)
    ("ftp_watts", "lots", "ftp_watts", "Enter a number in watts"),
    ("ftp_watts", "5000", "ftp_watts", "from 30 to 2000 watts"),
    ("threshold_pace", "4:75", "threshold_pace", "minutes:seconds per km"),
    ("threshold_pace", "1:30", "threshold_pace", "from 2:00 to 15:00"),
    ("resting_hr", "195", "resting_hr", "from 25 to 120 bpm"),
    ("max_hr", "150", "threshold_hr", "cannot be above your maximum"),
    ("sex", "X", "sex", "Choose female, male"),
    ("goal_event_date", "2001-01-01", "goal_event_date", "today or a later date"),
    ("goal_event_date", "next june", "goal_event_date", "YYYY-MM-DD"),
    ("goal_event_priority", "Z", "goal_event_priority", "Choose A, B or C"),
]


def test_bad_input_is_named_and_changes_nothing(site: Site) -> None:
    # One site for every case: each case is a separate POST that must change nothing.
    before = stored(site)
    for field, value, flagged, message in BAD_INPUT:
        form = {**good_form(site), field: value, "csrf": site.csrf()}
        page = site.client.post("/settings", data=form, headers=HTML)
        case = f"{field}={value!r}"
        assert page.status_code == 400, case
        assert "Nothing was saved" in page.text and message in page.text, case
        assert f'id="{flagged}-error"' in page.text, case
        assert f'href="#{flagged}"' in page.text, case  # the summary links to the field
        assert stored(site) == before, case
        # What the athlete typed is kept, escaped, so they can correct it.
        assert "Marmotte &lt;Granfondo&gt; &amp; co" in page.text, case
    assert site.recomputed == []


def test_a_goal_needs_both_name_and_date(site: Site) -> None:
    form = {**good_form(site), "goal_event_date": "", "csrf": site.csrf()}
    page = site.client.post("/settings", data=form, headers=HTML)
    assert page.status_code == 400 and "Give the event&#39;s date" in page.text


def test_good_input_saves_and_recomputes(site: Site) -> None:
    form = {**good_form(site), "csrf": site.csrf()}
    answer = site.client.post("/settings", data=form, headers=HTML, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/settings"
    assert stored(site) == {
        "ftp_watts": 265.0,
        "threshold_hr": 168.0,
        "threshold_pace_s_per_km": 270.0,
        "max_hr": 190.0,
        "resting_hr": 48.0,
        "sex": "F",
        "weight_kg": 61.5,
        "goal_event_name": "Marmotte <Granfondo> & co",
        "goal_event_date": date.fromisoformat(form["goal_event_date"]),
        "goal_event_priority": "B",
    }
    assert site.recomputed == [site.athlete_id]
    page = site.client.get("/settings", headers=HTML)
    assert "loads are being recomputed" in page.text
    assert 'value="4:30"' in page.text and "your setting" in page.text
    assert "being recomputed" not in site.client.get("/settings", headers=HTML).text
    # Emptying a field goes back to the estimate.
    cleared = {**form, "ftp_watts": "", "csrf": site.csrf()}
    site.client.post("/settings", data=cleared, headers=HTML)
    assert stored(site)["ftp_watts"] is None


def test_settings_need_the_csrf_token_and_a_session(site: Site) -> None:
    before = stored(site)
    refused = site.client.post("/settings", data={**good_form(site), "csrf": "forged"})
    assert refused.status_code == 403
    assert stored(site) == before and site.recomputed == []
    with TestClient(site.client.app) as stranger:
        page = stranger.get("/settings", headers=HTML)
        assert page.status_code == 401 and "Please log in" in page.text


def test_coach_without_a_model_gives_the_rules_advice(site: Site) -> None:
    page = site.client.get("/coach", headers=HTML)
    assert page.status_code == 200
    assert "No language model is configured" in page.text
    assert "Written by the rule engine: no language model is configured." in page.text
    assert "Ask a question" not in page.text
    assert "Your numbers this morning" in page.text
    # A Strava-only athlete: the coach reads the same fitness as the dashboard, not zero.
    dashboard = site.client.get("/", headers=HTML).text
    fitness = re.search(r"fitness \(CTL\) ([\d,]+)</strong>", dashboard)
    assert fitness is not None and int(fitness.group(1).replace(",", "")) > 0
    coach_fitness = re.search(r"<dt>fitness \(CTL\)</dt><dd>([\d.]+)</dd>", page.text)
    assert coach_fitness is not None
    assert round(float(coach_fitness.group(1))) == int(fitness.group(1).replace(",", ""))
    assert "What the language model saw" not in page.text  # none is configured


def fake_model() -> tuple[FastAPI, list[dict[str, Any]]]:
    """An OpenAI-compatible endpoint that answers from what it was sent."""
    app = FastAPI()
    received: list[dict[str, Any]] = []

    @app.post("/v1/chat/completions")
    async def complete(request: Request) -> dict[str, Any]:
        body = await request.json()
        received.append(body)
        asked = body["messages"][-1]["content"].rsplit("\n\n", 1)[-1]
        text = f"<i>Coach</i> says: rest well. ({asked[:60]})"
        return {"choices": [{"message": {"role": "assistant", "content": text}}]}

    return app, received


def test_coach_with_a_model_narrates_and_answers(sqlite_url: URL, simulator: RunningServer) -> None:
    app, received = fake_model()
    model = RunningServer(app)
    try:
        sites = logged_in_site(
            sqlite_url, simulator, coach_llm_base_url=model.url, coach_llm_model="test-model"
        )
        site = next(sites)
        page = site.client.get("/coach", headers=HTML)
        assert "&lt;i&gt;Coach&lt;/i&gt; says: rest well." in page.text
        assert "Written by the language model" in page.text
        # The model saw only the athlete's own files (none here), and the page says so.
        assert "What the language model saw" in page.text
        assert "only the activities from your own files" in page.text
        assert received[0]["model"] == "test-model"
        assert '"ctl"' in received[0]["messages"][1]["content"]
        csrf = site.csrf()
        refused = site.client.post("/coach", data={"question": "Rest?", "csrf": "x"})
        assert refused.status_code == 403 and len(received) == 1
        answer = site.client.post(
            "/coach", data={"question": "Should I race on <Sunday>?", "csrf": csrf}, headers=HTML
        )
        assert answer.status_code == 200
        assert "Should I race on &lt;Sunday&gt;?" in answer.text
        assert "Answer the athlete" in received[1]["messages"][1]["content"]
        for call in received:  # no identity reaches the model
            content = call["messages"][1]["content"]
            assert str(site.strava_id) not in content and "Thandiwe" not in content
        next(sites, None)
    finally:
        model.stop()


class FakeBudget:
    def __init__(self, daily: float, short: float) -> None:
        now = datetime(2025, 3, 3, 12, 5, tzinfo=UTC)
        self.reads = 0

        def window(used: float, resets: datetime) -> WindowUsage:
            return WindowUsage(int(used * 1000), 1000, now, resets)

        self.value = Usage(
            now,
            window(short, datetime(2025, 3, 3, 12, 15, tzinfo=UTC)),
            window(daily, datetime(2025, 3, 4, 0, 0, tzinfo=UTC)),
            window(short, datetime(2025, 3, 3, 12, 15, tzinfo=UTC)),
            window(daily, datetime(2025, 3, 4, 0, 0, tzinfo=UTC)),
        )

    def usage(self) -> Usage:
        self.reads += 1
        return self.value


def test_budget_pressure_in_words(site: Site) -> None:
    cases = [
        (0.2, 0.1, None),
        (0.85, 0.1, "used 85% of today's Strava requests (they reset at 00:00 UTC)"),
        (0.3, 0.95, "95% of the 15-minute allowance, which resets at 12:15 UTC"),
    ]
    for daily, short, says in cases:
        site.state.strava.gate = BudgetGate(FakeBudget(daily, short))  # type: ignore[arg-type]
        words = budget_pressure(FakeBudget(daily, short).value)
        page = html.unescape(site.client.get("/", headers=HTML).text)
        if says is None:
            assert words is None
            assert "Strava requests" not in page
        else:
            assert words is not None and says in words
            assert says in page


def test_pages_read_the_budget_at_most_every_two_seconds(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    budget = FakeBudget(0.9, 0.1)
    site.state.strava.gate = BudgetGate(budget)  # type: ignore[arg-type]
    now = [1000.0]
    monkeypatch.setattr(gate_module.time, "monotonic", lambda: now[0])
    for _ in range(3):
        assert "of today's Strava requests" in html.unescape(site.client.get("/").text)
    assert budget.reads == 1
    now[0] += USAGE_READ_EVERY + 0.1
    budget.value = FakeBudget(0.2, 0.1).value  # the day's use was reset meanwhile
    assert "Strava requests" not in html.unescape(site.client.get("/").text)
    assert budget.reads == 2


def test_parse_accepts_commas_and_blank_fields() -> None:
    values, errors = parse_settings(
        {"ftp_watts": "250,5", "threshold_pace": " 5:05 "}, date(2025, 1, 1)
    )
    assert errors == {}
    assert values is not None and values.ftp_watts == 250.5
    assert values.threshold_pace == 305 and values.max_hr is None
    assert values.goal_event_name is None and values.goal_event_priority is None
