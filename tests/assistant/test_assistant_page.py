"""The settings page where an athlete makes and revokes their assistant's tokens
(in a browser: tests/browser/test_assistant_browser.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import URL

from fitcoach.app import create_app
from fitcoach.core.settings import load_settings
from fitcoach.mcp.errors import InvalidToken
from fitcoach.mcp.tokens import Scope, authenticate
from fitcoach.models import McpToken
from tests.assistant.support import NOW, OTHER, World, login_cookie
from tests.conftest import MovableClock

SECRET = re.compile(r'id="new-token"[^>]*value="(fc_mcp_[^"]+)"')


@pytest.fixture
def page_client(world: World, sqlite_url: URL) -> Iterator[TestClient]:
    settings = load_settings(database_url=sqlite_url.render_as_string(hide_password=False))
    with TestClient(create_app(settings, clock=MovableClock(NOW))) as client:
        client.cookies.set("fitcoach_session", login_cookie(world, settings.secret_key, world.own))
        yield client


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found
    return found.group(1)


def test_tokens_are_made_shown_once_and_revoked(world: World, page_client: TestClient) -> None:
    page = page_client.get("/settings/assistant")
    assert page.status_code == 200 and "No tokens yet" in page.text
    csrf = _csrf(page.text)

    made = page_client.post(
        "/settings/assistant",
        data={"csrf": csrf, "name": "Claude", "scope": "read-write", "lifetime": "30"},
    )
    assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
    found = SECRET.search(made.text)
    assert found
    secret = found.group(1)
    assert '"Authorization": "Bearer ' + secret in made.text  # the client's JSON snippet
    caller = authenticate(world.store.sessions, secret, NOW)
    assert (caller.athlete_id, caller.scope) == (world.own, Scope.READ_WRITE)
    again = page_client.get("/settings/assistant")
    assert secret not in again.text and "Claude" in again.text  # shown once

    # Bad input changes nothing.
    bad = page_client.post(
        "/settings/assistant", data={"csrf": csrf, "scope": "admin", "lifetime": "never"}
    )
    assert bad.status_code == 400 and "No token was made" in bad.text
    forged = page_client.post("/settings/assistant", data={"csrf": "x", "scope": "read"})
    assert forged.status_code == 403
    with world.store.sessions() as session:
        rows = session.scalars(select(McpToken)).all()
    assert len(rows) == 1
    token_id = rows[0].id

    # Another athlete cannot revoke it; its owner can.
    settings = load_settings()
    other = TestClient(page_client.app)
    other.cookies.set("fitcoach_session", login_cookie(world, settings.secret_key, OTHER))
    other_csrf = _csrf(other.get("/settings/assistant").text)
    other.post(f"/settings/assistant/{token_id}/revoke", data={"csrf": other_csrf})
    assert authenticate(world.store.sessions, secret, NOW).athlete_id == world.own

    revoked = page_client.post(f"/settings/assistant/{token_id}/revoke", data={"csrf": csrf})
    assert revoked.status_code == 200 and "was revoked" in revoked.text
    with pytest.raises(InvalidToken):
        authenticate(world.store.sessions, secret, NOW)

    logged_out = TestClient(page_client.app).get("/settings/assistant")
    assert logged_out.status_code == 401


@pytest.mark.parametrize(
    ("allow", "strava", "says"),
    [
        (False, "https://www.strava.com", "only numbers from your own files"),
        (True, "http://127.0.0.1:8001", "the policy is lifted for simulated data only"),
        (True, "https://www.strava.com/", "operators whose agreement with Strava allows it"),
    ],
    ids=["default", "demo", "operator"],
)
def test_the_page_says_which_policy_is_in_force(
    world: World, sqlite_url: URL, allow: bool, strava: str, says: str
) -> None:
    settings = load_settings(
        database_url=sqlite_url.render_as_string(hide_password=False),
        coach_llm_allow_strava_data=allow,
        strava_base_url=strava,
    )
    with TestClient(create_app(settings, clock=MovableClock(NOW))) as client:
        client.cookies.set("fitcoach_session", login_cookie(world, settings.secret_key, world.own))
        page = client.get("/settings/assistant")
    assert page.status_code == 200
    policy = re.search(r'id="assistant-policy">(.*?)</p>', page.text, re.S)
    assert policy and says in " ".join(policy.group(1).split())
