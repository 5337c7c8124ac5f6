"""The one clock: every "now" in fitcoach comes from a ``Clock``, so tests and the capacity
model drive the real code at a time of their choosing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)
