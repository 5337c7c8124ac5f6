"""The MCP server: the SDK's ``MCPServer`` with every tool of the registry, each call
checked (who asks, their scope), bounded (``MCP_MAX_RESPONSE_KB``) and audited (one log
line: tool, athlete, outcome; never the arguments or the answer).

Who asks comes from the transport: over HTTP the token checked by ``fitcoach.mcp.http``
(in the request's ASGI scope), over stdio the athlete the command was started for.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, get_type_hints

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker

from fitcoach import __version__
from fitcoach.core.clock import Clock
from fitcoach.core.errors import FitcoachError
from fitcoach.mcp.context import ToolContext, ToolSpec
from fitcoach.mcp.errors import InvalidToken, ScopeRefused, ToolRefused
from fitcoach.mcp.registry import TOOLS
from fitcoach.mcp.tokens import Caller

log = logging.getLogger("fitcoach.mcp")

# Where the HTTP layer leaves the checked caller in the request's ASGI scope.
CALLER_KEY = "fitcoach.mcp.caller"
METRICS_URI = "fitcoach://docs/metrics"
# docs/metrics.md as the wheel ships it, beside this module (pyproject.toml's force-include),
# and where it is in a checkout of the source (run from it, or installed editable).
PACKAGED_METRICS_DOC = "metrics.md"
SOURCE_METRICS_DOC = Path(__file__).resolve().parents[3] / "docs" / "metrics.md"

INSTRUCTIONS = (
    "fitcoach holds one athlete's training: their activities, training load, fitness "
    "(CTL), fatigue (ATL) and form (TSB), weekly totals and thresholds. Every answer says "
    "in 'sources' which data it was computed from and in 'withheld' when Strava data was "
    f"left out. The metric definitions are the resource {METRICS_URI}."
)


@dataclass(frozen=True)
class ServerSetup:
    """What every tool call needs: the store, the clock, the policy and the bounds."""

    sessions: sessionmaker[Session]
    clock: Clock
    allow_strava_data: bool
    max_response_bytes: int
    # Set for stdio: every call speaks for this athlete. Over HTTP each request's token.
    fixed_caller: Caller | None = None
    transport: str = "http"

    def caller_of(self, ctx: Context) -> Caller:
        if self.fixed_caller is not None:
            return self.fixed_caller
        request = ctx.request_context.request
        scope = getattr(request, "scope", None) or {}
        caller = scope.get(CALLER_KEY)
        if not isinstance(caller, Caller):
            raise InvalidToken("the request carries no checked token")
        return caller


def call_tool(
    setup: ServerSetup, spec: ToolSpec, caller: Caller, arguments: dict[str, Any]
) -> BaseModel:
    """Run one tool for this caller: the scope check, the call, the size bound, the audit
    line. A refusal is raised as the SDK's ``ToolError`` with the reason in words."""
    started = time.perf_counter()
    outcome = "ok"
    try:
        if spec.writes and not caller.may_write:
            raise ScopeRefused(
                f"{spec.name} changes the athlete's data and this token is read-only. "
                f"{ScopeRefused.what_to_do}"
            )
        context = ToolContext(caller, setup.sessions, setup.clock(), setup.allow_strava_data)
        answer = spec.function(context, **arguments)
        size = len(answer.model_dump_json())
        if size > setup.max_response_bytes:
            raise ToolRefused(
                f"the answer is {size // 1024} KB, more than this server sends at once "
                f"({setup.max_response_bytes // 1024} KB); ask for a shorter range or fewer items"
            )
        return answer
    except FitcoachError as refusal:
        outcome = f"refused: {type(refusal).__name__}"
        raise ToolError(str(refusal)) from refusal
    except Exception:
        outcome = "error"
        raise
    finally:
        log.info(
            "mcp tool",
            extra={
                "tool": spec.name,
                "athlete_id": caller.athlete_id,
                "outcome": outcome,
                "transport": setup.transport,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            },
        )


def _exposed(setup: ServerSetup, spec: ToolSpec) -> Callable[..., BaseModel]:
    """The tool as the SDK sees it: the registry function's own arguments and answer type,
    with the SDK's request context in place of the ``ToolContext``."""
    hints = get_type_hints(spec.function)
    own = list(inspect.signature(spec.function).parameters.values())[1:]

    def run(ctx: Context, **arguments: Any) -> BaseModel:
        return call_tool(setup, spec, setup.caller_of(ctx), arguments)

    parameters = [
        inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Context),
        *(p.replace(annotation=hints[p.name]) for p in own),
    ]
    run.__signature__ = inspect.Signature(parameters, return_annotation=hints["return"])  # type: ignore[attr-defined]
    run.__annotations__ = {
        "ctx": Context,
        **{p.name: hints[p.name] for p in own},
        "return": hints["return"],
    }
    run.__name__ = spec.name
    run.__doc__ = spec.description
    return run


def metrics_doc() -> Traversable | None:
    """Where docs/metrics.md is: in the installed package, else in the source checkout;
    None when neither has it."""
    packaged = resources.files(__package__ or "fitcoach.mcp") / PACKAGED_METRICS_DOC
    if packaged.is_file():
        return packaged
    return SOURCE_METRICS_DOC if SOURCE_METRICS_DOC.is_file() else None


def metric_definitions() -> str:
    """docs/metrics.md: how every number fitcoach shows is defined."""
    doc = metrics_doc()
    if doc is not None:
        return doc.read_text(encoding="utf-8")
    return "The metric definitions (docs/metrics.md) are not installed with this server."


def build_server(setup: ServerSetup) -> MCPServer[Any]:
    """An MCP server with every tool of the registry and the metric definitions."""
    server: MCPServer[Any] = MCPServer(
        "fitcoach", version=__version__, instructions=INSTRUCTIONS, log_level="WARNING"
    )
    for spec in TOOLS:
        server.add_tool(
            _exposed(setup, spec),
            name=spec.name,
            description=spec.description,
            annotations=ToolAnnotations(
                read_only_hint=not spec.writes, destructive_hint=False, open_world_hint=False
            ),
            structured_output=True,
        )
    server.resource(
        METRICS_URI,
        name="metric_definitions",
        title="How fitcoach defines its metrics",
        description="Training load, fitness, fatigue, form, ramp, thresholds and zones: "
        "what each number means and how it is computed.",
        mime_type="text/markdown",
    )(metric_definitions)
    return server
