"""Cancelling an import from the import page, in Chromium at desktop and phone sizes."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from fitcoach.imports.repository import create_job
from fitcoach.models import ImportJob
from tests.browser.conftest import LiveSite, csp_violations
from tests.browser.test_dashboard_browser import connect, no_sideways_scroll

pytestmark = pytest.mark.browser

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 812}}


@pytest.mark.parametrize("size", SIZES)
def test_a_waiting_import_is_cancelled_with_its_button(
    page: Page, site: LiveSite, size: str
) -> None:
    page.set_viewport_size(SIZES[size])
    connect(page, site)
    # An upload no worker has started yet (this site runs none).
    job_id = create_job(site.state.sessions, site.athlete_id(), "Winter rides.zip")
    page.goto(f"{site.url}/import")
    card = page.locator(f"#import-{job_id}")
    expect(card).to_contain_text("Waiting for a worker")
    button = card.get_by_role("button", name="Cancel import")
    expect(button).to_be_visible()
    no_sideways_scroll(page)
    button.click()
    card = page.locator(f"#import-{job_id}")
    expect(card).to_contain_text("Cancelled")
    expect(card.get_by_role("button", name="Cancel import")).to_have_count(0)
    with site.state.sessions() as session:
        job = session.get(ImportJob, job_id)
        assert job is not None and job.status == "cancelled"
    no_sideways_scroll(page)
    assert csp_violations(page) == []
