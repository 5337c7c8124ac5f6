"""Every simulator response validates against Strava's swagger models."""

from __future__ import annotations

from typing import Any

import pytest

from fitcoach.simulator.workouts import WORKOUTS

from .conftest import FakeClock, athlete_ids, authorize, bearer, make_client
from .spec import FAULT, assert_response, assert_valid, model_schema, response_schema

ALL_KEYS = (
    "time,distance,latlng,altitude,velocity_smooth,heartrate,cadence,watts,temp,moving,grade_smooth"
)


def test_spec_helper_resolves_every_model_the_simulator_serves() -> None:
    for path in (
        "/athlete",
        "/athlete/zones",
        "/athlete/activities",
        "/activities/{id}",
        "/activities/{id}/streams",
    ):
        schema = response_schema(path)
        assert "$ref" not in str(schema)


def test_spec_helper_rejects_wrong_types() -> None:
    schema = response_schema("/activities/{id}")
    with pytest.raises(AssertionError):
        assert_valid({"id": 1, "moving_time": 12.5}, schema)
    with pytest.raises(AssertionError):
        assert_valid({"id": 1, "sport_type": "Pogo"}, schema)
    with pytest.raises(AssertionError):
        assert_valid({"id": None}, schema)  # only fields Strava's examples show null may be


def test_athlete_summary_and_detail(client: Any) -> None:
    aid = athlete_ids(client)[0]
    for scope, state in (("read", 2), ("read,profile:read_all", 3)):
        body = client.get("/api/v3/athlete", headers=bearer(authorize(client, aid, scope))).json()
        assert body["resource_state"] == state
        assert_response(body, "/athlete")


def test_zones(client: Any) -> None:
    token = authorize(client, athlete_ids(client)[0], "read,profile:read_all")
    body = client.get("/api/v3/athlete/zones", headers=bearer(token)).json()
    assert_response(body, "/athlete/zones")
    assert body["power"]["zones"][-1]["max"] == -1


def _every_activity(c: Any, token: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    page = 1
    while True:
        chunk = c.get(
            "/api/v3/athlete/activities",
            headers=bearer(token),
            params={"per_page": 200, "page": page},
        ).json()
        if not chunk:
            return out
        out += chunk
        page += 1


@pytest.mark.parametrize("seed", [7, 8])
def test_every_summary_and_a_detail_per_workout_kind_validate(seed: int) -> None:
    with make_client(FakeClock(), seed=seed, history_days=60) as c:
        covered: set[str] = set()
        for aid in athlete_ids(c):
            token = authorize(c, aid)
            summaries = _every_activity(c, token)
            assert summaries
            assert_response(summaries, "/athlete/activities")
            for summary in summaries:
                kind = c.get(f"/_sim/activities/{summary['id']}").json()["workout"]
                if kind in covered:
                    continue
                covered.add(kind)
                detail = c.get(f"/api/v3/activities/{summary['id']}", headers=bearer(token))
                assert_response(detail.json(), "/activities/{id}")
        assert len(covered) >= 8
        streams = c.get(
            f"/api/v3/activities/{summaries[0]['id']}/streams",
            headers=bearer(token),
            params={"keys": ALL_KEYS},
        )
        assert_response(streams.json(), "/activities/{id}/streams")


@pytest.mark.parametrize("workout", WORKOUTS)
@pytest.mark.parametrize("key_by_type", ["true", "false"])
def test_stream_sets_validate_for_every_workout(
    client: Any, workout: str, key_by_type: str
) -> None:
    # Ten-minute sessions: the shapes are the same as for long ones, validation is faster.
    aid = athlete_ids(client)[2]  # the triathlete has bikes, shoes and a pool
    token = authorize(client, aid)
    act = client.post(
        f"/_sim/athletes/{aid}/activities", json={"generate": {"workout": workout, "duration": 600}}
    ).json()
    assert_response([act], "/athlete/activities")
    detail = client.get(f"/api/v3/activities/{act['id']}", headers=bearer(token)).json()
    assert_response(detail, "/activities/{id}")
    body = client.get(
        f"/api/v3/activities/{act['id']}/streams",
        headers=bearer(token),
        params={"keys": ALL_KEYS, "key_by_type": key_by_type},
    ).json()
    if key_by_type == "true":
        assert_response(body, "/activities/{id}/streams")
    else:  # the list form: each item is one of the StreamSet's streams plus its `type`
        by_type = {item.pop("type"): item for item in body}
        assert_response(by_type, "/activities/{id}/streams")


def test_manual_and_imported_activities_validate(client: Any) -> None:
    aid = athlete_ids(client)[0]
    token = authorize(client, aid)
    manual = client.post(
        f"/_sim/athletes/{aid}/activities",
        json={"generate": {"workout": "manual", "duration": 1800}},
    ).json()
    raw = {
        "name": "Imported <b>ride</b>",
        "sport_type": "Ride",
        "start_date": "2025-06-01T07:00:00Z",
        "start_date_local": "2025-06-01T09:00:00Z",
        "moving_time": 3600,
        "elapsed_time": 3700,
        "distance": 30000.0,
        "average_speed": 8.333,
        "total_elevation_gain": 120.0,
    }
    imported = client.post(f"/_sim/athletes/{aid}/activities", json={"raw": raw}).json()
    for act in (manual, imported):
        detail = client.get(f"/api/v3/activities/{act['id']}", headers=bearer(token)).json()
        assert_response(detail, "/activities/{id}")
        assert_response([act], "/athlete/activities")


@pytest.mark.parametrize(
    ("path", "status"),
    [("/api/v3/athlete", 401), ("/api/v3/activities/1", 404), ("/api/v3/athlete/zones", 401)],
)
def test_errors_are_faults(client: Any, path: str, status: int) -> None:
    token = authorize(client, athlete_ids(client)[0], "read,activity:read")
    headers = {} if status == 401 and path == "/api/v3/athlete" else bearer(token)
    response = client.get(path, headers=headers)
    assert response.status_code == status
    assert_valid(response.json(), model_schema(FAULT))
