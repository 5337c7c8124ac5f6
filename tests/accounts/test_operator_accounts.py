"""The operator's accounts page: the list of accounts, and invitation links made there
while sign-ups are closed; nobody else sees it or makes links."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import URL

from fitcoach.models import Invitation
from tests.accounts.test_password_accounts import csrf, make_site, sign_up
from tests.conftest import RunningServer, services_of

OPERATOR = {"Authorization": "Bearer operator-token"}


def test_operators_list_accounts_and_invite_while_signups_are_closed(
    database_url: URL, simulator: RunningServer, isolated_settings: Path
) -> None:
    site = make_site(database_url, simulator, signups_open=False, admin_token="operator-token")
    visitor = site.browser()
    assert sign_up(visitor) == 403
    assert visitor.get("/admin/accounts").status_code == 403
    refused = visitor.post("/admin/invitations", data={"csrf": csrf(visitor), "note": "x"})
    assert refused.status_code == 403

    operator = site.browser()
    token = csrf(operator)
    page = operator.post(
        "/admin/invitations", data={"csrf": token, "note": "for Ada"}, headers=OPERATOR
    )
    assert page.status_code == 200 and "shown this once" in page.text
    link = re.search(r'value="(http://testserver/auth/signup\?invitation=[^"]+)"', page.text)
    assert link is not None
    assert "open until" in page.text and "for Ada" in page.text
    assert (
        operator.post(
            "/admin/invitations", data={"csrf": "forged", "note": "x"}, headers=OPERATOR
        ).status_code
        == 403
    )

    invited = site.browser()
    signup_page = invited.get(link.group(1).removeprefix("http://testserver"))
    assert "Create account" in signup_page.text
    invitation = link.group(1).split("invitation=")[1]
    assert sign_up(invited, "ada@example.com", invitation=invitation) == 303

    listing = operator.get("/admin/accounts", headers=OPERATOR)
    assert listing.status_code == 200 and listing.headers["cache-control"] == "no-store"
    assert "1 account;" in listing.text and "closed: by invitation only" in listing.text
    assert "ada@example.com" in listing.text and "not connected" in listing.text
    assert re.search(r"used by account \d+", listing.text)
    with services_of(site.app).sessions() as session:
        assert session.scalar(select(func.count()).select_from(Invitation)) == 1
    assert 'href="/admin/accounts"' in operator.get("/admin", headers=OPERATOR).text
