"""The simulator as a real server: `serve` in its own process, and the OAuth flow over HTTP."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx

from fitcoach.simulator import SimulatorConfig, create_app

from .conftest import SECRET, FakeClock, config
from .servers import free_port, live


def test_serve_starts_fifty_athletes_and_answers(tmp_path: Path) -> None:
    port = free_port()
    state = tmp_path / "state.json"
    code = (
        f"from pathlib import Path; from fitcoach.simulator import serve; "
        f"serve(port={port}, athletes=50, seed=3, read_short_limit=7, "
        f"state_file=Path({str(state)!r}))"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60  # generous: a loaded CI machine; measured < 2 s
        while True:
            try:
                athletes = httpx.get(f"http://127.0.0.1:{port}/_sim/athletes", timeout=1).json()
                break
            except httpx.HTTPError:
                assert proc.poll() is None, "the simulator exited"
                assert time.monotonic() < deadline, "the simulator did not start"
                time.sleep(0.05)
        assert len(athletes) == 50
        unauthorized = httpx.get(f"http://127.0.0.1:{port}/api/v3/athlete")
        assert unauthorized.status_code == 401
        assert unauthorized.headers["x-readratelimit-limit"] == "7,1000"
        assert state.exists()
    finally:
        proc.terminate()
        proc.wait(10)


def test_browser_style_oauth_over_http() -> None:
    app = create_app(config(FakeClock()))
    with live(app) as base, httpx.Client(base_url=base, timeout=5) as http:
        params = {
            "client_id": "1",
            "redirect_uri": "http://localhost:5555/callback",
            "response_type": "code",
            "approval_prompt": "auto",
            "scope": "read,activity:read_all",
            "state": "abc",
        }
        page = http.get("/oauth/authorize", params=params)
        assert "<form" in page.text
        athlete = http.get("/_sim/athletes").json()[1]["id"]
        form = {
            **params,
            "athlete_id": str(athlete),
            "decision": "approve",
            "grant": "activity:read_all",
        }
        back = http.post("/oauth/authorize", data=form)
        assert back.status_code == 302
        query = parse_qs(urlsplit(back.headers["location"]).query)
        token = http.post(
            "/oauth/token",
            data={
                "client_id": "1",
                "client_secret": SECRET,
                "code": query["code"][0],
                "grant_type": "authorization_code",
            },
        ).json()
        assert token["athlete"]["id"] == athlete
        listed = http.get(
            "/api/v3/athlete/activities",
            headers={"Authorization": f"Bearer {token['access_token']}"},
        )
        assert listed.status_code == 200 and listed.headers["x-ratelimit-usage"] == "1,1"


def test_default_config_matches_strava() -> None:
    cfg = SimulatorConfig()
    assert (cfg.short_limit, cfg.long_limit, cfg.read_short_limit, cfg.read_long_limit) == (
        200,
        2000,
        100,
        1000,
    )
    assert cfg.access_token_lifetime == 21600 and cfg.webhook_attempts == 3
    assert cfg.webhook_timeout == 2.0 and cfg.validation_timeout == 2.0
