"""Strava's per-application request budget: two limits, each with a 15-minute and a daily window.

Windows are aligned like Strava's: the short one restarts on the quarter hour (:00, :15,
:30, :45) and the daily one at 00:00 UTC. Every request counts, including those refused
for being over the limit.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

SHORT = 900
LONG = 86400


@dataclass
class Window:
    length: int
    start: int = 0
    usage: int = 0

    def hit(self, now: float) -> int:
        start = int(now) - int(now) % self.length
        if start != self.start:
            self.start, self.usage = start, 0
        self.usage += 1
        return self.usage

    def current(self, now: float) -> int:
        return self.usage if int(now) - int(now) % self.length == self.start else 0


@dataclass
class Budget:
    """One limit (overall or read) of one application."""

    short_limit: int
    long_limit: int
    short: Window = field(default_factory=lambda: Window(SHORT))
    long: Window = field(default_factory=lambda: Window(LONG))

    def hit(self, now: float) -> bool:
        """Count a request; True when it is over either window's limit."""
        over_short = self.short.hit(now) > self.short_limit
        over_long = self.long.hit(now) > self.long_limit
        return over_short or over_long

    def header_limit(self) -> str:
        return f"{self.short_limit},{self.long_limit}"

    def header_usage(self, now: float) -> str:
        return f"{self.short.current(now)},{self.long.current(now)}"

    def report(self, now: float) -> dict[str, Any]:
        return {
            "short": {
                "window_start": self.short.start,
                "usage": self.short.current(now),
                "limit": self.short_limit,
            },
            "long": {
                "window_start": self.long.start,
                "usage": self.long.current(now),
                "limit": self.long_limit,
            },
        }


@dataclass
class AppUsage:
    overall: Budget
    read: Budget


class RateLimiter:
    """Counts requests per application and tells whether each one is over the limit."""

    def __init__(
        self, short_limit: int, long_limit: int, read_short_limit: int, read_long_limit: int
    ) -> None:
        self.limits = (short_limit, long_limit, read_short_limit, read_long_limit)
        self.apps: dict[str, AppUsage] = {}
        self.endpoints: Counter[str] = Counter()
        self.total = 0

    def _app(self, client_id: str) -> AppUsage:
        usage = self.apps.get(client_id)
        if usage is None:
            s, lg, rs, rl = self.limits
            usage = AppUsage(Budget(s, lg), Budget(rs, rl))
            self.apps[client_id] = usage
        return usage

    def hit(self, client_id: str, endpoint: str, is_read: bool, now: float) -> bool:
        """Count one request; True when the application is over a limit."""
        self.total += 1
        self.endpoints[endpoint] += 1
        app = self._app(client_id)
        over = app.overall.hit(now)
        if is_read:
            over = app.read.hit(now) or over
        return over

    def headers(self, client_id: str, now: float) -> dict[str, str]:
        app = self._app(client_id)
        return {
            "X-RateLimit-Limit": app.overall.header_limit(),
            "X-RateLimit-Usage": app.overall.header_usage(now),
            "X-ReadRateLimit-Limit": app.read.header_limit(),
            "X-ReadRateLimit-Usage": app.read.header_usage(now),
        }

    def report(self, now: float) -> dict[str, Any]:
        return {
            "applications": {
                cid: {"overall": app.overall.report(now), "read": app.read.report(now)}
                for cid, app in self.apps.items()
            },
            "endpoints": dict(sorted(self.endpoints.items())),
            "total": self.total,
        }

    def set_limits(
        self, short_limit: int, long_limit: int, read_short_limit: int, read_long_limit: int
    ) -> None:
        """New limits from now on (Strava granting a limit increase); usage is kept."""
        self.limits = (short_limit, long_limit, read_short_limit, read_long_limit)
        for app in self.apps.values():
            app.overall.short_limit, app.overall.long_limit = short_limit, long_limit
            app.read.short_limit, app.read.long_limit = read_short_limit, read_long_limit

    def reset(self) -> None:
        self.apps.clear()
        self.endpoints.clear()
        self.total = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "apps": {
                cid: [
                    [w.start, w.usage]
                    for w in (a.overall.short, a.overall.long, a.read.short, a.read.long)
                ]
                for cid, a in self.apps.items()
            },
            "endpoints": dict(self.endpoints),
            "total": self.total,
        }

    def load(self, data: dict[str, Any]) -> None:
        for cid, windows in data.get("apps", {}).items():
            app = self._app(cid)
            for window, (start, usage) in zip(
                (app.overall.short, app.overall.long, app.read.short, app.read.long),
                windows,
                strict=True,
            ):
                window.start, window.usage = int(start), int(usage)
        self.endpoints = Counter(data.get("endpoints", {}))
        self.total = int(data.get("total", 0))


def is_upload(method: str, path: str) -> bool:
    """Strava's "non-upload" (read) limit covers everything but creating activities and uploads."""
    return method == "POST" and path.rstrip("/") in ("/api/v3/activities", "/api/v3/uploads")
