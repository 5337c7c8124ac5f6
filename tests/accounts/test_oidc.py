"""Sign-in through the operator's OpenID Connect provider, against a real provider on
loopback (tests/accounts/oidc_provider.py) and authlib's real client: the button only when
configured; accounts found by the ID token's issuer and subject, never by e-mail alone;
forged answers (state, nonce, signature, audience, issuer, expiry) refused with nothing
changed; linking from the account page after re-authentication; closed sign-ups."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import URL

from fitcoach.accounts.service import invite
from fitcoach.core.settings import ConfigError, load_settings
from fitcoach.models import Athlete, Deletion, OidcIdentity
from tests.accounts.oidc_provider import CLIENT_ID, CLIENT_SECRET, FORGERIES, NAME, Provider, serve
from tests.accounts.test_password_accounts import PASSWORD, Site, csrf, make_site, sign_up
from tests.conftest import RunningServer, services_of


@pytest.fixture
def provider() -> Iterator[Provider]:
    found = Provider()
    server = serve(found)
    yield found
    server.stop()


def oidc_settings(provider: Provider) -> dict[str, str]:
    return {
        "oidc_issuer": provider.issuer,
        "oidc_client_id": CLIENT_ID,
        "oidc_client_secret": CLIENT_SECRET,
        "oidc_name": NAME,
    }


@pytest.fixture
def site(
    sqlite_url: URL, simulator: RunningServer, provider: Provider, isolated_settings: Path
) -> Iterator[Site]:
    built = make_site(sqlite_url, simulator, **oidc_settings(provider))
    yield built
    services_of(built.app).engine.dispose()


def to_provider(client: TestClient, provider: Provider, start: str) -> dict[str, str]:
    """fitcoach's redirect to the provider: what the provider's sign-in page receives."""
    answer = client.get(start, follow_redirects=False)
    assert answer.status_code == 302, answer.text
    location = answer.headers["location"]
    assert location.startswith(f"{provider.issuer}/authorize?")
    asked = dict(parse_qsl(urlsplit(location).query))
    assert asked["client_id"] == CLIENT_ID and asked["state"] and asked["nonce"]
    assert httpx.get(location).status_code == 200  # the provider's own page accepts it
    return asked


def approve(provider: Provider, asked: dict[str, str], user: str) -> str:
    """The person signs in at the provider; the path and query it sends the browser back to."""
    answer = httpx.post(
        f"{provider.issuer}/authorize",
        data={**{name: asked[name] for name in ("redirect_uri", "state", "nonce")}, "user": user},
    )
    assert answer.status_code == 302
    back = urlsplit(answer.headers["location"])
    assert f"{back.scheme}://{back.netloc}" == "http://testserver"
    return f"{back.path}?{back.query}"


def oidc_sign_in(
    client: TestClient, provider: Provider, user: str = "ada", start: str = "/auth/oidc/login"
) -> httpx.Response:
    return client.get(approve(provider, to_provider(client, provider, start), user))


def identities(site: Site) -> list[tuple[int, str, str]]:
    with services_of(site.app).sessions() as session:
        return [
            (row.athlete_id, row.issuer, row.subject)
            for row in session.scalars(select(OidcIdentity).order_by(OidcIdentity.id))
        ]


def accounts(site: Site) -> list[tuple[int, str | None, str]]:
    with services_of(site.app).sessions() as session:
        return [
            (row.id, row.email, row.firstname)
            for row in session.scalars(select(Athlete).order_by(Athlete.id))
        ]


def test_sign_up_and_back_in_by_issuer_and_subject(site: Site, provider: Provider) -> None:
    client = site.browser()
    assert f'href="/auth/oidc/login">Sign in with {NAME}</a>' in client.get("/auth/signin").text
    assert f"Sign up with {NAME}" in client.get("/auth/signup").text
    answer = oidc_sign_in(client, provider)
    assert answer.status_code == 200 and "Log out" in answer.text
    [(athlete_id, email, firstname)] = accounts(site)
    assert (email, firstname) == ("ada@example.com", "Ada")
    assert identities(site) == [(athlete_id, provider.issuer, "ada-0001")]
    assert f"Your account signs in with {NAME}." in client.get("/account").text
    bundle = zipfile.ZipFile(io.BytesIO(client.get("/account/export").content))
    profile = json.loads(bundle.read("profile.json"))["account"]
    assert profile["signs_in_with"] == [{"issuer": provider.issuer, "subject": "ada-0001"}]

    # The provider's e-mail changes hands: the subject still finds the same account.
    provider.users["ada"]["email"] = "ada@elsewhere.example"
    client.post("/auth/logout", data={"csrf": csrf(client, "/settings")})
    assert oidc_sign_in(client, provider).status_code == 200
    assert [row[0] for row in accounts(site)] == [athlete_id]
    assert client.get("/account").status_code == 200

    # An unverified e-mail is not taken: Bob's account has none.
    other = site.browser()
    assert oidc_sign_in(other, provider, "bob").status_code == 200
    assert accounts(site)[1][1:] == (None, "Bob")

    # Deleting the account deletes its identity: the provider's sign-in then signs up anew.
    token = csrf(client, "/account")
    deleted = client.post("/account/delete", data={"csrf": token, "confirm": "delete"})
    assert deleted.status_code == 200 and "Your account is deleted" in deleted.text
    assert [row[0] for row in identities(site)] == [accounts(site)[0][0]]
    with services_of(site.app).sessions() as session:
        assert session.scalars(select(Deletion.athlete_id)).all() == [athlete_id]


def test_an_e_mail_of_another_account_is_not_joined(site: Site, provider: Provider) -> None:
    client = site.browser()
    assert sign_up(client, "ada@example.com") == 303
    password_account = accounts(site)
    answer = oidc_sign_in(site.browser(), provider)
    assert answer.status_code == 409
    assert "An account with the e-mail address ada@example.com already exists." in answer.text
    assert "then link it on the Account page" in answer.text
    assert (accounts(site), identities(site)) == (password_account, [])


def test_forged_or_foreign_answers_sign_in_no_one(site: Site, provider: Provider) -> None:
    client = site.browser()
    for forgery in FORGERIES:
        provider.forge = forgery
        answer = oidc_sign_in(client, provider)
        assert answer.status_code == 400, (forgery, answer.text)
        assert "did not pass fitcoach&#39;s checks" in answer.text, forgery
    started = site.browser()
    back = approve(provider, to_provider(started, provider, "/auth/oidc/login"), "ada")
    stranger = site.browser()  # a sign-in link planted in someone else's browser
    answer = stranger.get(back)
    assert answer.status_code == 400
    assert "does not belong to a sign-in started in this browser" in answer.text
    refused = started.get(approve(provider, to_provider(started, provider, "/auth/oidc/login"), ""))
    assert refused.status_code == 400 and f"You chose not to sign in with {NAME}." in refused.text
    assert (accounts(site), identities(site)) == ([], [])
    assert client.get("/account").status_code == 401


def test_link_from_the_account_page_after_the_password(site: Site, provider: Provider) -> None:
    client = site.browser()
    assert sign_up(client, "ada@example.com") == 303
    [(athlete_id, _, _)] = accounts(site)
    page = client.get("/account").text
    assert f"Link {NAME}" in page
    token = csrf(client, "/account")
    wrong = client.post("/account/oidc", data={"csrf": token, "oidc_password": "not mine at all"})
    assert wrong.status_code == 400 and "That is not your password." in wrong.text
    assert client.get("/auth/oidc/login", follow_redirects=False).headers["location"] == "/"
    confirmed = client.post("/account/oidc", data={"csrf": token, "oidc_password": PASSWORD})
    assert confirmed.status_code == 200 and f"Continue to {NAME}" in confirmed.text
    linked = oidc_sign_in(client, provider)
    assert linked.status_code == 200 and f"You can now sign in with {NAME}." in linked.text
    assert identities(site) == [(athlete_id, provider.issuer, "ada-0001")]

    fresh = site.browser()
    assert oidc_sign_in(fresh, provider).status_code == 200
    assert accounts(site)[0][0] == athlete_id and len(accounts(site)) == 1
    assert "You sign in with <strong>ada@example.com</strong>" in fresh.get("/account").text

    # Another account cannot take the identity over.
    other = site.browser()
    assert sign_up(other, "eve@example.com") == 303
    other.post("/account/oidc", data={"csrf": csrf(other, "/account"), "oidc_password": PASSWORD})
    taken = oidc_sign_in(other, provider)
    assert taken.status_code == 409 and "already signs in to another" in taken.text
    assert [row[0] for row in identities(site)] == [athlete_id]


def test_closed_sign_ups_need_an_invitation_and_no_settings_no_button(
    site: Site, provider: Provider
) -> None:
    settings = services_of(site.app).settings
    settings.signups_open = False
    client = site.browser()
    refused = oidc_sign_in(client, provider)
    assert refused.status_code == 403 and "by invitation only" in refused.text
    assert accounts(site) == []
    token = invite(services_of(site.app).sessions, "for Ada", site.clock.now)
    signup = client.get(f"/auth/signup?invitation={token}").text
    assert f'href="/auth/oidc/login?invitation={token}"' in signup
    start = f"/auth/oidc/login?invitation={token}"
    assert oidc_sign_in(client, provider, start=start).status_code == 200
    assert len(accounts(site)) == 1

    settings.oidc_issuer = ""
    stranger = site.browser()
    assert "/auth/oidc/login" not in stranger.get("/auth/signin").text
    answer = stranger.get("/auth/oidc/login")
    assert answer.status_code == 404 and "no identity provider set up" in answer.text
    with pytest.raises(ConfigError, match="OIDC_CLIENT_ID, OIDC_CLIENT_SECRET must be set"):
        load_settings(oidc_issuer="https://login.example.com")
    with pytest.raises(ConfigError, match="OIDC_ISSUER must be"):
        load_settings(oidc_issuer="login.example.com", oidc_client_id="a", oidc_client_secret="b")
