"""Sign-in through the operator's OpenID Connect provider in Chromium, at a desktop's and
a phone's size: the button on the sign-in page, the round trip through the provider's
page (a real provider on loopback, tests/accounts/oidc_provider.py) and back signed in;
the second time, the same account."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.engine import URL

from fitcoach.models import Athlete, OidcIdentity
from tests.accounts.oidc_provider import CLIENT_ID, CLIENT_SECRET, NAME, Provider, serve
from tests.browser.conftest import LiveSite, csp_violations
from tests.conftest import RunningServer, recording_app, services_of
from tests.dashboard.dashboard_support import settings_for

pytestmark = pytest.mark.browser

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 812}}


@pytest.fixture
def provider() -> Iterator[Provider]:
    found = Provider()
    server = serve(found)
    yield found
    server.stop()


@pytest.fixture
def site(
    sqlite_url: URL, simulator: RunningServer, provider: Provider, isolated_settings: Path
) -> Iterator[LiveSite]:
    settings = settings_for(
        sqlite_url,
        simulator,
        oidc_issuer=provider.issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        oidc_name=NAME,
    )
    app, queue = recording_app(settings)
    state = services_of(app)
    server = RunningServer(app)
    state.settings.public_url = server.url  # the callback comes back to uvicorn's port
    live = LiveSite(server.url, simulator, state, queue)  # type: ignore[arg-type]
    yield live
    server.stop()
    state.engine.dispose()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_sign_in_with_the_identity_provider(
    page: Page, site: LiveSite, provider: Provider, viewport: str
) -> None:
    page.set_viewport_size(VIEWPORTS[viewport])
    # The provider's page is the one other origin this journey may visit.
    page.route(f"{provider.issuer}/**", lambda route: route.continue_())
    for round_trip in (1, 2):
        page.goto(f"{site.url}/auth/signin")
        button = page.get_by_role("link", name=f"Sign in with {NAME}")
        expect(button).to_be_visible()
        box: Any = button.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= VIEWPORTS[viewport]["width"]
        button.click()
        expect(page.get_by_role("heading", level=1)).to_have_text(NAME)
        page.get_by_role("button", name="Sign in as ada").click()
        expect(page.get_by_role("button", name="Log out")).to_be_visible()
        assert page.url.rstrip("/") == site.url
        assert csp_violations(page) == []
        if round_trip == 1:
            page.get_by_role("link", name="Account").click()
            expect(page.get_by_text(f"Your account signs in with {NAME}.")).to_be_visible()
            page.get_by_role("button", name="Log out").click()
    with site.state.sessions() as session:
        athlete = session.scalars(select(Athlete)).one()
        assert (athlete.email, athlete.firstname) == ("ada@example.com", "Ada")
        identity = session.scalars(select(OidcIdentity)).one()
        assert (identity.athlete_id, identity.subject) == (athlete.id, "ada-0001")
    assert site.outside_requests == [] and site.page_errors == []
