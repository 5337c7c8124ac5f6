"""What every strategy is given (the runtime) and what it must answer (views, presses, events).

A strategy decides when to call Strava; the calls themselves always go through fitcoach's
real StravaClient and budget gate, held in the runtime's SyncContext.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

import httpx

from fitcoach.capacity.harness import SimTime
from fitcoach.capacity.options import CapacityOptions
from fitcoach.strava.budget import Budget, Limits, Shares
from fitcoach.strava.client import StravaClient
from fitcoach.strava.gate import BudgetGate
from fitcoach.sync.context import SyncContext
from fitcoach.sync.repository import get_sync_state
from fitcoach.sync.webhooks.schemas import PushEvent

Task = Callable[[], None]


@dataclass
class Runtime:
    time: SimTime
    context: SyncContext
    # Run `task` at simulated time `at` (the run loop's stand-in for the task queue); the
    # calls it makes are reported under `cause`.
    schedule: Callable[[float, Task, str], None]
    options: CapacityOptions

    @property
    def client(self) -> StravaClient:
        return self.context.strava

    def now(self) -> datetime:
        return self.time.now()

    def later(self, seconds: float, task: Task, cause: str) -> None:
        self.schedule(self.time.seconds() + seconds, task, cause)

    def at(self, when: datetime | None, task: Task, cause: str, fallback_s: float = 900.0) -> None:
        """Run `task` when the budget said it may go (or after `fallback_s`)."""
        if when is None:
            self.later(fallback_s, task, cause)
        else:
            self.schedule(when.timestamp(), task, cause)

    def last_sync(self, athlete_id: int) -> datetime | None:
        with self.context.sessions() as session:
            state = get_sync_state(session, athlete_id)
            return state.last_sync_at if state else None


@dataclass(frozen=True)
class Shown:
    """What a page view showed: an error, or activities (None: what the store holds)."""

    failed: bool
    activities: dict[int, str] | None = None


class CountingGate(BudgetGate):
    """The budget gate, also counting the requests that went out (to attribute causes)."""

    def __init__(self, budget: Budget) -> None:
        super().__init__(budget)
        self.sent = 0

    def after(
        self, priority: int, athlete_id: int | None, endpoint: str, response: httpx.Response
    ) -> None:
        self.sent += 1
        super().after(priority, athlete_id, endpoint, response)


class Strategy(ABC):
    name: ClassVar[str]
    # Whether it subscribes to Strava's push events (the run then delivers them to it).
    webhooks: ClassVar[bool] = False

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    @classmethod
    @abstractmethod
    def budget_policy(cls, options: CapacityOptions) -> tuple[Limits, Shares]:
        """The limits and priority shares of the budget every call of this strategy passes."""

    def joined(self, athlete_id: int) -> None:  # noqa: B027 - most strategies do nothing
        """A new athlete connected (their tokens are stored)."""

    @abstractmethod
    def view(self, athlete_id: int) -> Shown:
        """The athlete opens their dashboard."""

    @abstractmethod
    def press(self, athlete_id: int) -> str:
        """The athlete presses "refresh"; the outcome in a word (done, failed, ...)."""

    def event(self, event: PushEvent) -> None:  # noqa: B027
        """A push event arrived (strategies with `webhooks` only)."""

    def quarter_hour(self) -> None:  # noqa: B027
        """A quarter hour began (periodic work)."""
