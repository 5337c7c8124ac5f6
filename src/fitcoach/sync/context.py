"""What sync work needs to run: the database, the key ring, the Strava client, a clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Annotated

from cryptography.fernet import MultiFernet
from fastapi import Depends
from sqlalchemy.orm import Session, sessionmaker

from fitcoach.core.clock import Clock, utc_now
from fitcoach.core.crypto import key_ring
from fitcoach.core.db import make_engine, session_factory
from fitcoach.core.settings import load_settings
from fitcoach.strava.access import access_token
from fitcoach.strava.client import StravaClient
from fitcoach.strava.factory import strava_client
from fitcoach.web.deps import AppServices


@dataclass
class SyncContext:
    sessions: sessionmaker[Session]
    key_ring: MultiFernet
    strava: StravaClient
    clock: Clock = field(default=utc_now)

    def token(self, athlete_id: int) -> str:
        """The athlete's access token, refreshed when near expiry by this context's clock
        (the one its budget and its callers go by)."""
        return access_token(self.sessions, self.key_ring, self.strava, athlete_id, now=self.clock)


def sync_context(app: AppServices) -> SyncContext:
    """The web app's sync context: its sessions, key ring, Strava client and clock."""
    return SyncContext(app.sessions, app.key_ring, app.strava, app.clock)


# A handler's sync context, as a dependency.
Sync = Annotated[SyncContext, Depends(sync_context)]


@cache
def process_context() -> SyncContext:
    """This process's sync context for queue tasks, built once from the settings."""
    settings = load_settings()
    engine = make_engine(settings.database)
    return SyncContext(
        session_factory(engine), key_ring(settings.fernet_keys), strava_client(settings, engine)
    )
