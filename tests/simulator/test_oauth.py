"""OAuth: the approval page, automation parameters, token exchange, refresh and deauthorize."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from .conftest import SECRET, FakeClock, athlete_ids, authorize, bearer, make_client

BASE = {
    "client_id": "1",
    "redirect_uri": "http://localhost:9/cb?x=1",
    "response_type": "code",
    "scope": "read,activity:read_all",
    "state": "st<&>",
}


def _query(response: Any) -> dict[str, str]:
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith("http://localhost:9/cb?x=1&")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def _error(response: Any, status: int, resource: str, field: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["errors"] == [{"resource": resource, "field": field, "code": "invalid"}]
    assert body["message"] == ("Bad Request" if status == 400 else "Authorization Error")


def test_page_lists_athletes_escaped_with_scope_checkboxes(client: Any) -> None:
    page = client.get("/oauth/authorize", params=BASE)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    for athlete in client.get("/_sim/athletes").json():
        assert f'value="{athlete["id"]}"' in page.text
    assert 'name="grant" value="activity:read_all" checked' in page.text
    assert "st&lt;&amp;&gt;" in page.text and "st<&>" not in page.text


def test_form_post_grants_only_ticked_scopes(client: Any) -> None:
    aid = athlete_ids(client)[1]
    form = {**BASE, "athlete_id": str(aid), "decision": "approve", "grant": ["activity:read_all"]}
    back = _query(client.post("/oauth/authorize", data=form, follow_redirects=False))
    assert back["state"] == "st<&>"
    assert back["scope"] == "read,activity:read_all"
    form["grant"] = []
    back = _query(client.post("/oauth/authorize", data=form, follow_redirects=False))
    assert back["scope"] == "read"  # the athlete unticked the activity scope


def test_deny_redirects_with_access_denied(client: Any) -> None:
    form = {**BASE, "athlete_id": str(athlete_ids(client)[0]), "decision": "deny"}
    back = _query(client.post("/oauth/authorize", data=form, follow_redirects=False))
    assert back == {"x": "1", "state": "st<&>", "error": "access_denied"}
    back = _query(
        client.get("/oauth/authorize", params={**BASE, "decision": "deny"}, follow_redirects=False)
    )
    assert back["error"] == "access_denied"


def test_automation_parameters_skip_the_page(client: Any) -> None:
    aid = athlete_ids(client)[2]
    params = {**BASE, "athlete_id": str(aid), "decision": "approve", "grant": "read"}
    back = _query(client.get("/oauth/authorize", params=params, follow_redirects=False))
    assert back["scope"] == "read" and len(back["code"]) == 40
    token = client.post(
        "/oauth/token",
        data={
            "client_id": "1",
            "client_secret": SECRET,
            "code": back["code"],
            "grant_type": "authorization_code",
        },
    ).json()
    assert token["athlete"]["id"] == aid


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"client_id": "2"}, "client_id"),
        ({"redirect_uri": "ftp://x"}, "redirect_uri"),
        ({"redirect_uri": ""}, "redirect_uri"),
        ({"scope": "read,everything"}, "scope"),
        ({"response_type": "token"}, "response_type"),
    ],
)
def test_authorize_validates(client: Any, change: dict[str, str], field: str) -> None:
    _error(client.get("/oauth/authorize", params={**BASE, **change}), 400, "Application", field)


def test_redirect_hosts_are_enforced_except_localhost() -> None:
    with make_client(FakeClock(), redirect_hosts=("fitcoach.example",)) as c:
        for uri, ok in (
            ("https://fitcoach.example/cb", True),
            ("https://app.fitcoach.example/", True),
            ("https://evil.example/cb", False),
            ("http://127.0.0.1:5/cb", True),
        ):
            response = c.get("/oauth/authorize", params={**BASE, "redirect_uri": uri})
            assert (response.status_code == 200) is ok, uri


def test_token_exchange_shape_and_lifetime(client: Any, clock: FakeClock) -> None:
    token = authorize(client, athlete_ids(client)[0])
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 6 * 3600
    assert token["expires_at"] == int(clock.now) + 6 * 3600
    assert token["athlete"]["resource_state"] == 2
    assert token["access_token"] != token["refresh_token"]


def test_token_accepts_json_body(client: Any) -> None:
    back = _query(
        client.get(
            "/oauth/authorize", params={**BASE, "decision": "approve"}, follow_redirects=False
        )
    )
    response = client.post(
        "/oauth/token",
        json={
            "client_id": "1",
            "client_secret": SECRET,
            "code": back["code"],
            "grant_type": "authorization_code",
        },
    )
    assert response.status_code == 200


def test_pkce_parameters_are_ignored_like_strava(client: Any) -> None:
    params = {
        **BASE,
        "decision": "approve",
        "code_challenge": "abc",
        "code_challenge_method": "S256",
    }
    back = _query(client.get("/oauth/authorize", params=params, follow_redirects=False))
    response = client.post(
        "/oauth/token",
        data={
            "client_id": "1",
            "client_secret": SECRET,
            "code": back["code"],
            "code_verifier": "zzz",
            "grant_type": "authorization_code",
        },
    )
    assert response.status_code == 200


def test_wrong_secret_wrong_code_and_replayed_code(client: Any, clock: FakeClock) -> None:
    back = _query(
        client.get(
            "/oauth/authorize", params={**BASE, "decision": "approve"}, follow_redirects=False
        )
    )
    form = {
        "client_id": "1",
        "client_secret": "nope",
        "code": back["code"],
        "grant_type": "authorization_code",
    }
    _error(client.post("/oauth/token", data=form), 400, "Application", "client_secret")
    _error(
        client.post("/oauth/token", data={**form, "client_secret": SECRET, "code": "x"}),
        400,
        "AuthorizationCode",
        "code",
    )
    assert client.post("/oauth/token", data={**form, "client_secret": SECRET}).status_code == 200
    _error(
        client.post("/oauth/token", data={**form, "client_secret": SECRET}),
        400,
        "AuthorizationCode",
        "code",
    )
    _error(
        client.post(
            "/oauth/token", data={**form, "grant_type": "password", "client_secret": SECRET}
        ),
        400,
        "Application",
        "grant_type",
    )


def test_codes_expire(client: Any, clock: FakeClock) -> None:
    back = _query(
        client.get(
            "/oauth/authorize", params={**BASE, "decision": "approve"}, follow_redirects=False
        )
    )
    clock.now += 601
    _error(
        client.post(
            "/oauth/token",
            data={
                "client_id": "1",
                "client_secret": SECRET,
                "code": back["code"],
                "grant_type": "authorization_code",
            },
        ),
        400,
        "AuthorizationCode",
        "code",
    )


def _refresh(c: Any, refresh_token: str) -> Any:
    return c.post(
        "/oauth/token",
        data={
            "client_id": "1",
            "client_secret": SECRET,
            "refresh_token": refresh_token,
            "grant_type": "refresh_token",
        },
    )


def test_refresh_returns_the_same_token_until_the_last_hour(client: Any, clock: FakeClock) -> None:
    token = authorize(client, athlete_ids(client)[0])
    clock.now += 5 * 3600 - 1  # 1 h 1 s left
    same = _refresh(client, token["refresh_token"]).json()
    assert same["access_token"] == token["access_token"]
    assert same["refresh_token"] == token["refresh_token"]
    assert same["expires_in"] == 3601
    clock.now += 2  # 59 min 59 s left
    fresh = _refresh(client, token["refresh_token"]).json()
    assert fresh["access_token"] != token["access_token"]
    assert fresh["expires_in"] == 6 * 3600
    assert "athlete" not in fresh
    # The old access token lives until its own expiry; the new one works at once.
    assert client.get("/api/v3/athlete", headers=bearer(token)).status_code == 200
    assert client.get("/api/v3/athlete", headers=bearer(fresh)).status_code == 200
    clock.now += 3600
    assert client.get("/api/v3/athlete", headers=bearer(token)).status_code == 401


def test_refresh_token_rotation(client: Any, clock: FakeClock) -> None:
    token = authorize(client, athlete_ids(client)[0])
    clock.now += 5.5 * 3600
    first = _refresh(client, token["refresh_token"]).json()
    assert first["refresh_token"] != token["refresh_token"]
    # Until the new refresh token is used, the old one still works (returns the new pair).
    again = _refresh(client, token["refresh_token"]).json()
    assert again["access_token"] == first["access_token"]
    assert _refresh(client, first["refresh_token"]).status_code == 200
    _error(_refresh(client, token["refresh_token"]), 400, "RefreshToken", "refresh_token")
    _error(_refresh(client, "unknown"), 400, "RefreshToken", "refresh_token")


def test_expired_token_is_401_in_strava_shape(client: Any, clock: FakeClock) -> None:
    token = authorize(client, athlete_ids(client)[0])
    clock.now += 6 * 3600
    response = client.get("/api/v3/athlete", headers=bearer(token))
    _error(response, 401, "Athlete", "access_token")
    assert response.headers["x-ratelimit-usage"] == "1,1"


def test_token_in_query_string_is_refused(client: Any) -> None:
    token = authorize(client, athlete_ids(client)[0])
    response = client.get("/api/v3/athlete", params={"access_token": token["access_token"]})
    assert response.status_code == 401


@pytest.mark.parametrize("via", ["param", "header"])
def test_deauthorize_revokes_every_token(client: Any, via: str) -> None:
    aid = athlete_ids(client)[0]
    one, two = authorize(client, aid), authorize(client, aid)
    if via == "param":
        response = client.post("/oauth/deauthorize", data={"access_token": one["access_token"]})
    else:
        response = client.post("/oauth/deauthorize", headers=bearer(one))
    assert response.status_code == 200
    assert response.json() == {"access_token": one["access_token"]}
    for token in (one, two):
        assert client.get("/api/v3/athlete", headers=bearer(token)).status_code == 401
        _error(_refresh(client, token["refresh_token"]), 400, "RefreshToken", "refresh_token")
    _error(client.post("/oauth/deauthorize", headers=bearer(one)), 401, "Athlete", "access_token")


def test_oauth_calls_are_not_counted(client: Any) -> None:
    authorize(client, athlete_ids(client)[0])
    assert client.get("/_sim/usage").json()["total"] == 0
