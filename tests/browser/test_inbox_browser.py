"""The inbox on the import page in Chromium, at desktop and phone sizes: the athlete's
folder named in full (a long path wraps, the page never scrolls sideways), and after the
worker's scan, the files it took: one imported, one not, with the reason."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from fitcoach.imports import inbox
from fitcoach.imports.parsing.limits import Limits
from tests.browser.conftest import LiveSite, csp_violations
from tests.browser.test_dashboard_browser import connect, no_sideways_scroll
from tests.imports.builders import fit_file, ride

pytestmark = pytest.mark.browser

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 812}}


@pytest.mark.parametrize("size", SIZES)
def test_the_import_page_names_the_inbox_and_shows_what_it_took(
    page: Page, site: LiveSite, size: str
) -> None:
    page.set_viewport_size(SIZES[size])
    connect(page, site)
    page.goto(f"{site.url}/import")
    folder = (site.state.settings.inbox_dir / str(site.athlete_id())).resolve()
    expect(page.locator("#inbox-path")).to_have_text(str(folder))
    no_sideways_scroll(page)

    start = datetime(2026, 11, 2, 7, tzinfo=UTC)
    then = time.time() - 60  # written a minute ago: settled
    for name, data in (("ride.fit", fit_file(ride(start, 600))), ("notes.fit", b"not a FIT")):
        (folder / name).write_bytes(data)
        os.utime(folder / name, (then, then))
    taken = inbox.scan(site.state.sessions, site.state.settings.inbox_dir, Limits())
    assert sorted((r.name, r.outcome) for r in taken) == [
        ("notes.fit", "failed"),
        ("ride.fit", "done"),
    ]

    page.reload()
    results = page.locator("#inbox-results li")
    expect(results).to_have_count(2)
    expect(results.filter(has_text="ride.fit: imported")).to_have_count(1)
    # The reason in words, as in failed/notes.fit.reason.txt.
    expect(results.filter(has_text="notes.fit: not imported")).to_contain_text("FIT")
    # Both jobs are listed with the uploads, the imported one linking to its activity.
    heading = page.get_by_role("heading", name="ride.fit", exact=True)
    ride_job = page.locator("article").filter(has=heading)
    expect(ride_job).to_contain_text("Done: 1 imported")
    expect(ride_job.locator("a[href^='/activities/']")).to_have_count(1)
    no_sideways_scroll(page)
    assert csp_violations(page) == []
    assert site.outside_requests == [] and site.page_errors == []
