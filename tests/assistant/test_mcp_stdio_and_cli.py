"""``fitcoach mcp --athlete ID`` through the SDK's stdio client, and ``fitcoach mcp token``."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters
from sqlalchemy import select
from sqlalchemy.engine import URL

from fitcoach.cli import main
from fitcoach.core.clock import utc_now
from fitcoach.mcp.errors import InvalidToken
from fitcoach.mcp.registry import TOOLS
from fitcoach.mcp.tokens import Scope, authenticate
from fitcoach.models import McpToken
from tests.assistant.support import OTHER, World, run_async


def _stdio(url: URL, data_dir: Path, *args: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "fitcoach.cli", "mcp", *args],
        env={
            "PATH": os.environ.get("PATH", ""),
            "DATABASE_URL": url.render_as_string(hide_password=False),
            "DATA_DIR": str(data_dir),
            "LOG_LEVEL": "WARNING",
        },
    )


def test_stdio_serves_the_named_athlete(
    world: World, sqlite_url: URL, isolated_settings: Path
) -> None:
    async def session() -> tuple[set[str], Any, Any]:
        params = _stdio(sqlite_url, isolated_settings, "--athlete", str(OTHER))
        async with Client(params) as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            listed = await client.call_tool("list_activities", {"limit": 100})
            fitness = await client.call_tool("get_fitness_and_form", {})
            return names, listed, fitness

    names, listed, fitness = run_async(session)
    assert names == {spec.name for spec in TOOLS}
    assert not listed.is_error and not fitness.is_error
    activities = listed.structured_content["activities"]
    assert len(activities) == 3  # OTHER's own three, none of the first athlete's nine
    assert len(fitness.structured_content["days"]) == 42


def test_the_token_command_prints_a_working_token(
    world: World,
    sqlite_url: URL,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url.render_as_string(hide_password=False))
    code = main(
        ["mcp", "token", "--athlete", str(world.own), "--scope", "read-write", "--name", "Desk"]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    secret = out.strip()
    caller = authenticate(world.store.sessions, secret, utc_now())
    assert (caller.athlete_id, caller.scope) == (world.own, Scope.READ_WRITE)
    assert "Authorization: Bearer" in err and "/mcp" in err
    with world.store.sessions() as session:
        row = session.scalars(select(McpToken)).one()
    assert row.name == "Desk" and secret not in (row.token_hash, row.prefix)

    # Bad input: a clear error, and no token made.
    assert main(["mcp", "token", "--athlete", str(world.own), "--scope", "admin"]) == 1
    assert main(["mcp", "token", "--athlete", "999999", "--scope", "read"]) == 1
    err = capsys.readouterr().err
    assert "scope 'admin' is not one of: read, read-write" in err
    assert "there is no athlete 999999" in err
    with world.store.sessions() as session:
        assert len(session.scalars(select(McpToken)).all()) == 1
    with pytest.raises(InvalidToken):
        authenticate(world.store.sessions, secret + "x", utc_now())
