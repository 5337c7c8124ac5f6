"""Passkey answers fitcoach refuses, with a message and nothing stored: no CSRF token, no
request waiting, a passkey it does not know, a broken answer, sign-ups closed, adding one
while signed out. (Passkeys made and used by an authenticator: the browser test.)"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL

from fitcoach.models import Athlete, Passkey
from tests.accounts.test_password_accounts import csrf, make_site
from tests.conftest import RunningServer


def test_refused_passkey_answers_say_why_and_store_nothing(
    sqlite_url: URL, simulator: RunningServer, isolated_settings: Path
) -> None:
    site = make_site(sqlite_url, simulator, signups_open=False)
    client = site.browser()
    header = {"X-CSRF-Token": csrf(client)}
    assert client.post("/auth/passkey/options", json={"purpose": "signin"}).status_code == 403

    options = client.post("/auth/passkey/options", json={"purpose": "signin"}, headers=header)
    assert options.status_code == 200
    document = options.json()
    assert document["rpId"] == "testserver" and len(document["challenge"]) >= 43
    unknown = {"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {}}
    answer = client.post(
        "/auth/passkey/finish",
        json={"purpose": "signin", "credential": unknown},
        headers=header,
    )
    assert answer.status_code == 400
    assert "This passkey is not registered with fitcoach." in answer.json()["error"]
    # The challenge was used up by that answer: a second one has nothing to answer.
    again = client.post(
        "/auth/passkey/finish",
        json={"purpose": "signin", "credential": unknown},
        headers=header,
    )
    assert again.status_code == 400 and "No passkey request" in again.json()["error"]

    client.post("/auth/passkey/options", json={"purpose": "signin"}, headers=header)
    broken = client.post(
        "/auth/passkey/finish",
        json={"purpose": "signup", "credential": {"rawId": "!!"}},
        headers=header,
    )
    assert broken.status_code == 400  # the waiting request was a sign-in, not a sign-up

    closed = client.post("/auth/passkey/options", json={"purpose": "signup"}, headers=header)
    assert closed.status_code == 403 and "invitation only" in closed.json()["error"]
    signed_out = client.post("/auth/passkey/options", json={"purpose": "add"}, headers=header)
    assert signed_out.status_code == 401
    wrong = client.post("/auth/passkey/options", json={"purpose": "other"}, headers=header)
    assert wrong.status_code == 422
    assert (site.count(Athlete), site.count(Passkey)) == (0, 0)
