"""What sync work needs to run: the database, the key ring, the Strava client, a clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cryptography.fernet import MultiFernet
from sqlalchemy.orm import Session, sessionmaker

from fitcoach.strava.client import StravaClient


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class SyncContext:
    sessions: sessionmaker[Session]
    key_ring: MultiFernet
    strava: StravaClient
    clock: Callable[[], datetime] = field(default=utc_now)
