"""Window arithmetic, aligned like Strava's: quarter hours and days, both in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum

from fitcoach.core.clock import Clock, utc_now
from fitcoach.strava.budget.errors import BudgetConfigError

__all__ = ["Clock", "Window", "as_utc", "describe_time", "utc_now", "window_end", "window_start"]


class Window(StrEnum):
    """The two windows of every Strava limit; the values are ``ApiUsage.window``."""

    SHORT = "15min"
    DAILY = "daily"

    @property
    def length(self) -> timedelta:
        return _LENGTHS[self]

    @property
    def label(self) -> str:
        return "15-minute" if self is Window.SHORT else "daily"


_LENGTHS = {Window.SHORT: timedelta(minutes=15), Window.DAILY: timedelta(days=1)}


def as_utc(at: datetime) -> datetime:
    """`at` in UTC; a naive time is refused because its zone would be a guess."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise BudgetConfigError(f"naive datetime {at!r}: the budget needs timezone-aware times")
    return at.astimezone(UTC)


def window_start(window: Window, at: datetime) -> datetime:
    """The start of the `window` that contains `at` (start inclusive, end exclusive)."""
    at = as_utc(at)
    if window is Window.SHORT:
        return at.replace(minute=at.minute - at.minute % 15, second=0, microsecond=0)
    return at.replace(hour=0, minute=0, second=0, microsecond=0)


def window_end(window: Window, at: datetime) -> datetime:
    """When the `window` containing `at` resets: the next window's start."""
    return window_start(window, at) + window.length


def describe_time(at: datetime, now: datetime) -> str:
    """``14:45 UTC``, with the date added when it is not `now`'s day (a daily reset)."""
    at, now = as_utc(at), as_utc(now)
    clock = at.strftime("%H:%M UTC")
    return clock if at.date() == now.date() else f"{clock} on {at.date().isoformat()}"
