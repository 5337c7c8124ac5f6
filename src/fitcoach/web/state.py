"""What the web app holds for its lifetime: settings, database, key ring, Redis."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from cryptography.fernet import MultiFernet
from redis import Redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from fitcoach.settings import Settings
from fitcoach.strava.client import StravaClient


@dataclass
class AppState:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    key_ring: MultiFernet
    redis: Redis[bytes] | None
    strava: StravaClient
    # Called with the athlete id after a successful connect (e.g. to start the backfill).
    on_connect: list[Callable[[int], None]] = field(default_factory=list)
