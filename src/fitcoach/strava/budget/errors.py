"""The budget's errors; each message names what was wrong and what was expected."""

from __future__ import annotations

from fitcoach.core.errors import FitcoachError


class BudgetError(FitcoachError):
    """Base class for the budget's errors."""


class BudgetConfigError(BudgetError):
    """A limit, share or clock is not usable (negative limit, share outside 0..1, naive time)."""


class BadRateHeaders(BudgetError):
    """Strava's X-RateLimit-* / X-ReadRateLimit-* headers could not be read; nothing changed."""


class BudgetUnavailable(BudgetError):
    """The backend (database or Redis) holding the shared counters cannot be reached."""
