"""What the budget allows: the limits, the priorities, and the share of a window each may use."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from enum import IntEnum
from typing import TYPE_CHECKING

from fitcoach.strava.budget.errors import BudgetConfigError
from fitcoach.strava.budget.windows import Window, window_start

if TYPE_CHECKING:
    from fitcoach.core.settings import Settings

# Shares are kept as integer basis points so that the Lua script and Python compute the
# same cap: a float share times a limit can land a hair under an integer.
BASIS = 10_000

APP = "app"
APP_READ = "app-read"


def athlete_scope(athlete_id: int) -> str:
    return f"athlete:{athlete_id}"


class Priority(IntEnum):
    """Who is waiting for a request; a higher value may use more of each window."""

    BACKFILL = 0
    SCHEDULED = 1
    WEBHOOK = 2
    INTERACTIVE = 3

    @property
    def label(self) -> str:
        return _PRIORITY_LABELS[self]

    @property
    def metric_label(self) -> str:
        """The priority as the metrics label it (``backfill``, ``interactive``…)."""
        return self.name.lower()


_PRIORITY_LABELS = {
    Priority.BACKFILL: "backfill",
    Priority.SCHEDULED: "scheduled sync",
    Priority.WEBHOOK: "webhook follow-up",
    Priority.INTERACTIVE: "an interactive request",
}


@dataclass(frozen=True, slots=True)
class Limits:
    """Requests allowed per window: the application's overall and read limits, per athlete.

    fitcoach only reads, so every request counts against both application limits.
    """

    short: int = 100
    long: int = 1000
    read_short: int = 100
    read_long: int = 1000
    athlete_short: int = 50
    athlete_long: int = 500

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise BudgetConfigError(
                    f"budget limit {item.name} must be a whole number of requests >= 1, "
                    f"not {value!r}"
                )

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            short=settings.strava_short_limit,
            long=settings.strava_long_limit,
            read_short=settings.strava_read_short_limit,
            read_long=settings.strava_read_long_limit,
            athlete_short=settings.strava_athlete_short_limit,
            athlete_long=settings.strava_athlete_long_limit,
        )


@dataclass(frozen=True, slots=True)
class Shares:
    """The fraction of each window a priority may fill; the rest is kept for those above it.

    Shares apply to every window a request draws on, the athlete's quota included, so a
    backfill leaves room for that athlete's own page views too.
    """

    backfill: float = 0.70
    scheduled: float = 0.85
    webhook: float = 0.95
    interactive: float = 1.0

    def __post_init__(self) -> None:
        previous = ("", 0.0)
        for item in fields(self):
            value = getattr(self, item.name)
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or not 0.0 <= value <= 1.0
            ):
                raise BudgetConfigError(
                    f"budget share {item.name} must be a fraction between 0 and 1, not {value!r}"
                )
            # A lower priority with a larger share would eat the reserve of the one above.
            if value < previous[1]:
                raise BudgetConfigError(
                    f"budget share {item.name} ({value}) is below {previous[0]} ({previous[1]}); "
                    "a higher priority may never use less of a window than a lower one"
                )
            previous = (item.name, value)

    @classmethod
    def from_settings(cls, settings: Settings) -> Shares:
        return cls(
            backfill=settings.strava_backfill_share,
            scheduled=settings.strava_scheduled_share,
            webhook=settings.strava_webhook_share,
        )

    def of(self, priority: Priority) -> float:
        return float(getattr(self, priority.name.lower()))

    def basis_points(self, priority: Priority) -> int:
        return round(self.of(priority) * BASIS)


def cap(limit: int, share_bp: int) -> int:
    """How many requests a priority with `share_bp` may have seen in a window of `limit`."""
    return limit * share_bp // BASIS


@dataclass(frozen=True, slots=True)
class Slot:
    """One counter: a scope's window that starts at `start`, with its configured limit.

    `learnable` slots are the application's: Strava reports their limits in its headers,
    and a limit learnt that way replaces the configured one in every process.
    """

    scope: str
    window: Window
    start: datetime
    limit: int
    learnable: bool

    @property
    def end(self) -> datetime:
        return self.start + self.window.length

    @property
    def limit_key(self) -> str:
        return f"{self.scope}:{self.window.value}"

    def describe(self) -> str:
        if self.scope == APP:
            return f"the {self.window.label} window"
        if self.scope == APP_READ:
            return f"the {self.window.label} read window"
        return f"athlete {self.scope.partition(':')[2]}'s {self.window.label} quota"


def app_slots(limits: Limits, at: datetime) -> list[Slot]:
    """The application's four counters at `at`: overall and read, short and daily."""
    configured = {
        (APP, Window.SHORT): limits.short,
        (APP, Window.DAILY): limits.long,
        (APP_READ, Window.SHORT): limits.read_short,
        (APP_READ, Window.DAILY): limits.read_long,
    }
    return [
        Slot(scope, window, window_start(window, at), limit, learnable=True)
        for (scope, window), limit in configured.items()
    ]


def athlete_slots(limits: Limits, athlete_id: int, at: datetime) -> list[Slot]:
    scope = athlete_scope(athlete_id)
    return [
        Slot(scope, Window.SHORT, window_start(Window.SHORT, at), limits.athlete_short, False),
        Slot(scope, Window.DAILY, window_start(Window.DAILY, at), limits.athlete_long, False),
    ]


def request_slots(
    limits: Limits, athlete_id: int | None, at: datetime, guard: timedelta = timedelta(0)
) -> list[Slot]:
    """Every counter one request draws on, in the one order all backends lock them in.

    A request made less than `guard` before a window ends may reach Strava after it ends
    and be counted in the next window there, so it is counted in both windows here.
    """
    moments = [at] if guard <= timedelta(0) else [at, at + guard]
    unique: dict[tuple[str, Window, datetime], Slot] = {}
    for moment in moments:
        slots = app_slots(limits, moment)
        if athlete_id is not None:
            slots += athlete_slots(limits, athlete_id, moment)
        unique.update({(slot.scope, slot.window, slot.start): slot for slot in slots})
    return sorted(unique.values(), key=lambda slot: (slot.scope, slot.window.value, slot.start))


def priority_metric_label(priority: int, counted: bool = True) -> str:
    """The metrics label of a request's priority; calls outside Strava's rate limits
    (OAuth, push subscriptions) are ``uncounted``."""
    if not counted:
        return "uncounted"
    try:
        return Priority(priority).metric_label
    except ValueError:
        return "unknown"
