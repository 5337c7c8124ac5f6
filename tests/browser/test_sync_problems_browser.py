"""An activity Strava sent that could not be stored, and a failed sync, as the athlete sees
them on the dashboard and the operator on /admin: at desktop and phone sizes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.exc import OperationalError

from fitcoach.models import OidcIdentity
from fitcoach.sync.activities import incremental_sync, record_failure
from tests.browser.conftest import LiveSite
from tests.browser.test_dashboard_browser import connect, no_sideways_scroll
from tests.conftest import sync_of
from tests.dashboard.dashboard_support import sim

pytestmark = pytest.mark.browser

ADMIN_TOKEN = "operate-in-the-browser"


def test_skipped_activities_and_failures_are_shown_on_phone_and_desktop(
    page: Page, site: LiveSite
) -> None:
    connect(page, site)
    start = datetime.now(UTC) - timedelta(hours=2)
    broken = sim(
        site.simulator,
        "POST",
        f"/athletes/{site.strava_id()}/activities",
        raw={
            "name": "Watch gone wild on a very long ride name that has to wrap on a phone",
            "sport_type": "Ride",
            "start_date": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "moving_time": 3600,
            "elapsed_time": 2**40,
            "distance": 40000.0,
        },
    )
    context = sync_of(site.state)
    incremental_sync(context, site.athlete_id(), 3)
    record_failure(
        context,
        site.athlete_id(),
        OperationalError("SELECT 1", {}, Exception("connection refused")),
    )
    site.state.settings.admin_token = ADMIN_TOKEN
    # A provider's issuer is a long address: it wraps instead of widening a phone's page.
    issuer = "https://login.example-identity-provider.org/realms/athletes-of-the-club"
    with site.state.sessions.begin() as session:
        session.add(OidcIdentity(athlete_id=site.athlete_id(), issuer=issuer, subject="s-1"))

    for width, height in ((1280, 900), (375, 812)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(site.url)
        card = page.get_by_role("region", name="Activities from Strava that could not be stored")
        expect(card).to_be_visible()
        link = card.get_by_role("link", name="Watch gone wild", exact=False)
        expect(link).to_have_attribute("href", f"https://www.strava.com/activities/{broken['id']}")
        expect(card).to_contain_text("elapsed_time")
        expect(page.get_by_text("The database was unavailable", exact=False)).to_be_visible()
        no_sideways_scroll(page)

        page.set_extra_http_headers({"Authorization": f"Bearer {ADMIN_TOKEN}"})
        page.goto(f"{site.url}/admin")
        conflicts = page.get_by_role("region", name="Data conflicts")
        expect(conflicts).to_contain_text(str(broken["id"]))
        expect(conflicts).to_contain_text("out of range")
        expect(page.get_by_role("region", name="Athletes")).to_contain_text(issuer)
        no_sideways_scroll(page)
        page.set_extra_http_headers({})
    assert site.outside_requests == []
    assert site.page_errors == []
