"""The MCP server at /mcp, through the SDK's own client over streamable HTTP: every tool
answers from the athlete's own data, and whoever has no right to an answer is refused."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import httpx
import pytest
from mcp import Client
from sqlalchemy import select
from sqlalchemy.engine import URL

from fitcoach.mcp.registry import TOOLS
from fitcoach.mcp.tokens import revoke
from fitcoach.models import Activity, McpToken
from tests.assistant.support import (
    API_DISTANCE_M,
    NOW,
    OTHER,
    STRAVA_ONLY,
    TODAY,
    World,
    connected,
    days_ago,
    run_async,
    serve,
)
from tests.conftest import MovableClock, RunningServer


async def _call(client: Client, name: str, arguments: dict[str, Any] | None = None) -> Any:
    result = await client.call_tool(name, arguments or {})
    assert not result.is_error, result.content
    return result.structured_content


def _own_ride_id(world: World) -> int:
    with world.store.sessions() as session:
        return int(
            session.scalars(
                select(Activity.id).where(
                    Activity.athlete_id == world.own,
                    Activity.source == "archive",
                    Activity.sport_type == "Ride",
                )
            ).first()
        )


@pytest.mark.parametrize("world_url", ["sqlite", "postgres"], indirect=True)
def test_every_tool_answers_from_the_athletes_own_files(
    world: World, served: RunningServer
) -> None:
    token = world.token(world.own)
    ride_id = _own_ride_id(world)

    async def session() -> dict[str, Any]:
        async with connected(served, token) as client:
            listed = await client.list_tools()
            answers = {
                "tools": {tool.name: tool for tool in listed.tools},
                "fitness": await _call(
                    client,
                    "get_fitness_and_form",
                    {"start": str(days_ago(13)), "end": str(TODAY)},
                ),
                "week": await _call(client, "get_week_summary"),
                "activities": await _call(client, "list_activities", {"limit": 50}),
                "rides": await _call(
                    client,
                    "list_activities",
                    {"sport_types": ["Ride"], "start": str(days_ago(10)), "end": str(TODAY)},
                ),
                "activity": await _call(client, "get_activity", {"activity_id": ride_id}),
                "thresholds": await _call(client, "get_thresholds"),
                "metrics": await client.read_resource("fitcoach://docs/metrics"),
            }
            return answers

    answers = run_async(session)
    tools = answers["tools"]
    assert set(tools) == {spec.name for spec in TOOLS}
    assert all(tool.description and tool.output_schema for tool in tools.values())

    fitness = answers["fitness"]
    assert fitness["days"] == [str(days_ago(n)) for n in range(13, -1, -1)]
    assert len(fitness["fitness"]) == len(fitness["form"]) == 14
    assert fitness["fitness"][-1] == fitness["today"]["fitness"]
    assert fitness["today"]["fitness"] > 0
    assert fitness["sources"] == ["file", "archive"]
    assert "Strava" in fitness["withheld"]

    week = answers["week"]
    assert week["start"] == str(TODAY - timedelta(days=TODAY.weekday()))
    assert week["total"]["count"] >= 1

    activities = answers["activities"]["activities"]
    assert len(activities) == 9  # the archive's; the three API rides are withheld
    assert all(item["source"] == "archive" for item in activities)
    assert round(API_DISTANCE_M / 1000, 2) not in {item["distance_km"] for item in activities}
    assert {item["sport_type"] for item in answers["rides"]["activities"]} == {"Ride"}

    activity = answers["activity"]
    assert activity["activity"]["id"] == ride_id
    kinds = {zones["kind"] for zones in activity["zones"]}
    assert {"power", "heart_rate"} <= kinds
    power = next(zones for zones in activity["zones"] if zones["kind"] == "power")
    assert sum(zone["share"] for zone in power["zones"]) == pytest.approx(1.0, abs=0.01)

    thresholds = answers["thresholds"]
    ftp = next(t for t in thresholds["today"]["thresholds"] if t["name"] == "ftp")
    assert ftp["value"] == 250.0
    # The settings are dated from the start, as the loads were scored; the threshold pace
    # the athlete did not set is estimated from their files, with its source.
    dated = {d["name"]: d for d in thresholds["dated"]}
    assert (dated["ftp"]["value"], dated["ftp"]["effective_from"]) == (250.0, "1900-01-01")
    assert dated["ftp"]["source"] == "setting"
    assert dated["threshold_pace"]["source"].startswith("estimate from your files")
    # The archive's rides have power: a monthly estimate from their stored curves.
    assert thresholds["ftp_by_month"] and thresholds["critical_power"] is not None

    text = answers["metrics"].contents[0].text
    assert "Fitness" in text or "fitness" in text

    with world.store.sessions() as session:
        used = session.scalars(select(McpToken.last_used_at)).one()
    assert used == NOW


def test_requests_without_a_valid_token_get_401(
    world: World, served: RunningServer, clock: MovableClock
) -> None:
    revoked = world.token(world.own)
    expiring = world.token(world.own, days=1)
    with world.store.sessions() as session:
        revoked_id = session.scalars(select(McpToken.id).order_by(McpToken.id)).first()
    assert revoked_id is not None
    revoke(world.store.sessions, world.own, revoked_id, NOW)
    clock.now = NOW + timedelta(days=2)
    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/list",
        "params": {},
    }
    headers = {"Accept": "application/json, text/event-stream"}
    for token in (None, "fc_mcp_not-a-token", "something-else", revoked, expiring):
        sent = dict(headers)
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        response = httpx.post(f"{served.url}/mcp", json=initialize, headers=sent)
        assert response.status_code == 401, (token, response.text)
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert "settings page" in response.json()["error"]


def test_another_athletes_token_sees_only_its_own_athlete(
    world: World, served: RunningServer
) -> None:
    ride_id = _own_ride_id(world)
    token = world.token(OTHER)

    async def session() -> tuple[Any, Any]:
        async with connected(served, token) as client:
            refused = await client.call_tool("get_activity", {"activity_id": ride_id})
            listed = await _call(client, "list_activities", {"limit": 100})
            return refused, listed

    refused, listed = run_async(session)
    assert refused.is_error
    assert f"no activity {ride_id}" in refused.content[0].text
    assert len(listed["activities"]) == 3
    assert ride_id not in {item["id"] for item in listed["activities"]}
    assert listed["withheld"] is None  # this athlete holds no Strava data


def test_strava_only_data_is_withheld_by_default_and_shown_when_allowed(
    world: World, sqlite_url: URL, monkeypatch: pytest.MonkeyPatch, clock: MovableClock
) -> None:
    token = world.token(STRAVA_ONLY)
    with world.store.sessions() as session:
        api_ride = session.scalars(
            select(Activity.id).where(Activity.athlete_id == STRAVA_ONLY)
        ).first()

    async def session(server: RunningServer) -> tuple[Any, Any, Any]:
        async with connected(server, token) as client:
            fitness = await _call(client, "get_fitness_and_form")
            listed = await _call(client, "list_activities")
            activity = await client.call_tool("get_activity", {"activity_id": api_ride})
            return fitness, listed, activity

    server = serve(sqlite_url, monkeypatch, clock)
    try:
        fitness, listed, activity = run_async(session, server)
    finally:
        server.stop()
    assert fitness["today"] is None and fitness["days"] == []
    assert "Strava's API terms" in fitness["withheld"]
    assert listed["activities"] == [] and listed["withheld"]
    assert activity.is_error and "came from Strava's API" in activity.content[0].text

    allowed = serve(sqlite_url, monkeypatch, clock, COACH_LLM_ALLOW_STRAVA_DATA="true")
    try:
        fitness, listed, activity = run_async(session, allowed)
    finally:
        allowed.stop()
    assert fitness["today"]["fitness"] > 0 and fitness["withheld"] is None
    assert fitness["sources"] == ["file", "archive", "strava_api"]
    assert {item["distance_km"] for item in listed["activities"]} == {
        round(API_DISTANCE_M / 1000, 2)
    }
    assert not activity.is_error


def test_limits_rate_size_and_the_audit_log(
    world: World,
    sqlite_url: URL,
    monkeypatch: pytest.MonkeyPatch,
    clock: MovableClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = world.token(world.own)
    server = serve(
        sqlite_url, monkeypatch, clock, MCP_REQUESTS_PER_MINUTE="4", MCP_MAX_RESPONSE_KB="2"
    )

    async def session() -> tuple[Any, Any]:
        async with connected(server, token) as client:
            small = await client.call_tool("get_fitness_and_form", {"start": str(TODAY)})
            large = await client.call_tool("get_fitness_and_form", {"start": str(days_ago(365))})
            return small, large

    caplog.set_level(logging.INFO, logger="fitcoach.mcp")
    try:
        small, large = run_async(session)
        headers = {
            "Accept": "application/json, text/event-stream",
            "Authorization": f"Bearer {token}",
        }
        body = {"jsonrpc": "2.0", "id": 9, "method": "tools/list", "params": {}}
        statuses = [httpx.post(f"{server.url}/mcp", json=body, headers=headers) for _ in range(4)]
    finally:
        server.stop()
    assert not small.is_error
    assert large.is_error and "more than this server sends at once (2 KB)" in (
        large.content[0].text
    )
    refused = [response for response in statuses if response.status_code == 429]
    assert refused, [response.status_code for response in statuses]
    assert int(refused[0].headers["retry-after"]) >= 1

    audit = [record for record in caplog.records if record.getMessage() == "mcp tool"]
    assert [(r.tool, r.athlete_id, r.outcome) for r in audit] == [  # type: ignore[attr-defined]
        ("get_fitness_and_form", world.own, "ok"),
        ("get_fitness_and_form", world.own, "refused: ToolRefused"),
    ]
    # The audit says who called what and how it went, never the arguments or the answer.
    logged = json.dumps([record.__dict__ for record in audit], default=str)
    assert str(days_ago(365)) not in logged and 'fitness": ' not in logged
