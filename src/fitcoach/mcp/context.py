"""What every MCP tool is given (``ToolContext``) and how the registry names a tool
(``ToolSpec``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from functools import cached_property
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker

from fitcoach.athletes.local_day import athlete_now
from fitcoach.mcp.tokens import Caller
from fitcoach.models import Source
from fitcoach.narrator.policy import WITHHELD, allowed_sources, strava_data_withheld


@dataclass(frozen=True)
class ToolContext:
    """What a tool call may use: who asks, the store, today, and the policy."""

    caller: Caller
    sessions: sessionmaker[Session]
    now: datetime
    allow_strava_data: bool

    @cached_property
    def local_now(self) -> datetime:
        """``now`` on the athlete's clock, read once a call and only by the tools that ask
        (one query: their newest activity's zone)."""
        with self.sessions() as session:
            return athlete_now(session, self.athlete_id, self.now)

    @property
    def today(self) -> date:
        """The athlete's today, as the pages and the plan have it, not UTC's."""
        return self.local_now.date()

    @property
    def zone(self) -> tzinfo:
        """Where the athlete is: a day's first moment is midnight there."""
        zone = self.local_now.tzinfo
        assert zone is not None  # athlete_now answers an aware time
        return zone

    @property
    def athlete_id(self) -> int:
        return self.caller.athlete_id

    @property
    def sources(self) -> tuple[Source, ...]:
        return allowed_sources(allow_strava_data=self.allow_strava_data)

    def withheld(self, session: Session) -> str | None:
        """The policy's note when it kept some of this athlete's data out of the answer."""
        held = strava_data_withheld(
            session, self.athlete_id, allow_strava_data=self.allow_strava_data
        )
        return WITHHELD if held else None

    def provenance(self, session: Session) -> dict[str, Any]:
        return {"sources": [str(s) for s in self.sources], "withheld": self.withheld(session)}


@dataclass(frozen=True)
class ToolSpec:
    """One tool: its name, its function, what a model reads to decide to call it, and
    whether it changes the athlete's data (then only a read-write token may call it)."""

    name: str
    function: Callable[..., BaseModel]
    description: str
    writes: bool = False
