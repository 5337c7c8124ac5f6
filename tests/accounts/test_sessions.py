"""Logins end on the server's word (docs/security.md, finding 7): a copied session cookie
stops working after logout, "sign out everywhere" and disconnect; a login ends when idle
too long or too old; the cookie is Secure behind https."""

from __future__ import annotations

import json
from base64 import b64encode
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import itsdangerous
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import URL

from fitcoach import migrations
from fitcoach.core.db import make_engine
from fitcoach.core.settings import Settings, load_settings
from fitcoach.models import Athlete
from tests.conftest import (
    MovableClock,
    RunningServer,
    login_through_simulator,
    recording_app,
    services_of,
)

COOKIE = "fitcoach_session"


@dataclass
class Site:
    app: object
    settings: Settings
    clock: MovableClock

    def browser(self, cookie: str | None = None) -> TestClient:
        client = TestClient(self.app)  # type: ignore[arg-type]
        if cookie is not None:
            client.cookies.set(COOKIE, cookie)
        return client

    def log_in(self, client: TestClient) -> str:
        """Connect with Strava in ``client``; returns the session cookie it was given."""
        answer = login_through_simulator(client)
        response = client.get("/auth/strava/callback", params=answer, follow_redirects=False)
        assert response.status_code == 303, response.text
        return str(client.cookies.get(COOKIE))

    def athlete_id(self) -> int:
        with services_of(self.app).sessions() as session:
            return int(session.scalars(select(Athlete.id)).one())


def logged_in(client: TestClient) -> bool:
    answer = client.get("/api/strava/activities", params={"limit": 1})
    assert answer.status_code in (200, 401), answer.text
    return answer.status_code == 200


def csrf_of(client: TestClient) -> str:
    page = client.get("/settings")
    return page.text.split('name="csrf" value="')[1].split('"')[0]


def make_site(url: URL, simulator: RunningServer, **overrides: object) -> Site:
    engine = make_engine(url)
    migrations.upgrade(engine)
    engine.dispose()
    settings = load_settings(
        **{
            "database_url": url.render_as_string(hide_password=False),
            "strava_base_url": simulator.url,
            "strava_client_id": "1",
            "strava_client_secret": "simulator-secret",
            "public_url": "http://testserver",
            **overrides,
        }
    )
    clock = MovableClock(datetime.now(UTC).replace(microsecond=0))
    app, _ = recording_app(settings, clock=clock)
    return Site(app, settings, clock)


@pytest.fixture
def site(sqlite_url: URL, simulator: RunningServer) -> Iterator[Site]:
    built = make_site(sqlite_url, simulator)
    yield built
    services_of(built.app).engine.dispose()


def test_a_copied_cookie_stops_working_after_logout(site: Site) -> None:
    owner = site.browser()
    copied = site.log_in(owner)
    thief = site.browser(copied)
    assert logged_in(owner) and logged_in(thief)
    csrf = csrf_of(owner)
    assert (
        owner.post("/auth/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    )
    assert not logged_in(owner)
    assert not logged_in(site.browser(copied))  # the copy taken before the logout
    landing = site.browser(copied).get("/")
    assert "Connect with Strava" in landing.text and "Log out" not in landing.text


def test_sign_out_everywhere_ends_every_login(site: Site) -> None:
    laptop, phone = site.browser(), site.browser()
    site.log_in(laptop)
    site.log_in(phone)
    assert logged_in(laptop) and logged_in(phone)
    page = laptop.get("/settings")
    assert "Sign out everywhere" in page.text and 'action="/auth/logout/everywhere"' in page.text
    refused = laptop.post("/auth/logout/everywhere", data={"csrf": "forged"})
    assert refused.status_code == 403 and logged_in(laptop)
    done = laptop.post("/auth/logout/everywhere", data={"csrf": csrf_of(laptop)})
    assert done.status_code == 200 and "Signed out everywhere" in done.text
    assert not logged_in(laptop) and not logged_in(phone)
    site.log_in(phone)  # logging in again works
    assert logged_in(phone)


def test_a_copied_cookie_stops_working_after_disconnect_and_a_new_connection(
    site: Site,
) -> None:
    owner = site.browser()
    copied = site.log_in(owner)
    page = owner.post("/auth/strava/disconnect", data={"csrf": csrf_of(owner)})
    assert page.status_code == 200 and "Strava disconnected" in page.text
    # The account stays, and so does the login that disconnected; every copy ends.
    assert logged_in(owner) and not logged_in(site.browser(copied))
    # The athlete connects again: the old cookie is still not one of the account's logins.
    site.log_in(site.browser())
    assert not logged_in(site.browser(copied))


def test_a_login_ends_when_idle_too_long(site: Site) -> None:
    browser = site.browser()
    site.log_in(browser)
    start = site.clock.now
    for day in range(1, 7):  # used every day: stays
        site.clock.now = start + timedelta(days=day)
        assert logged_in(browser)
    site.clock.now += timedelta(days=7, minutes=1)  # a week unused
    assert not logged_in(browser)


def test_a_login_ends_after_its_lifetime_however_used(site: Site) -> None:
    browser = site.browser()
    site.log_in(browser)
    start = site.clock.now
    for day in range(1, 31):
        site.clock.now = start + timedelta(days=day)
        assert logged_in(browser)
    site.clock.now = start + timedelta(days=30, minutes=1)
    assert not logged_in(browser)


def test_a_cookie_without_a_login_version_is_no_login(site: Site) -> None:
    """A cookie as fitcoach signed them before logins had versions (still validly signed)."""
    site.log_in(site.browser())
    payload = b64encode(json.dumps({"athlete_id": site.athlete_id()}).encode())
    old = itsdangerous.TimestampSigner(site.settings.secret_key).sign(payload).decode()
    assert not logged_in(site.browser(old))


def test_the_cookie_is_secure_behind_https(sqlite_url: URL, simulator: RunningServer) -> None:
    secure = make_site(sqlite_url, simulator, public_url="https://fitcoach.example.com")
    browser = TestClient(secure.app, base_url="https://testserver")  # type: ignore[arg-type]
    answer = browser.get("/auth/strava/login", follow_redirects=False)
    cookie = answer.headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    services_of(secure.app).engine.dispose()


def test_pages_loaded_at_once_after_sign_in_share_one_form_token(site: Site) -> None:
    """Two tabs opened together right after sign-in: both carry the sign-in cookie, and
    whichever answer's cookie lands last, the other tab's forms are still accepted."""
    cookie = site.log_in(site.browser())
    first, second = site.browser(cookie), site.browser(cookie)
    token_of_first, token_of_second = csrf_of(first), csrf_of(second)
    assert token_of_first == token_of_second
    refresh = second.post("/api/strava/sync", headers={"x-csrf-token": token_of_first})
    assert refresh.status_code in (202, 429), refresh.text
