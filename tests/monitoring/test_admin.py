"""The admin page: operators see the installation at a glance; nobody else sees anything."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import update

from fitcoach.models import Athlete, OidcIdentity, Passkey, SyncState
from fitcoach.strava.budget import Priority
from fitcoach.sync.activities import backfill_page
from tests.conftest import login_through_simulator, sync_of
from tests.monitoring.conftest import ADMIN_TOKEN, TOKEN, Monitored


def test_anonymous_visitors_and_other_athletes_are_refused(monitored: Monitored) -> None:
    with TestClient(monitored.client.app) as stranger:
        page = stranger.get("/admin", headers={"Accept": "text/html"})
        assert page.status_code == 403
        assert "Operators only" in page.text and "ADMIN_ATHLETE_IDS" in page.text
        assert "Strava request budget" not in page.text
        for header in (f"Bearer {TOKEN}", "Bearer guess", ADMIN_TOKEN, f"Basic {ADMIN_TOKEN}"):
            assert stranger.get("/admin", headers={"Authorization": header}).status_code == 403

        others = httpx.get(f"{monitored.simulator.url}/_sim/athletes").json()
        other = next(a["id"] for a in others if a["id"] != monitored.strava_id)
        answer = login_through_simulator(stranger, athlete_id=str(other))
        assert stranger.get("/auth/strava/callback", params=answer).status_code == 200
        refused = stranger.get("/admin")
        assert refused.status_code == 403 and "Operators only" in refused.text


def test_operators_see_budget_top_athletes_failures_and_queue(monitored: Monitored) -> None:
    state, athlete_id = monitored.state, monitored.athlete_id
    assert backfill_page(sync_of(state), athlete_id, Priority.BACKFILL).fetched > 0
    with state.sessions.begin() as session:
        session.execute(
            update(Athlete).where(Athlete.id == athlete_id).values(firstname="<b>Ana</b>")
        )
        session.execute(
            update(SyncState)
            .where(SyncState.athlete_id == athlete_id)
            .values(
                consecutive_failures=4,
                last_error="Unavailable: <script>alert(1)</script>",
                last_error_at=monitored.clock[0],
            )
        )
    page = monitored.client.get("/admin")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    html = page.text
    assert "Strava request budget" in html and "All requests, today" in html
    assert 'aria-label="All requests, today: 0 % used"' in html  # 1 of 1000
    assert f"({athlete_id})" in html and "&lt;b&gt;Ana&lt;/b&gt;" in html
    assert "<b>Ana</b>" not in html and "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "1 athlete whose latest syncs failed" in html
    assert "Push events waiting for a worker" in html
    assert "not connected to this process" in html  # no queue attached in tests

    with TestClient(monitored.client.app) as tool:
        answer = tool.get("/admin", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert answer.status_code == 200 and "Sync failures" in answer.text


def test_operators_see_how_accounts_sign_in(monitored: Monitored) -> None:
    state, athlete_id = monitored.state, monitored.athlete_id
    issuer = "https://id.example.org/realms/club"
    with state.sessions.begin() as session:
        session.add(Athlete(id=athlete_id + 1, email="ana@example.org", password_hash="$argon2"))
        session.add(Athlete(id=athlete_id + 2))
        session.flush()
        session.add(Passkey(athlete_id=athlete_id + 1, credential_id=b"one", public_key=b"k"))
        session.add(Passkey(athlete_id=athlete_id + 1, credential_id=b"two", public_key=b"k"))
        session.add(OidcIdentity(athlete_id=athlete_id + 2, issuer=issuer, subject="a"))
        session.add(OidcIdentity(athlete_id=athlete_id, issuer=issuer, subject="b"))
    html = monitored.client.get("/admin").text
    assert "How accounts sign in" in html and "Of 3 accounts" in html

    def figure(label: str) -> str:
        return html.split(f"<dt>{label}</dt><dd>", 1)[1].split("</dd>", 1)[0]

    assert figure("E-mail and password") == "1"
    assert figure("Passkey") == "1"  # one account with two passkeys
    assert figure(f'Provider <code class="path">{issuer}</code>') == "2"
