"""The state file: a demo survives a restart with its edits, tokens, subscription and clock."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fitcoach.simulator import create_app

from .conftest import FakeClock, TestClient, athlete_ids, authorize, bearer, config
from .servers import Callback, callback_server

CREDS = {"client_id": "1", "client_secret": "simulator-secret"}


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "sim" / "state.json"
    clock = FakeClock()
    cb = Callback()
    with callback_server(cb) as url:
        with TestClient(create_app(config(clock, state_file=path))) as c:
            assert path.exists()
            ids = athlete_ids(c)
            added = c.post("/_sim/athletes", json={"kind": "runner", "history_days": 30}).json()
            token = authorize(c, ids[0])
            listing = c.get(
                "/api/v3/athlete/activities", headers=bearer(token), params={"per_page": 5}
            ).json()
            edited, gone = listing[0]["id"], listing[1]["id"]
            c.patch(
                f"/_sim/activities/{edited}", json={"name": "Zürich ⛰ <i>edit</i>", "private": True}
            )
            c.delete(f"/_sim/activities/{gone}")
            new = c.post(
                f"/_sim/athletes/{ids[0]}/activities", json={"generate": {"workout": "run_tempo"}}
            ).json()
            c.post(
                "/api/v3/push_subscriptions",
                data={**CREDS, "callback_url": url, "verify_token": "vt"},
            )
            c.post("/_sim/clock", json={"advance": 600})
            c.get("/api/v3/athlete", headers=bearer(token))
            before = c.get(
                "/api/v3/athlete/activities", headers=bearer(token), params={"per_page": 50}
            ).json()
            usage = c.get("/_sim/usage").json()
        saved = json.loads(path.read_text(encoding="utf-8"))
        assert saved["version"] == 1 and "Zürich ⛰" in path.read_text(encoding="utf-8")

        clock2 = FakeClock()  # a new process: same wall clock, state restores the offset
        with TestClient(create_app(config(clock2, state_file=path, athletes=1))) as c:
            restored = c.get("/_sim/usage").json()
            assert restored["endpoints"] == usage["endpoints"]
            assert restored["applications"] == usage["applications"]
            assert athlete_ids(c) == [*ids, added["id"]]
            # Looked up by id before anything has regenerated its owner's history.
            assert (
                c.get(f"/api/v3/activities/{new['id']}", headers=bearer(token)).json()["id"]
                == new["id"]
            )
            after = c.get(
                "/api/v3/athlete/activities", headers=bearer(token), params={"per_page": 50}
            ).json()
            assert after == before
            assert (
                c.get(f"/api/v3/activities/{edited}", headers=bearer(token)).json()["name"]
                == "Zürich ⛰ <i>edit</i>"
            )
            assert c.get(f"/api/v3/activities/{gone}", headers=bearer(token)).status_code == 404
            assert new["id"] in [a["id"] for a in after]
            assert (
                c.get("/api/v3/push_subscriptions", params=CREDS).json()[0]["callback_url"] == url
            )
            assert c.get("/_sim/clock").json()["now"] == pytest.approx(clock.now + 600)
            refreshed = c.post(
                "/oauth/token",
                data={
                    **CREDS,
                    "grant_type": "refresh_token",
                    "refresh_token": token["refresh_token"],
                },
            )
            assert refreshed.status_code == 200


def test_corrupt_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text(json.dumps({"version": 99}), encoding="utf-8")
    with pytest.raises(ValueError, match="version"):
        create_app(config(FakeClock(), state_file=path))


def test_without_a_state_file_nothing_is_written(tmp_path: Path) -> None:
    with TestClient(create_app(config(FakeClock()))) as c:
        c.post("/_sim/athletes", json={"kind": "cyclist"})
        assert c.post("/_sim/state/save").json() == {"saved": False}
    assert list(tmp_path.iterdir()) == []
