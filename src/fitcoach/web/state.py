"""What the web app holds for its lifetime: settings, database, key ring, Redis."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.fernet import MultiFernet
from redis import Redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from fitcoach.settings import Settings


@dataclass
class AppState:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    key_ring: MultiFernet
    redis: Redis[bytes] | None
