"""Accounts in Chromium, at a desktop's and a phone's size: sign up with a passkey (a
virtual authenticator through the DevTools protocol) and sign in with it; sign up without
Strava, import
an own file, download my data (the zip reads back), delete the account; sign in with a
password, connect Strava from the settings page and disconnect it (the confirmation says
what goes and what stays; the own file, the settings and the goal stay)."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.engine import URL

from fitcoach.models import Activity, Athlete, Deletion, Passkey
from tests.browser.conftest import LiveSite, csp_violations
from tests.conftest import RunningServer, recording_app, services_of, sync_of
from tests.dashboard.dashboard_support import settings_for
from tests.imports.builders import fit_file, ride

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 812}}


@pytest.fixture
def site(sqlite_url: URL, simulator: RunningServer, isolated_settings: Path) -> Iterator[LiveSite]:
    """fitcoach on loopback whose queue imports files and recomputes loads at once."""
    app, queue = recording_app(
        settings_for(sqlite_url, simulator), inline=frozenset({"import", "recompute"})
    )
    state = services_of(app)
    server = RunningServer(app)
    # localhost, not 127.0.0.1: a passkey's relying party is a domain, never an address.
    url = server.url.replace("127.0.0.1", "localhost")
    state.settings.public_url = url
    live = LiveSite(url, simulator, state, queue)  # type: ignore[arg-type]
    yield live
    server.stop()
    state.engine.dispose()


def sign_up(page: Page, site: LiveSite, email: str) -> None:
    page.goto(site.url)
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account", exact=True).click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def import_ride(page: Page, site: LiveSite, tmp_path: Path) -> None:
    path = tmp_path / "morning.fit"
    path.write_bytes(fit_file(ride(datetime(2026, 3, 1, 6, tzinfo=UTC), 1800)))
    page.goto(f"{site.url}/import")
    page.get_by_label("Files or archive").set_input_files(str(path))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("Done: 1 imported")).to_be_visible()


def activities(site: LiveSite) -> list[tuple[str, str]]:
    with site.state.sessions() as session:
        return [
            (row.source, row.name)
            for row in session.scalars(select(Activity).order_by(Activity.source))
        ]


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_sign_up_import_download_and_delete(
    page: Page, site: LiveSite, tmp_path: Path, viewport: str
) -> None:
    page.set_viewport_size(VIEWPORTS[viewport])
    sign_up(page, site, "ada@example.com")
    import_ride(page, site, tmp_path)
    page.get_by_role("link", name="Account").click()
    expect(page.get_by_text("You sign in with ada@example.com.")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download my data").click()
    bundle = zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes()))
    documents = json.loads(bundle.read("activities.json"))
    assert [(row["source"], row["moving_time_s"] > 0) for row in documents] == [("file", True)]
    assert json.loads(bundle.read("profile.json"))["account"]["email"] == "ada@example.com"

    page.get_by_label("Type delete to confirm").fill("delete")
    page.locator("#delete_password").fill(PASSWORD)
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account is deleted")
    with site.state.sessions() as session:
        assert session.scalars(select(Athlete)).all() == []
        assert session.scalars(select(Activity)).all() == []
        assert [row.reason for row in session.scalars(select(Deletion))] == [
            "deleted by the athlete"
        ]
    assert site.outside_requests == [] and site.page_errors == [] and csp_violations(page) == []


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_sign_in_connect_and_disconnect_strava_keeps_own_files(
    page: Page, site: LiveSite, tmp_path: Path, viewport: str
) -> None:
    page.set_viewport_size(VIEWPORTS[viewport])
    sign_up(page, site, "bea@example.com")
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("link", name="Sign in").first.click()
    page.get_by_label("E-mail address").fill("bea@example.com")
    page.get_by_label("Password").fill("a wrong password")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text(
        "The e-mail address or the password is wrong."
    )
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    import_ride(page, site, tmp_path)
    page.goto(f"{site.url}/settings")
    page.get_by_label("Name").fill("Marmotte")
    page.get_by_label("Date").fill("2026-12-31")
    page.get_by_role("button", name="Save settings").click()

    page.get_by_role("link", name="Connect Strava").click()
    expect(page).to_have_url(re.compile(re.escape(site.simulator.url) + "/oauth/authorize"))
    page.get_by_role("radio").first.check()
    page.get_by_role("button", name="Authorize").click()
    expect(page.get_by_role("button", name="Refresh from Strava")).to_be_visible()
    athlete_id = site.athlete_id()  # still the one account
    while sync_of(site.state) and _backfill_page(site, athlete_id):
        pass
    from_strava = sum(source == "strava_api" for source, _ in activities(site))
    assert from_strava > 0

    page.goto(f"{site.url}/settings")
    page.get_by_role("link", name="Disconnect Strava…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Disconnect Strava?")
    noun = "activity" if from_strava == 1 else "activities"
    expect(page.get_by_text(f"the {from_strava} {noun} and their")).to_be_visible()
    expect(page.get_by_text("the 1 activity from your own files")).to_be_visible()
    page.get_by_role("button", name="Disconnect Strava").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Strava disconnected")
    assert [source for source, _ in activities(site)] == ["file"]
    page.goto(f"{site.url}/settings")
    expect(page.get_by_label("Name")).to_have_value("Marmotte")
    expect(page.get_by_role("link", name="Connect Strava")).to_be_visible()
    assert site.athlete_id() == athlete_id
    assert site.outside_requests == [] and site.page_errors == [] and csp_violations(page) == []


def _backfill_page(site: LiveSite, athlete_id: int) -> bool:
    from fitcoach.sync.activities import backfill_page

    return backfill_page(sync_of(site.state), athlete_id, 0).more


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_sign_up_and_sign_in_with_a_passkey(page: Page, site: LiveSite, viewport: str) -> None:
    page.set_viewport_size(VIEWPORTS[viewport])
    devtools = page.context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    authenticator = devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )["authenticatorId"]
    page.goto(f"{site.url}/auth/signup")
    page.get_by_role("button", name="Create account with a passkey").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    with site.state.sessions() as session:
        athlete = session.scalars(select(Athlete)).one()
        assert (athlete.email, athlete.password_hash) == (None, None)
        passkey = session.scalars(select(Passkey)).one()
        assert passkey.athlete_id == athlete.id and passkey.last_used_at is None
    stored = devtools.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert len(stored["credentials"]) == 1 and stored["credentials"][0]["isResidentCredential"]

    page.get_by_role("button", name="Log out").click()
    page.goto(f"{site.url}/auth/signin")
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.get_by_role("link", name="Account").click()
    expect(page.get_by_text("You have 1 passkey")).to_be_visible()
    with site.state.sessions() as session:
        used = session.scalars(select(Passkey)).one()
        assert used.athlete_id == athlete.id and used.last_used_at is not None
    assert site.outside_requests == [] and site.page_errors == [] and csp_violations(page) == []
