"""The assistant settings page in Chromium, at desktop and phone sizes: a token is made,
works, and is revoked."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser
from sqlalchemy.engine import URL

from fitcoach.app import create_app
from fitcoach.core.settings import load_settings
from fitcoach.mcp.tokens import Scope, authenticate
from tests.assistant.support import NOW, World, login_cookie
from tests.browser.conftest import csp_violations
from tests.conftest import MovableClock, RunningServer


@pytest.mark.parametrize("viewport", [(1280, 900), (390, 844)], ids=["desktop", "phone"])
def test_a_token_is_made_in_the_browser(
    world: World,
    sqlite_url: URL,
    browser: Browser,
    viewport: tuple[int, int],
) -> None:
    settings = load_settings(database_url=sqlite_url.render_as_string(hide_password=False))
    server = RunningServer(create_app(settings, clock=MovableClock(NOW)))
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    try:
        context.add_cookies(
            [
                {
                    "name": "fitcoach_session",
                    "value": login_cookie(world, settings.secret_key, world.own),
                    "url": server.url,
                }
            ]
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(f"{server.url}/settings")
        page.get_by_role("link", name="Connect an assistant").click()
        # The policy in force, in words (the default: the athlete's own files only).
        assert "only numbers from your own files" in page.locator("#assistant-policy").inner_text()
        page.get_by_label("Name").fill("Phone assistant")
        page.get_by_label("Read my numbers and change my plan").check()
        page.get_by_role("button", name="Make a token").click()
        secret = page.get_by_label("Token", exact=True).input_value()
        assert secret.startswith("fc_mcp_")
        assert authenticate(world.store.sessions, secret, NOW).scope is Scope.READ_WRITE
        # Nothing wider than the screen: the token and the snippet scroll inside their card.
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport[0]
        page.get_by_role("button", name="Revoke Phone assistant").click()
        page.get_by_text("The token was revoked").wait_for()
        assert csp_violations(page) == []
    finally:
        context.close()
        server.stop()
