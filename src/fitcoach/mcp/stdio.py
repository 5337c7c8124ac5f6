"""The MCP server over stdio (``fitcoach mcp --athlete ID``): for a desktop assistant on
the machine fitcoach's database is on, started by the assistant itself. Every call speaks
for the one athlete the command names; stdout carries the protocol, the logs go to stderr.
"""

from __future__ import annotations

import anyio
from sqlalchemy.orm import Session, sessionmaker

from fitcoach.athletes.repository import get_athlete
from fitcoach.core.clock import Clock, utc_now
from fitcoach.core.settings import Settings
from fitcoach.mcp.errors import BadTokenRequest
from fitcoach.mcp.server import ServerSetup, build_server
from fitcoach.mcp.tokens import Caller, Scope


def stdio_setup(
    sessions: sessionmaker[Session],
    settings: Settings,
    athlete_id: int,
    scope: Scope,
    clock: Clock = utc_now,
) -> ServerSetup:
    """The server's setup for this athlete; refuses an athlete who is not stored."""
    with sessions() as session:
        if get_athlete(session, athlete_id) is None:
            raise BadTokenRequest(f"there is no athlete {athlete_id}")
    return ServerSetup(
        sessions,
        clock,
        settings.coach_llm_allow_strava_data,
        settings.mcp_max_response_kb * 1024,
        fixed_caller=Caller(athlete_id, scope),
        transport="stdio",
    )


def serve_stdio(setup: ServerSetup) -> None:
    """Answer MCP requests on stdin/stdout until the client closes them."""
    anyio.run(build_server(setup).run_stdio_async)
