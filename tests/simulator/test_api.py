"""API v3 read endpoints: listing, paging, ordering, visibility, detail and streams."""

from __future__ import annotations

import calendar
import time
from typing import Any

import pytest

from .conftest import FakeClock, athlete_ids, authorize, bearer, make_client


def _list(c: Any, token: dict[str, Any], **params: Any) -> Any:
    return c.get("/api/v3/athlete/activities", headers=bearer(token), params=params)


def _starts(items: list[dict[str, Any]]) -> list[str]:
    return [a["start_date"] for a in items]


@pytest.fixture
def busy() -> Any:
    """One athlete with a long history (two pages of 200 and more)."""
    with make_client(FakeClock(), athletes=1, history_days=500) as c:
        aid = athlete_ids(c)[0]
        yield c, authorize(c, aid)


def test_default_page_is_30_newest_first(busy: Any) -> None:
    c, token = busy
    items = _list(c, token).json()
    assert len(items) == 30
    assert _starts(items) == sorted(_starts(items), reverse=True)


def test_pages_tile_the_history_exactly_at_200(busy: Any) -> None:
    c, token = busy
    everything: list[dict[str, Any]] = []
    page = 1
    while True:
        chunk = _list(c, token, per_page=200, page=page).json()
        if not chunk:
            break
        assert len(chunk) <= 200
        everything += chunk
        page += 1
    ids = [a["id"] for a in everything]
    assert len(ids) == len(set(ids)) > 300
    assert len(_list(c, token, per_page=200, page=1).json()) == 200
    # Asking for more than 200 gets 200; nonsense sizes get the default.
    assert len(_list(c, token, per_page=500).json()) == 200
    assert len(_list(c, token, per_page=0).json()) == 30
    assert _list(c, token, per_page=200, page=page).json() == []
    assert _list(c, token, page=10_000).json() == []


def test_exactly_200_then_an_empty_page() -> None:
    with make_client(FakeClock(), athletes=1, history_days=1) as c:
        aid = athlete_ids(c)[0]
        token = authorize(c, aid)
        have = len(_list(c, token, per_page=200).json())
        for i in range(200 - have):
            c.post(
                f"/_sim/athletes/{aid}/activities",
                json={"generate": {"start": 1_700_000_000 + i * 7200, "duration": 600, "seed": i}},
            )
        assert len(_list(c, token, per_page=200).json()) == 200
        assert _list(c, token, per_page=200, page=2).json() == []


def test_after_alone_is_oldest_first(busy: Any) -> None:
    c, token = busy
    newest = _list(c, token, per_page=50).json()
    after = int(FakeClock().now) - 40 * 86400
    items = _list(c, token, after=after, per_page=200).json()
    assert _starts(items) == sorted(_starts(items))
    assert all(_epoch(a) > after for a in items)
    assert _epoch(items[-1]) == _epoch(newest[0])


def _epoch(activity: dict[str, Any]) -> int:
    return calendar.timegm(time.strptime(activity["start_date"], "%Y-%m-%dT%H:%M:%SZ"))


def test_before_and_after_together_are_newest_first_and_strict(busy: Any) -> None:
    c, token = busy
    sample = _list(c, token, per_page=100).json()
    before, after = _epoch(sample[10]), _epoch(sample[60])
    items = _list(c, token, before=before, after=after, per_page=200).json()
    assert [a["id"] for a in items] == [a["id"] for a in sample[11:60]]
    assert _list(c, token, before=after, after=before).json() == []


def test_before_alone(busy: Any) -> None:
    c, token = busy
    sample = _list(c, token, per_page=40).json()
    items = _list(c, token, before=_epoch(sample[20])).json()
    assert items[0]["id"] == sample[21]["id"]


def test_bad_parameter_is_400(busy: Any) -> None:
    c, token = busy
    response = _list(c, token, before="yesterday")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "before"


def test_private_activities_need_read_all(client: Any) -> None:
    aid = athlete_ids(client)[0]
    hidden = client.post(
        f"/_sim/athletes/{aid}/activities", json={"generate": {"private": True}}
    ).json()
    full = authorize(client, aid, "read,activity:read_all")
    public = authorize(client, aid, "read,activity:read")
    assert hidden["id"] in [a["id"] for a in _list(client, full, per_page=200).json()]
    assert hidden["id"] not in [a["id"] for a in _list(client, public, per_page=200).json()]
    assert (
        client.get(f"/api/v3/activities/{hidden['id']}", headers=bearer(full)).json()["private"]
        is True
    )
    assert (
        client.get(f"/api/v3/activities/{hidden['id']}", headers=bearer(public)).status_code == 404
    )


def test_read_scope_alone_cannot_list(client: Any) -> None:
    token = authorize(client, athlete_ids(client)[0], "read")
    response = _list(client, token)
    assert response.status_code == 401
    assert response.json()["errors"] == [
        {"resource": "AccessToken", "field": "activity:read_permission", "code": "missing"}
    ]


def test_other_athletes_activities(client: Any) -> None:
    me, other = athlete_ids(client)[:2]
    token = authorize(client, me)
    theirs = client.post(f"/_sim/athletes/{other}/activities", json={"generate": {}}).json()
    secret = client.post(
        f"/_sim/athletes/{other}/activities", json={"generate": {"private": True}}
    ).json()
    assert (
        client.get(f"/api/v3/activities/{theirs['id']}", headers=bearer(token)).status_code == 200
    )
    missing = client.get(f"/api/v3/activities/{secret['id']}", headers=bearer(token))
    assert missing.status_code == 404
    assert missing.json() == {
        "message": "Record Not Found",
        "errors": [{"resource": "Activity", "field": "id", "code": "invalid"}],
    }
    assert theirs["id"] not in [a["id"] for a in _list(client, token, per_page=200).json()]


def test_deleted_activity_is_404_and_leaves_the_list(client: Any) -> None:
    aid = athlete_ids(client)[0]
    token = authorize(client, aid)
    newest = _list(client, token).json()[0]
    assert client.delete(f"/_sim/activities/{newest['id']}").status_code == 204
    assert (
        client.get(f"/api/v3/activities/{newest['id']}", headers=bearer(token)).status_code == 404
    )
    assert (
        client.get(
            f"/api/v3/activities/{newest['id']}/streams",
            headers=bearer(token),
            params={"keys": "time"},
        ).status_code
        == 404
    )
    assert newest["id"] not in [a["id"] for a in _list(client, token).json()]


def test_unknown_and_malformed_ids(client: Any) -> None:
    token = authorize(client, athlete_ids(client)[0])
    for path in ("/api/v3/activities/99", "/api/v3/activities/abc"):
        response = client.get(path, headers=bearer(token))
        assert response.status_code == 404
        assert response.json()["message"] == "Record Not Found"


def test_detail_extends_the_summary(client: Any) -> None:
    token = authorize(client, athlete_ids(client)[0])
    summary = _list(client, token).json()[0]
    detail = client.get(f"/api/v3/activities/{summary['id']}", headers=bearer(token)).json()
    assert detail["resource_state"] == 3 and summary["resource_state"] == 2
    for key, value in summary.items():
        if key not in ("resource_state", "map"):
            assert detail[key] == value, key
    assert "laps" in detail and "calories" in detail


def test_streams_key_by_type_and_series(client: Any) -> None:
    token = authorize(client, athlete_ids(client)[0])
    act = next(
        a
        for a in _list(client, token, per_page=100).json()
        if a.get("device_watts") and a["distance"] > 0
    )
    url = f"/api/v3/activities/{act['id']}/streams"
    by_type = client.get(
        url, headers=bearer(token), params={"keys": "watts,heartrate,bogus", "key_by_type": "true"}
    ).json()
    # Strava adds the distance series stream even when it was not asked for.
    assert set(by_type) == {"watts", "heartrate", "distance"} or set(by_type) == {
        "watts",
        "distance",
    }
    n = by_type["watts"]["original_size"]
    assert n == act["moving_time"] == len(by_type["distance"]["data"])
    assert all(
        s["series_type"] == "distance" and s["resolution"] == "high" for s in by_type.values()
    )
    as_list = client.get(
        url, headers=bearer(token), params={"keys": "watts", "key_by_type": "false"}
    ).json()
    assert [s["type"] for s in as_list] == ["watts", "distance"]
    missing = client.get(url, headers=bearer(token))
    assert missing.status_code == 400
    assert missing.json()["errors"][0]["field"] == "keys"


def test_manual_activity_has_no_streams(client: Any) -> None:
    aid = athlete_ids(client)[0]
    token = authorize(client, aid)
    manual = client.post(
        f"/_sim/athletes/{aid}/activities", json={"generate": {"workout": "manual"}}
    ).json()
    assert manual["manual"] is True and manual["external_id"] is None
    streams = client.get(
        f"/api/v3/activities/{manual['id']}/streams",
        headers=bearer(token),
        params={"keys": "time,heartrate"},
    )
    assert streams.status_code == 200 and streams.json() == {}


def test_zones_need_profile_read_all(client: Any) -> None:
    token = authorize(client, athlete_ids(client)[0], "read,activity:read_all")
    response = client.get("/api/v3/athlete/zones", headers=bearer(token))
    assert response.status_code == 401
    assert response.json()["errors"][0]["field"] == "profile:read_all"


def test_unknown_path_is_a_strava_404(client: Any) -> None:
    response = client.get("/api/v3/segments/starred")
    assert response.status_code == 404
    assert response.json()["message"] == "Record Not Found"
    assert "x-ratelimit-usage" in response.headers
