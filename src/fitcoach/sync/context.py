"""What sync work needs to run: the database, the key ring, the Strava client, a clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cryptography.fernet import MultiFernet
from sqlalchemy.orm import Session, sessionmaker

from fitcoach.strava.access import access_token
from fitcoach.strava.client import StravaClient


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class SyncContext:
    sessions: sessionmaker[Session]
    key_ring: MultiFernet
    strava: StravaClient
    clock: Callable[[], datetime] = field(default=utc_now)

    def token(self, athlete_id: int) -> str:
        """The athlete's access token, refreshed when near expiry by this context's clock
        (the one its budget and its callers go by)."""
        return access_token(self.sessions, self.key_ring, self.strava, athlete_id, now=self.clock)
