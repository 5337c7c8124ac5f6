"""The plan through MCP, over HTTP with the SDK's client: a read-write token sets a goal
and moves, skips, swaps and adds sessions with the plan pages' own service calls (the
calendar feed shows the move); a read token may read the plan and change nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from mcp import Client
from sqlalchemy import select

from fitcoach.mcp.tokens import Scope
from fitcoach.models import TrainingPlan
from fitcoach.planning.service import feed_token
from tests.assistant.support import TODAY, World, connected, run_async
from tests.conftest import RunningServer


async def _call(client: Client, name: str, arguments: dict[str, Any]) -> Any:
    result = await client.call_tool(name, arguments)
    assert not result.is_error, result.content
    return result.structured_content


def _sessions_ahead(plan: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (day["day"], s)
        for day in plan["days"]
        if day["day"] > str(TODAY)
        for s in day["sessions"]
        if s["id"] is not None
    ]


def _version(world: World) -> int:
    with world.store.sessions() as session:
        return int(session.scalars(select(TrainingPlan.version)).one())


@pytest.mark.parametrize("world_url", ["sqlite", "postgres"], indirect=True)
def test_a_read_write_token_changes_the_plan_and_the_calendar_shows_it(
    world: World, served: RunningServer
) -> None:
    token = world.token(world.own, Scope.READ_WRITE)
    goal_day = TODAY + timedelta(days=56)

    async def session() -> dict[str, Any]:
        async with connected(served, token) as client:
            goal = await _call(
                client,
                "set_goal",
                {
                    "name": "Spring 100",
                    "day": str(goal_day),
                    "priority": "A",
                    "sport": "ride",
                    "weekly_hours": 8,
                    "sports": ["ride", "run"],
                },
            )
            plan = await _call(client, "get_plan", {"end": str(TODAY + timedelta(days=13))})
            ahead = _sessions_ahead(plan)
            first_day, first = ahead[0]
            rest_days = [
                day["day"]
                for day in plan["days"]
                if day["day"] > str(TODAY) and not day["sessions"]
            ]
            moved = await _call(
                client, "move_workout", {"workout_id": first["id"], "to_day": rest_days[0]}
            )
            # The next sessions but the moved one: swap two, skip a third.
            later = await _call(client, "get_plan", {"end": str(TODAY + timedelta(days=27))})
            others = [s for day, s in _sessions_ahead(later) if day != rest_days[0]]
            swapped = await _call(
                client,
                "swap_workouts",
                {"workout_id": others[0]["id"], "other_workout_id": others[1]["id"]},
            )
            skipped = await _call(client, "skip_workout", {"workout_id": others[2]["id"]})
            added = await _call(
                client,
                "add_workout",
                {
                    "day": str(TODAY + timedelta(days=12)),
                    "sport": "run",
                    "workout_type": "endurance",
                    "minutes": 45,
                },
            )
            bad = await client.call_tool(
                "move_workout", {"workout_id": 987654, "to_day": str(TODAY)}
            )
            return {
                "goal": goal,
                "first": (first_day, first),
                "to_day": rest_days[0],
                "moved": moved,
                "swapped": swapped,
                "skipped": skipped,
                "added": added,
                "bad": bad,
            }

    done = run_async(session)
    assert done["goal"]["plan"]["goal"]["name"] == "Spring 100"
    first_day, first = done["first"]
    moved = done["moved"]
    assert moved["version"] == done["goal"]["version"] + 1
    assert f"from {first_day} to {done['to_day']}" in moved["note"]
    on_new_day = next(d for d in moved["plan"]["days"] if d["day"] == done["to_day"])
    assert [s["name"] for s in on_new_day["sessions"]] == [first["name"]]
    assert on_new_day["sessions"][0]["locked"]
    assert next(d for d in moved["plan"]["days"] if d["day"] == first_day)["sessions"] == []
    assert "swapped" in done["swapped"]["note"] and "skipped" in done["skipped"]["note"]
    assert done["added"]["version"] == moved["version"] + 3
    added_day = next(
        d for d in done["added"]["plan"]["days"] if d["day"] == str(TODAY + timedelta(days=12))
    )
    assert [s["sport"] for s in added_day["sessions"]] == ["run"]
    assert done["bad"].is_error and "987654" in done["bad"].content[0].text
    # The owner holds Strava data: how sessions compare with what was done is withheld.
    assert moved["plan"]["withheld"] and all(
        s["status"] is None for d in moved["plan"]["days"] for s in d["sessions"]
    )

    with world.store.sessions() as session:
        feed = feed_token(session, world.own)
    calendar = httpx.get(f"{served.url}/calendar/{feed}.ics").text
    unfolded = calendar.replace("\r\n ", "")
    new_day = done["to_day"].replace("-", "")
    assert f"DTSTART;VALUE=DATE:{new_day}" in unfolded
    assert f"DTSTART;VALUE=DATE:{first_day.replace('-', '')}" not in unfolded


def test_a_read_token_reads_the_plan_and_changes_nothing(
    world: World, served: RunningServer
) -> None:
    writer = world.token(world.own, Scope.READ_WRITE)
    reader = world.token(world.own, Scope.READ)

    async def session() -> tuple[Any, Any, Any]:
        async with connected(served, writer) as client:
            await _call(client, "set_goal", {"weekly_hours": 6, "sports": ["run"]})
        async with connected(served, reader) as client:
            plan = await _call(client, "get_plan", {})
            workout = _sessions_ahead(plan)[0][1]
            move = await client.call_tool(
                "move_workout", {"workout_id": workout["id"], "to_day": str(TODAY)}
            )
            goal = await client.call_tool("set_goal", {"weekly_hours": 20})
            return plan, move, goal

    plan, move, goal = run_async(session)
    before = plan["version"]
    for refused in (move, goal):
        assert refused.is_error
        assert "this token is read-only" in refused.content[0].text
    assert _version(world) == before
