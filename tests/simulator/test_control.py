"""The /_sim/ control API: athletes, activities, clock, tokens, deliveries."""

from __future__ import annotations

from typing import Any

from .conftest import START, FakeClock, athlete_ids, authorize, bearer


def test_overview_and_athletes(client: Any) -> None:
    overview = client.get("/_sim").json()
    assert overview["athletes"] == 3 and overview["limits"] == [200, 2000, 100, 1000]
    kinds = {a["kind"] for a in client.get("/_sim/athletes").json()}
    assert kinds == {"cyclist", "runner", "triathlete"}


def test_create_athlete_with_kind_history_and_seed(client: Any) -> None:
    one = client.post("/_sim/athletes", json={"kind": "runner", "history_days": 14, "seed": 5})
    assert one.status_code == 201
    body = one.json()
    assert body["kind"] == "runner" and 0 < body["activities"] < 20
    token = authorize(client, body["id"])
    listed = client.get("/api/v3/athlete/activities", headers=bearer(token)).json()
    assert len(listed) == body["activities"]
    assert client.post("/_sim/athletes", json={"kind": "golfer"}).status_code == 422
    assert client.get("/_sim/athletes/1").status_code == 404


def test_add_generated_activity_defaults_to_just_finished(client: Any, clock: FakeClock) -> None:
    aid = athlete_ids(client)[0]
    act = client.post(
        f"/_sim/athletes/{aid}/activities",
        json={
            "generate": {
                "workout": "ride_intervals",
                "duration": 3600,
                "name": '<b>Tempo</b> & "hills"',
            }
        },
    ).json()
    assert act["name"] == '<b>Tempo</b> & "hills"' and act["moving_time"] == 3600
    assert act["workout_type"] == 12 and act["device_watts"] is True
    token = authorize(client, aid)
    newest = client.get("/api/v3/athlete/activities", headers=bearer(token)).json()[0]
    assert newest["id"] == act["id"]
    assert act["id"] > max(
        a["id"]
        for a in client.get(
            "/api/v3/athlete/activities", headers=bearer(token), params={"page": 2}
        ).json()
    )
    bad = client.post(f"/_sim/athletes/{aid}/activities", json={"generate": {"workout": "x"}})
    assert bad.status_code == 422


def test_add_raw_document_with_streams(client: Any) -> None:
    aid = athlete_ids(client)[0]
    raw = {
        "id": 12345678987654321,
        "name": "Happy Friday",
        "type": "Ride",
        "sport_type": "MountainBikeRide",
        "start_date": "2018-02-16T14:52:54Z",
        "start_date_local": "2018-02-16T06:52:54Z",
        "moving_time": 4,
        "elapsed_time": 4,
        "distance": 28.1,
        "average_watts": 185.5,
        "segment_efforts": [],
        "calories": 870.2,
    }
    streams = [
        {"type": "watts", "data": [180, 185, 190, 187]},
        {"type": "distance", "data": [0.0, 7.0, 14.1, 28.1]},
    ]
    created = client.post(
        f"/_sim/athletes/{aid}/activities", json={"raw": raw, "streams": streams}
    ).json()
    assert created["id"] == raw["id"] and "calories" not in created
    token = authorize(client, aid)
    detail = client.get(f"/api/v3/activities/{raw['id']}", headers=bearer(token)).json()
    assert detail["calories"] == 870.2 and detail["athlete"]["id"] == aid
    got = client.get(
        f"/api/v3/activities/{raw['id']}/streams", headers=bearer(token), params={"keys": "watts"}
    ).json()
    assert got["watts"]["data"] == [180, 185, 190, 187]
    missing = client.post(f"/_sim/athletes/{aid}/activities", json={"raw": {"name": "x"}})
    assert missing.status_code == 422


def test_edit_reports_changes_and_validates(client: Any) -> None:
    aid = athlete_ids(client)[0]
    act = client.post(f"/_sim/athletes/{aid}/activities", json={"generate": {}}).json()
    url = f"/_sim/activities/{act['id']}"
    result = client.patch(url, json={"name": "n", "type": "Run", "description": "d"}).json()
    assert result == {
        "changed": ["description", "name", "sport_type"],
        "updates": {"title": "n", "type": "Run"},
    }
    assert client.patch(url, json={"sport_type": "Pogo"}).status_code == 422
    assert client.get(url).json()["type"] == "Run"
    assert client.delete(url).status_code == 204
    assert client.get(url).json()["deleted"] is True
    assert client.patch(url, json={"name": "x"}).status_code == 404
    assert client.patch("/_sim/activities/5", json={"name": "x"}).status_code == 404


def test_clock_set_advance_freeze(client: Any, clock: FakeClock) -> None:
    assert client.get("/_sim/clock").json()["now"] == START
    assert client.post("/_sim/clock", json={"advance": 90}).json()["now"] == START + 90
    clock.now += 10
    assert client.get("/_sim/clock").json()["now"] == START + 100
    frozen = client.post("/_sim/clock", json={"freeze": True, "set": START + 5000}).json()
    assert frozen["frozen_at"] == START + 5000
    clock.now += 50
    assert client.get("/_sim/clock").json()["now"] == START + 5000
    thawed = client.post("/_sim/clock", json={"freeze": False}).json()
    assert thawed["frozen_at"] is None and thawed["now"] == START + 5000
    clock.now += 1
    assert client.get("/_sim/clock").json()["now"] == START + 5001


def test_minted_tokens_work_like_oauth_ones(client: Any) -> None:
    aid = athlete_ids(client)[1]
    token = client.post(f"/_sim/athletes/{aid}/token", json={"scope": "read,profile:read_all"})
    assert token.json()["scope"] == "read,profile:read_all"
    me = client.get("/api/v3/athlete", headers=bearer(token.json())).json()
    assert me["id"] == aid and me["resource_state"] == 3
    bad = client.post(f"/_sim/athletes/{aid}/token", json={"scope": "all"})
    assert bad.status_code == 422


def test_deliveries_log_can_be_cleared(client: Any) -> None:
    assert client.get("/_sim/deliveries").json() == {"pending": 0, "deliveries": []}
    assert client.delete("/_sim/deliveries").status_code == 204
    assert client.post("/_sim/deliveries/wait").json() == {"idle": True, "pending": 0}


def test_control_docs_live_under_sim(client: Any) -> None:
    assert client.get("/_sim/openapi.json").status_code == 200
    assert client.get("/docs").status_code == 404
