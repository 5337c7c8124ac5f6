"""Hostile bodies at the webhook callback (hypothesis): never a 500, nothing stored for a
bad body, and never more than one stored event per distinct genuine event."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy.engine import make_url

from fitcoach.sync.webhooks.schemas import PushEvent
from tests.sync.webhook_support import CALLBACK, NOW, SUBSCRIPTION, callback_app

NOW_S = int(NOW.timestamp())

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=50)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=20,
)
numbers = st.one_of(
    st.integers(min_value=1, max_value=10**6),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 2**63 - 1, 2**63, 2**64, 10**15, 10**30]),
    st.booleans(),
    st.floats(allow_nan=False),
    st.integers(min_value=1, max_value=10**6).map(str),
)
event_times = st.one_of(
    st.integers(min_value=NOW_S - 3 * 86400, max_value=NOW_S + 3 * 86400),
    numbers,
)
update_maps = st.one_of(
    st.just({}),
    st.dictionaries(
        st.sampled_from(["title", "type", "private", "authorized"]),
        st.one_of(st.text(max_size=1100), st.booleans(), st.sampled_from(["true", "false"])),
        max_size=4,
    ),
    st.dictionaries(st.text(max_size=20), json_values, max_size=3),
    json_values,
)
# Events as Strava sends them: a few owners and objects, so that some repeat.
valid_events = st.fixed_dictionaries(
    {
        "object_type": st.just("activity"),
        "object_id": st.integers(min_value=1, max_value=5),
        "aspect_type": st.sampled_from(["create", "update", "delete"]),
        "owner_id": st.integers(min_value=1, max_value=3),
        "subscription_id": st.just(SUBSCRIPTION),
        "event_time": st.integers(min_value=NOW_S - 86400, max_value=NOW_S + 86400),
        "updates": st.dictionaries(
            st.sampled_from(["title", "type", "private"]), st.text(max_size=30), max_size=2
        ),
    }
) | st.builds(
    lambda owner, when: {
        "object_type": "athlete",
        "object_id": owner,
        "aspect_type": "update",
        "owner_id": owner,
        "subscription_id": SUBSCRIPTION,
        "event_time": when,
        "updates": {"authorized": "false"},
    },
    st.integers(min_value=1, max_value=3),
    st.integers(min_value=NOW_S - 60, max_value=NOW_S),
)
hostile_fields = st.fixed_dictionaries(
    {
        "object_type": st.text(max_size=10) | json_values,
        "object_id": numbers | json_values,
        "aspect_type": json_scalars,
        "owner_id": numbers,
        "subscription_id": numbers,
        "event_time": event_times,
        "updates": update_maps,
        "extra": json_values,
    }
)


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    """A valid event with one to three fields replaced by hostile values, or removed."""
    event = dict(draw(valid_events))
    hostile = draw(hostile_fields)
    for name in draw(st.lists(st.sampled_from(sorted(hostile)), min_size=1, max_size=3)):
        if draw(st.booleans()) or name == "extra":
            event[name] = hostile[name]
        else:
            event.pop(name, None)
    return event


def padded(size: int) -> bytes:
    return json.dumps({"object_type": "activity", "title": "x" * size}).encode()


# Bodies: genuine events, events with hostile fields, any JSON at all, huge strings,
# bytes that are not JSON.
bodies = st.one_of(
    valid_events.map(lambda value: json.dumps(value).encode()),
    mutated().map(lambda value: json.dumps(value).encode()),
    json_values.map(lambda value: json.dumps(value).encode()),
    st.integers(min_value=15_000, max_value=40_000).map(padded),
    st.binary(max_size=2_000),
)


def genuine(body: bytes) -> dict[str, Any] | None:
    """The event fitcoach should keep from this body: None when it must store nothing."""
    try:
        event = PushEvent.model_validate_json(body)
    except ValidationError:
        return None
    if abs(event.event_time - NOW_S) > 86400 or event.subscription_id != SUBSCRIPTION:
        return None
    if event.object_type == "athlete" and not event.is_deauthorization:
        return None
    return event.model_dump()


def test_hostile_bodies_never_fail_and_store_only_genuine_events_once(tmp_path: Path) -> None:
    # One app for every example: a fresh database per example would take minutes.
    seen: set[str] = set()
    with callback_app(make_url(f"sqlite:///{tmp_path / 'fuzz.db'}")) as callback:

        @settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(batch=st.lists(bodies, min_size=1, max_size=4))
        def post(batch: list[bytes]) -> None:
            for body in batch:
                for _ in range(2):  # Strava's retry of the same delivery
                    before = callback.stored()
                    answer = callback.client.post(
                        CALLBACK, content=body, headers={"content-type": "application/json"}
                    )
                    assert answer.status_code in (200, 400, 413), answer.text
                    kept = genuine(body) if answer.status_code == 200 else None
                    if kept is None:
                        assert callback.stored() == before, body[:200]
                    else:
                        seen.add(json.dumps(kept, sort_keys=True))
                    assert callback.stored() <= len(seen)

        post()
