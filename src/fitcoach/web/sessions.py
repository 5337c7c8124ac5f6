"""Logins: what the session cookie carries, and when a login has ended.

The cookie is signed, not stored: by itself it would stay valid as long as its signature
(a copy works after logout). So it carries the athlete, the athlete's session version when
the login began, when it began and when it was last used; the server ends a login whose
version is no longer the athlete's (logout, disconnect, "sign out everywhere"), that has
been idle for SESSION_IDLE_MINUTES, or that began more than SESSION_MAX_DAYS ago.
"""

from __future__ import annotations

import secrets
from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fitcoach.core.settings import Settings

ATHLETE = "athlete_id"
VERSION = "session_version"
ISSUED = "issued_at"
SEEN = "seen_at"
CSRF = "csrf"
# The last-used time is written back at most this often (the cookie is set again anyway).
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Login:
    """What a session cookie says about its login."""

    athlete_id: int
    version: int
    issued: datetime
    seen: datetime


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta
    lifetime: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> SessionPolicy:
        return cls(
            idle=timedelta(minutes=settings.session_idle_minutes),
            lifetime=timedelta(days=settings.session_max_days),
        )

    def expired(self, login: Login, now: datetime) -> bool:
        return now - login.issued > self.lifetime or now - login.seen > self.idle


def begin(session: MutableMapping[str, Any], athlete_id: int, version: int, now: datetime) -> None:
    """A new login: whatever the session held before is dropped.

    The login's CSRF token is made here, once: were it made by the first page that needs
    it, two pages loading at once (two tabs after sign-in) would each make one, and the
    cookie that lands last would leave the other page's forms refused as stale.
    """
    session.clear()
    stamp = int(now.timestamp())
    session.update(
        {
            ATHLETE: athlete_id,
            VERSION: version,
            ISSUED: stamp,
            SEEN: stamp,
            CSRF: secrets.token_urlsafe(32),
        }
    )


def login_of(session: MutableMapping[str, Any]) -> Login | None:
    """The login the session cookie claims, or None (none, or not in this form)."""
    values = [session.get(key) for key in (ATHLETE, VERSION, ISSUED, SEEN)]
    numbers = [value for value in values if isinstance(value, int) and not isinstance(value, bool)]
    if len(numbers) != len(values):
        return None
    athlete_id, version, issued, seen = numbers
    try:
        return Login(
            athlete_id,
            version,
            datetime.fromtimestamp(issued, tz=UTC),
            datetime.fromtimestamp(seen, tz=UTC),
        )
    except (OverflowError, OSError, ValueError):
        return None


def touch(session: MutableMapping[str, Any], login: Login, now: datetime) -> None:
    """Note that the login was used now (for the idle timeout)."""
    if now - login.seen >= TOUCH_EVERY:
        session[SEEN] = int(now.timestamp())


def end(session: MutableMapping[str, Any]) -> None:
    session.clear()
