"""Push subscriptions and webhook delivery against a real HTTP callback on loopback."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import SECRET, FakeClock, athlete_ids, authorize, bearer, make_client
from .servers import Callback, callback_server, free_port

CREDS = {"client_id": "1", "client_secret": SECRET}


def _subscribe(c: Any, url: str, verify_token: str = "vt") -> Any:
    return c.post(
        "/api/v3/push_subscriptions",
        data={**CREDS, "callback_url": url, "verify_token": verify_token},
    )


def _wait(c: Any) -> list[dict[str, Any]]:
    assert c.post("/_sim/deliveries/wait", params={"timeout": 10}).json()["idle"]
    deliveries: list[dict[str, Any]] = c.get("/_sim/deliveries").json()["deliveries"]
    return deliveries


@pytest.fixture
def hooked() -> Iterator[tuple[Any, Callback, int, FakeClock]]:
    """A simulator subscribed to a live callback, and an athlete who authorized with read_all."""
    cb = Callback()
    clock = FakeClock()
    with callback_server(cb) as url, make_client(clock, webhook_timeout=0.5) as c:
        assert _subscribe(c, url).status_code == 201
        aid = athlete_ids(c)[0]
        authorize(c, aid, "read,activity:read_all")
        yield c, cb, aid, clock


def test_handshake_creates_one_subscription_per_application() -> None:
    cb = Callback()
    with callback_server(cb) as url, make_client(FakeClock()) as c:
        created = _subscribe(c, url)
        assert created.status_code == 201 and created.json() == {"id": 1}
        (get,) = cb.received
        assert get.method == "GET"
        assert get.query["hub.mode"] == ["subscribe"] and get.query["hub.verify_token"] == ["vt"]
        assert len(get.query["hub.challenge"][0]) >= 16
        listed = c.get("/api/v3/push_subscriptions", params=CREDS).json()
        assert [(s["id"], s["callback_url"]) for s in listed] == [(1, url)]
        again = _subscribe(c, url)
        assert again.status_code == 400
        assert again.json()["errors"][0]["code"] == "already exists"
        assert c.delete("/api/v3/push_subscriptions/1", params=CREDS).status_code == 204
        assert c.get("/api/v3/push_subscriptions", params=CREDS).json() == []
        assert c.delete("/api/v3/push_subscriptions/1", params=CREDS).status_code == 404
        assert _subscribe(c, url).json() == {"id": 2}


@pytest.mark.parametrize("case", ["wrong_token", "slow", "unreachable", "no_echo"])
def test_handshake_failures_refuse_the_subscription(case: str) -> None:
    cb = Callback(delay=0.6 if case == "slow" else 0.0, echo=case != "no_echo")
    with callback_server(cb) as url, make_client(FakeClock(), validation_timeout=0.3) as c:
        target = f"http://127.0.0.1:{free_port()}/cb" if case == "unreachable" else url
        response = _subscribe(c, target, "other" if case == "wrong_token" else "vt")
        assert response.status_code == 400
        assert response.json()["errors"] == [
            {"resource": "PushSubscription", "field": "callback url", "code": "not verifiable"}
        ]
        assert c.get("/api/v3/push_subscriptions", params=CREDS).json() == []


def test_subscription_calls_need_the_client_secret(client: Any) -> None:
    bad = {"client_id": "1", "client_secret": "nope"}
    response = client.get("/api/v3/push_subscriptions", params=bad)
    assert response.status_code == 401
    assert response.json()["errors"][0]["field"] == "client_secret"
    assert (
        client.post(
            "/api/v3/push_subscriptions", data={**bad, "callback_url": "http://x"}
        ).status_code
        == 401
    )


def test_events_for_create_update_delete_and_deauthorization(hooked: Any) -> None:
    c, cb, aid, clock = hooked
    act = c.post(f"/_sim/athletes/{aid}/activities", json={"generate": {}}).json()
    clock.now += 60
    c.patch(f"/_sim/activities/{act['id']}", json={"name": "Café ride — Zürich"})
    c.patch(f"/_sim/activities/{act['id']}", json={"sport_type": "Run"})
    c.patch(f"/_sim/activities/{act['id']}", json={"private": True})
    c.patch(f"/_sim/activities/{act['id']}", json={"description": "no event for this"})
    c.patch(f"/_sim/activities/{act['id']}", json={"name": "Café ride — Zürich"})  # unchanged
    c.delete(f"/_sim/activities/{act['id']}")
    token = authorize(c, aid)
    c.post("/oauth/deauthorize", headers=bearer(token))
    deliveries = _wait(c)
    assert all(d["outcome"] == "delivered" for d in deliveries)
    events = [p.body for p in cb.posts()]
    assert [(e["object_type"], e["aspect_type"], e["updates"]) for e in events] == [
        ("activity", "create", {}),
        ("activity", "update", {"title": "Café ride — Zürich"}),
        ("activity", "update", {"type": "Run"}),
        ("activity", "update", {"private": "true"}),
        ("activity", "delete", {}),
        ("athlete", "update", {"authorized": "false"}),
    ]
    assert all(e["subscription_id"] == 1 and e["owner_id"] == aid for e in events)
    assert events[0]["object_id"] == act["id"] and events[-1]["object_id"] == aid
    assert events[0]["event_time"] == int(clock.now) - 60
    assert events[1]["event_time"] == int(clock.now)


def test_no_events_without_authorization_or_for_private_without_read_all(hooked: Any) -> None:
    c, cb, _aid, _ = hooked
    stranger = athlete_ids(c)[1]
    c.post(f"/_sim/athletes/{stranger}/activities", json={"generate": {}})
    limited = athlete_ids(c)[2]
    authorize(c, limited, "read,activity:read")
    c.post(f"/_sim/athletes/{limited}/activities", json={"generate": {"private": True}})
    shown = c.post(f"/_sim/athletes/{limited}/activities", json={"generate": {}}).json()
    c.patch(f"/_sim/activities/{shown['id']}", json={"private": True})
    _wait(c)
    assert [(p.body["owner_id"], p.body["aspect_type"]) for p in cb.posts()] == [
        (limited, "create")
    ]


def test_retries_until_200_three_attempts_in_all(hooked: Any) -> None:
    c, cb, aid, _ = hooked
    cb.statuses = [500, 503]
    c.post(f"/_sim/athletes/{aid}/activities", json={"generate": {}})
    (delivery,) = _wait(c)
    assert delivery["outcome"] == "delivered"
    assert [a["status"] for a in delivery["attempts"]] == [500, 503, 200]
    assert [a["number"] for a in delivery["attempts"]] == [1, 2, 3]
    assert len(cb.posts()) == 3


def test_gives_up_after_three_failed_attempts(hooked: Any) -> None:
    c, cb, aid, _ = hooked
    cb.statuses = [500, 404, 201, 200]  # 201 is not the 200 Strava wants
    c.post(f"/_sim/athletes/{aid}/activities", json={"generate": {}})
    (delivery,) = _wait(c)
    assert delivery["outcome"] == "failed"
    assert [a["status"] for a in delivery["attempts"]] == [500, 404, 201]
    assert len(cb.posts()) == 3


def test_a_slow_callback_counts_as_a_failed_attempt(hooked: Any) -> None:
    c, cb, aid, _ = hooked
    cb.delay = 0.8  # the test simulator waits 0.5 s (Strava: 2 s)
    c.post(f"/_sim/athletes/{aid}/activities", json={"generate": {}})
    (delivery,) = _wait(c)
    assert delivery["outcome"] == "failed"
    assert [a["error"] for a in delivery["attempts"]] == ["ReadTimeout"] * 3


def test_delivery_never_blocks_the_call_that_caused_it(hooked: Any) -> None:
    c, cb, aid, _ = hooked
    cb.gate = threading.Event()
    created = c.post(f"/_sim/athletes/{aid}/activities", json={"generate": {}})
    assert created.status_code == 201
    state = c.get("/_sim/deliveries").json()
    assert state["pending"] == 1 and state["deliveries"][0]["outcome"] == "pending"
    cb.gate.set()
    (delivery,) = _wait(c)
    assert delivery["outcome"] == "delivered"


def test_fault_drop_duplicate_and_reorder(hooked: Any) -> None:
    c, cb, aid, _ = hooked

    def add(name: str) -> None:
        c.post(f"/_sim/athletes/{aid}/activities", json={"generate": {"name": name}})

    c.post("/_sim/faults", json={"kind": "webhook_drop", "count": 1})
    add("dropped")
    c.post("/_sim/faults", json={"kind": "webhook_duplicate", "count": 1})
    add("twice")
    _wait(c)
    c.post("/_sim/faults", json={"kind": "webhook_reorder", "count": 1})
    add("late")
    add("early")
    deliveries = _wait(c)
    assert [d["outcome"] for d in deliveries] == [
        "dropped",
        "delivered",
        "delivered",
        "delivered",
        "delivered",
    ]
    assert deliveries[2]["note"] == "duplicate of delivery 2"
    ids = [p.body["object_id"] for p in cb.posts()]
    logged = [d["event"]["object_id"] for d in deliveries]
    assert ids[:2] == [logged[1], logged[1]]  # the duplicate arrives twice
    assert ids[2:] == [logged[4], logged[3]]  # "late" was overtaken by "early"
    assert logged[0] not in ids


def test_reordered_event_is_released_when_nothing_overtakes_it(hooked: Any) -> None:
    c, cb, aid, _ = hooked
    c.post("/_sim/faults", json={"kind": "webhook_reorder", "count": 1})
    c.post(f"/_sim/athletes/{aid}/activities", json={"generate": {}})
    (delivery,) = _wait(c)
    assert delivery["outcome"] == "delivered" and len(cb.posts()) == 1


def test_subscription_for_other_client_sees_nothing() -> None:
    cb = Callback()
    with callback_server(cb) as url, make_client(FakeClock()) as c:
        _subscribe(c, url)
        c.delete("/api/v3/push_subscriptions/1", params=CREDS)
        aid = athlete_ids(c)[0]
        authorize(c, aid)
        c.post(f"/_sim/athletes/{aid}/activities", json={"generate": {}})
        assert _wait(c) == []
