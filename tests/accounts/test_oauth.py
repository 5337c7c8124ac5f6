"""The Login with Strava flow end to end against the simulator, without a browser."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import URL

from fitcoach import migrations
from fitcoach.core.db import make_engine
from fitcoach.core.settings import load_settings
from fitcoach.models import Athlete, OAuthToken, StravaConnection
from fitcoach.strava.repository import load_tokens
from fitcoach.web.deps import Services
from tests.conftest import RecordingQueue, RunningServer, recording_app, services_of


@pytest.fixture
def fitcoach(sqlite_url: URL, simulator: RunningServer) -> Iterator[TestClient]:
    engine = make_engine(sqlite_url)
    migrations.upgrade(engine)
    engine.dispose()
    settings = load_settings(
        database_url=sqlite_url.render_as_string(hide_password=False),
        strava_base_url=simulator.url,
        strava_client_id="1",
        strava_client_secret="simulator-secret",
        public_url="http://testserver",
    )
    app, queue = recording_app(settings)
    app.state.recorded = queue
    with TestClient(app) as client:
        yield client


def state_of(client: TestClient) -> Services:
    return services_of(client.app)


def queue_of(client: TestClient) -> RecordingQueue:
    queue: RecordingQueue = client.app.state.recorded  # type: ignore[attr-defined]
    return queue


def start_login(client: TestClient) -> str:
    response = client.get("/auth/strava/login", follow_redirects=False)
    assert response.status_code == 303
    return response.headers["location"]


def with_params(url: str, **extra: str) -> str:
    return str(httpx.URL(url).copy_merge_params(extra))


def approve(authorize_url: str, **choices: str) -> dict[str, str]:
    """What the athlete's browser does on the simulator's approval page."""
    response = httpx.get(with_params(authorize_url, decision="approve", **choices))
    assert response.status_code in (302, 303), response.text
    location = urlsplit(response.headers["location"])
    assert location.path == "/auth/strava/callback"
    return {key: values[0] for key, values in parse_qs(location.query).items()}


def athlete_count(client: TestClient) -> int:
    with state_of(client).sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Athlete)) or 0)


def test_connect_stores_athlete_and_encrypted_tokens(fitcoach: TestClient) -> None:
    authorize_url = start_login(fitcoach)
    query = parse_qs(urlsplit(authorize_url).query)
    assert query["scope"] == ["read,activity:read_all"]
    assert query["redirect_uri"] == ["http://testserver/auth/strava/callback"]
    answer = approve(authorize_url)
    response = fitcoach.get("/auth/strava/callback", params=answer, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert "httponly" in response.headers["set-cookie"].lower()
    assert "samesite=lax" in response.headers["set-cookie"].lower()

    state = state_of(fitcoach)
    with state.sessions() as session:
        athlete = session.scalars(select(Athlete)).one()
        tokens = load_tokens(session, state.key_ring, athlete.id)
        assert tokens is not None and tokens.scopes == "read,activity:read_all"
        stored = session.get(OAuthToken, athlete.id)
        assert stored is not None and tokens.access_token.encode() not in stored.access_token
    assert queue_of(fitcoach).backfills == [athlete.id]
    home = fitcoach.get("/")
    assert athlete.firstname in home.text and "Strava is connected" in home.text


def test_denied_access_explains_and_stores_nothing(fitcoach: TestClient) -> None:
    authorize_url = start_login(fitcoach)
    response = httpx.get(with_params(authorize_url, decision="deny"))
    answer = parse_qs(urlsplit(response.headers["location"]).query)
    assert answer["error"] == ["access_denied"]
    page = fitcoach.get("/auth/strava/callback", params={k: v[0] for k, v in answer.items()})
    assert page.status_code == 400
    assert "chose not to give fitcoach access" in page.text
    assert athlete_count(fitcoach) == 0


def test_narrower_scope_asks_to_connect_again(fitcoach: TestClient) -> None:
    answer = approve(start_login(fitcoach), grant="read")  # the athlete unticked activities
    assert answer["scope"] == "read"
    page = fitcoach.get("/auth/strava/callback", params=answer)
    assert page.status_code == 400
    assert "activity:read_all" in page.text and "Connect again" in page.text
    assert athlete_count(fitcoach) == 0


def test_an_edited_scope_is_checked_with_strava_and_asks_to_reconnect(
    fitcoach: TestClient,
) -> None:
    """The callback's ``scope=`` is the browser's word: a token without activity:read whose
    URL claims it connects, fails one check with Strava and is "reconnect needed", with
    no backfill to retry forever."""
    answer = approve(start_login(fitcoach), grant="read")
    answer["scope"] = "read,activity:read_all"  # edited in the address bar
    response = fitcoach.get("/auth/strava/callback", params=answer, follow_redirects=False)
    assert response.status_code == 303
    assert queue_of(fitcoach).backfills == []
    with state_of(fitcoach).sessions() as session:
        connection = session.scalars(select(StravaConnection)).one()
        assert not connection.connected
        assert session.scalar(select(func.count()).select_from(OAuthToken)) == 0
    home = fitcoach.get("/")
    assert "fitcoach lost access to your Strava account" in home.text
    assert "permission to read your activities" in home.text
    assert "Connect with Strava again" in home.text


@pytest.mark.parametrize("forge", ["other-state", None])
def test_forged_or_missing_state_is_refused(fitcoach: TestClient, forge: str | None) -> None:
    answer = approve(start_login(fitcoach))
    if forge is None:
        del answer["state"]
    else:
        answer["state"] = forge
    page = fitcoach.get("/auth/strava/callback", params=answer)
    assert page.status_code == 400 and "not valid" in page.text
    assert athlete_count(fitcoach) == 0


def test_state_from_another_browser_is_refused(
    fitcoach: TestClient, simulator: RunningServer
) -> None:
    answer = approve(start_login(fitcoach))
    with TestClient(fitcoach.app) as stranger:  # no session cookie of the victim
        page = stranger.get("/auth/strava/callback", params=answer)
    assert page.status_code == 400
    assert athlete_count(fitcoach) == 0


def test_replayed_code_is_refused(fitcoach: TestClient) -> None:
    authorize_url = start_login(fitcoach)
    answer = approve(authorize_url)
    assert fitcoach.get("/auth/strava/callback", params=answer).status_code == 200
    fitcoach.cookies.clear()
    # A second login in a new session, replaying the first code with the new state.
    new_state = parse_qs(urlsplit(start_login(fitcoach)).query)["state"][0]
    page = fitcoach.get("/auth/strava/callback", params={**answer, "state": new_state})
    assert page.status_code == 400 and "already used" in page.text


def test_identity_comes_from_the_session_only(fitcoach: TestClient) -> None:
    answer = approve(start_login(fitcoach))
    fitcoach.get("/auth/strava/callback", params=answer)
    with state_of(fitcoach).sessions() as session:
        athlete_id = session.scalars(select(Athlete.id)).one()
    with TestClient(fitcoach.app) as stranger:
        page = stranger.get("/", params={"athlete_id": athlete_id, "access_token": "x"})
        assert "Connect with Strava" in page.text and "Disconnect" not in page.text
        refused = stranger.post("/auth/strava/disconnect", data={"athlete_id": athlete_id})
        assert refused.status_code == 401  # nobody is logged in in this browser
    assert athlete_count(fitcoach) == 1


def test_disconnect_deauthorizes_and_deletes(
    fitcoach: TestClient, simulator: RunningServer
) -> None:
    fitcoach.get("/auth/strava/callback", params=approve(start_login(fitcoach)))
    state = state_of(fitcoach)
    with state.sessions() as session:
        athlete_id = session.scalars(select(Athlete.id)).one()
        tokens = load_tokens(session, state.key_ring, athlete_id)
    assert tokens is not None
    confirm = fitcoach.get("/auth/strava/disconnect")
    assert confirm.status_code == 200 and "What stays" in confirm.text
    csrf = confirm.text.split('name="csrf" value="')[1].split('"')[0]
    assert fitcoach.post("/auth/strava/disconnect", data={"csrf": "wrong"}).status_code == 403
    page = fitcoach.post("/auth/strava/disconnect", data={"csrf": csrf})
    assert page.status_code == 200 and "Strava disconnected" in page.text
    assert athlete_count(fitcoach) == 1  # the account stays; Strava's data goes
    with state.sessions() as session:
        assert session.get(StravaConnection, athlete_id) is None
        assert session.get(OAuthToken, athlete_id) is None
    revoked = httpx.get(
        f"{simulator.url}/api/v3/athlete",
        headers={"Authorization": f"Bearer {tokens.access_token}"},
    )
    assert revoked.status_code == 401
    assert "Connect Strava" in fitcoach.get("/").text
