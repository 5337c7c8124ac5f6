"""The webhook callback against forged and hostile requests (docs/security.md, findings 1,
5 and 6): a secret path, no oracle, bounded bodies and fields, a limit on wrong guesses."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import URL

from tests.sync.webhook_support import (
    CALLBACK,
    NOW,
    SECRET,
    Callback,
    callback_app,
    event_body,
)

HANDSHAKE = {"hub.mode": "subscribe", "hub.challenge": "abc123", "hub.verify_token": "let-me-in"}


@pytest.fixture
def callback(sqlite_url: URL) -> Iterator[Callback]:
    with callback_app(sqlite_url) as app:
        yield app


def test_only_the_secret_path_answers_and_others_touch_no_database(callback: Callback) -> None:
    client = callback.client
    assert client.post(CALLBACK, json=event_body()).status_code == 200
    assert client.get(CALLBACK, params=HANDSHAKE).json() == {"hub.challenge": "abc123"}
    with callback.no_database():
        for path in (
            "/webhooks/strava",  # the callback's address before it had a secret
            "/webhooks/strava/wrong-secret-of-the-right-length",
            f"/webhooks/strava/{SECRET[:-1]}",
            f"/webhooks/strava/{SECRET}x",
            "/webhooks/strava/%C3%A9t%C3%A9",
            f"/webhooks/strava/{SECRET}/more",
        ):
            for method in ("GET", "POST"):
                answer = client.request(method, path, json=event_body(object_id=57))
                assert answer.status_code == 404, (method, path, answer.text)
                assert answer.json()["error"]["reason"] == "Not Found"
    # A wrong secret is answered exactly as an address that does not exist (asked from
    # an address that has not spent its guesses above).
    fresh = TestClient(client.app, client=("192.0.2.1", 4000))
    unknown = fresh.post("/no/such/page", json=event_body())
    assert unknown.json() == fresh.post("/webhooks/strava/guess", json=event_body()).json()
    assert callback.stored() == 1


def test_a_rotated_secret_is_accepted_beside_the_new_one(sqlite_url: URL) -> None:
    new = "the-new-callback-secret"
    with callback_app(sqlite_url, strava_webhook_callback_secret=f"{new},{SECRET}") as app:
        assert app.client.post(f"/webhooks/strava/{new}", json=event_body()).status_code == 200
        old = app.client.post(CALLBACK, json=event_body(object_id=57))
        assert old.status_code == 200
        assert app.stored() == 2


def test_another_subscription_id_is_answered_like_an_accepted_event(callback: Callback) -> None:
    """No oracle: the answer is the same whether the subscription id is right or not."""
    right = callback.client.post(CALLBACK, json=event_body())
    wrong = callback.client.post(CALLBACK, json=event_body(object_id=57, subscription_id=1))
    assert (
        (wrong.status_code, wrong.json())
        == (right.status_code, right.json())
        == (
            200,
            {"status": "received"},
        )
    )
    assert callback.stored() == 1 and len(callback.queue.events) == 1


def test_guesses_without_the_secret_are_throttled_per_address_and_strava_never_is(
    callback: Callback,
) -> None:
    app = callback.client.app
    guesser = TestClient(app, client=("203.0.113.9", 4000))
    other = TestClient(app, client=("198.51.100.7", 4000))
    answers = [guesser.post(f"/webhooks/strava/guess-{i:04}", json={}) for i in range(40)]
    statuses = [answer.status_code for answer in answers]
    assert statuses[:10] == [404] * 10 and set(statuses[10:]) == {429}
    assert int(answers[-1].headers["retry-after"]) >= 1
    # Another address still gets its answer; the right secret is never throttled.
    assert other.post("/webhooks/strava/guess", json={}).status_code == 404
    assert guesser.post(CALLBACK, json=event_body()).status_code == 200
    # The bucket fills again with time.
    callback.clock.now = NOW + timedelta(minutes=1)
    assert guesser.post("/webhooks/strava/guess", json={}).status_code == 404
    assert callback.stored() == 1


def test_a_body_over_16_kb_is_refused_unread(callback: Callback) -> None:
    padded = json.dumps({**event_body(), "padding": "x" * 17_000}).encode()
    declared = callback.client.post(
        CALLBACK, content=padded, headers={"content-type": "application/json"}
    )
    assert declared.status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: the body is counted as it comes
        yield padded[:8000]
        yield padded[8000:]

    streamed = callback.client.post(CALLBACK, content=chunks())
    assert streamed.status_code == 413
    assert "16384 bytes" in streamed.json()["error"]["reason"]
    lying = callback.client.post(
        CALLBACK, content=b"{}", headers={"content-length": str(400 * 2**20)}
    )
    assert lying.status_code == 413
    assert callback.stored() == 0


OUT_OF_RANGE: list[tuple[dict[str, Any], str]] = [
    ({"event_time": 10**15}, "event_time"),
    ({"event_time": 10**30}, "event_time"),
    ({"event_time": int((NOW - timedelta(days=2)).timestamp())}, "event_time"),
    ({"event_time": int((NOW + timedelta(days=2)).timestamp())}, "event_time"),
    ({"object_id": 2**63}, "object_id"),
    ({"object_id": 2**64 + 1}, "object_id"),
    ({"owner_id": -7}, "owner_id"),
    ({"owner_id": 0}, "owner_id"),
    ({"subscription_id": 2**63}, "subscription_id"),
    ({"object_id": "56"}, "object_id"),
    ({"owner_id": True}, "owner_id"),
    ({"event_time": 1.5e9}, "event_time"),
    ({"subscription_id": "4242"}, "subscription_id"),
    ({"updates": {"title": 5}}, "updates"),
    ({"updates": {"authorized": "false", "is_admin": "true"}}, "updates"),
    ({"updates": {"title": "x" * 5000}}, "updates"),
    ({"updates": ["title"]}, "updates"),
    ({"object_type": "club"}, "object_type"),
]


@pytest.mark.parametrize(("change", "field"), OUT_OF_RANGE, ids=lambda value: str(value)[:40])
def test_out_of_range_or_mistyped_fields_are_a_400_that_names_them(
    callback: Callback, change: dict[str, Any], field: str
) -> None:
    answer = callback.client.post(CALLBACK, json=event_body(**change))
    assert answer.status_code == 400, answer.text
    reason = answer.json()["error"]["reason"]
    assert reason.startswith("Not a Strava push event") and field in reason
    assert callback.stored() == 0


def test_an_event_from_strava_as_its_documentation_shows_it_is_accepted(
    callback: Callback,
) -> None:
    body = event_body(
        aspect_type="update",
        object_id=1360128428,
        owner_id=134815,
        updates={"title": "Messy", "type": "Run", "private": "true"},
        # Fields Strava may add one day are no reason to refuse an event.
        new_field={"nested": [1, 2]},
    )
    assert callback.client.post(CALLBACK, json=body).status_code == 200
    assert callback.stored() == 1


def test_an_event_before_the_subscription_is_known_is_asked_again(sqlite_url: URL) -> None:
    """Registration in flight (Strava sends before fitcoach stored the id): a 503 makes
    Strava retry, instead of an event silently lost."""
    with callback_app(sqlite_url, strava_subscription_id=None) as app:
        answer = app.client.post(CALLBACK, json=event_body())
        assert answer.status_code == 503 and answer.headers["retry-after"] == "60"
        assert app.stored() == 0
