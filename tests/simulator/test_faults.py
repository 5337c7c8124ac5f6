"""Faults: each kind does what docs/simulator.md says, scoped by count, probability and path."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from fitcoach.simulator import create_app

from .conftest import FakeClock, athlete_ids, authorize, bearer, config, make_client
from .servers import live


@pytest.fixture
def session(client: Any) -> tuple[Any, dict[str, str]]:
    return client, bearer(authorize(client, athlete_ids(client)[0]))


def _fault(c: Any, **spec: Any) -> dict[str, Any]:
    response = c.post("/_sim/faults", json=spec)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_server_error_for_the_next_n_requests(session: Any) -> None:
    c, auth = session
    _fault(c, kind="server_error", count=2)
    codes = [c.get("/api/v3/athlete", headers=auth).status_code for _ in range(3)]
    assert codes == [500, 500, 200]
    (rule,) = c.get("/_sim/faults").json()
    assert rule["fired"] == 2 and rule["active"] is False


def test_unavailable_carries_retry_after_and_limit_headers(session: Any) -> None:
    c, auth = session
    _fault(c, kind="unavailable", count=1, retry_after=120)
    response = c.get("/api/v3/athlete", headers=auth)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "120"
    assert response.headers["x-ratelimit-usage"] == "1,1"  # faulted requests still count
    assert response.json()["message"] == "Service Unavailable"


def test_rate_limited_before_the_limit(session: Any) -> None:
    c, auth = session
    _fault(c, kind="rate_limited", count=1)
    response = c.get("/api/v3/athlete", headers=auth)
    assert response.status_code == 429
    assert response.json()["errors"][0]["code"] == "exceeded"
    assert response.headers["x-readratelimit-usage"] == "1,1"


def test_malformed_json_keeps_status_and_length(session: Any) -> None:
    c, auth = session
    _fault(c, kind="malformed_json", count=1)
    response = c.get("/api/v3/athlete/activities", headers=auth)
    assert response.status_code == 200
    assert int(response.headers["content-length"]) == len(response.content)
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_truncated_body_is_shorter_than_declared(session: Any) -> None:
    c, auth = session
    _fault(c, kind="truncated", count=1)
    response = c.get("/api/v3/athlete/activities", headers=auth)
    assert int(response.headers["content-length"]) > len(response.content) > 0
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_slow_and_timeout(session: Any) -> None:
    c, auth = session
    _fault(c, kind="slow", count=1, delay=0.05)
    assert c.get("/api/v3/athlete", headers=auth).status_code == 200
    _fault(c, kind="timeout", count=1, delay=0.05)
    response = c.get("/api/v3/athlete", headers=auth)
    assert response.status_code == 504
    assert response.headers["content-type"].startswith("text/html")


def test_probability_is_seeded_and_repeatable() -> None:
    def pattern() -> list[int]:
        with make_client(FakeClock()) as c:
            auth = bearer(authorize(c, athlete_ids(c)[0]))
            _fault(c, kind="server_error", probability=0.5)
            return [c.get("/api/v3/athlete", headers=auth).status_code for _ in range(20)]

    first = pattern()
    assert first == pattern()
    assert 3 < first.count(500) < 17


def test_path_and_method_scoping_and_oauth(session: Any) -> None:
    c, auth = session
    _fault(c, kind="server_error", path="/api/v3/athlete/activities")
    assert c.get("/api/v3/athlete", headers=auth).status_code == 200
    assert c.get("/api/v3/athlete/activities", headers=auth).status_code == 500
    c.delete("/_sim/faults")
    _fault(c, kind="unavailable", path="/oauth/token", method="post", count=1)
    response = c.post("/oauth/token", data={"grant_type": "refresh_token"})
    assert response.status_code == 503 and "x-ratelimit-usage" not in response.headers
    assert c.get("/_sim/athletes").status_code == 200  # the control API is never faulted


def test_remove_one_fault(session: Any) -> None:
    c, auth = session
    rule = _fault(c, kind="server_error")
    assert c.delete(f"/_sim/faults/{rule['id']}").status_code == 204
    assert c.delete(f"/_sim/faults/{rule['id']}").status_code == 404
    assert c.get("/api/v3/athlete", headers=auth).status_code == 200


@pytest.mark.parametrize(
    "spec",
    [
        {"kind": "meteor"},
        {"kind": "slow", "count": 0},
        {"kind": "slow", "probability": 2},
        {"kind": "slow", "delay": -1},
    ],
)
def test_invalid_fault_specs(client: Any, spec: dict[str, Any]) -> None:
    assert client.post("/_sim/faults", json=spec).status_code == 422


def test_over_real_http_truncation_breaks_the_connection() -> None:
    app = create_app(config(FakeClock()))
    with live(app) as base, httpx.Client(base_url=base, timeout=5) as http:
        athlete = http.get("/_sim/athletes").json()[0]["id"]
        token = http.post(
            f"/_sim/athletes/{athlete}/token", json={"scope": "read,activity:read"}
        ).json()["access_token"]
        http.post("/_sim/faults", json={"kind": "truncated", "count": 1})
        with pytest.raises(httpx.RemoteProtocolError):
            http.get("/api/v3/athlete/activities", headers=bearer(token))
        http.post("/_sim/faults", json={"kind": "malformed_json", "count": 1})
        broken = http.get("/api/v3/athlete/activities", headers=bearer(token))
        with pytest.raises(json.JSONDecodeError):
            json.loads(broken.content)
        http.post("/_sim/faults", json={"kind": "timeout", "count": 1, "delay": 1.0})
        with pytest.raises(httpx.ReadTimeout):
            http.get("/api/v3/athlete", headers=bearer(token), timeout=0.2)
        assert http.get("/api/v3/athlete", headers=bearer(token)).status_code == 200
