"""FastAPI dependencies: what a handler may touch, declared in its signature.

``create_app`` builds one ``Services`` for the app's lifetime; handlers take what they
need as parameters (``Sessions``, ``PageReads``, ``CurrentAthlete``, ``Strava``,
``Queue``, ``Clock``…), so a handler's signature says what it touches and a test passes
its own clock, Strava client or queue to ``create_app`` instead of patching a global.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Annotated

from cryptography.fernet import MultiFernet
from fastapi import Depends, Request
from redis import Redis
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from fitcoach.core.clock import Clock as ClockFunction
from fitcoach.core.errors import FitcoachError, NotLoggedIn
from fitcoach.core.queue import TaskQueue
from fitcoach.core.settings import Settings
from fitcoach.strava.client import StravaClient
from fitcoach.web import sessions
from fitcoach.web.queries import session_version_of
from fitcoach.web.sessions import SessionPolicy
from fitcoach.web.throttle import LoginLimits

# Seconds a page read waits for its turn (``PageReader.turn``) before the answer is "busy".
READ_WAIT = 10.0


class Busy(FitcoachError):
    """Every page-read turn stayed taken for ``READ_WAIT`` seconds."""

    status = 503
    what_to_do = "Reload the page in a few seconds."
    headers = MappingProxyType({"Retry-After": "5"})


def read_slots(setting: int) -> int:
    """How many page reads run at once: the setting, or one per core this process may use."""
    if setting:
        return setting
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass(frozen=True)
class PageReader:
    """Turns to read a page's data from the store: at most ``read_slots`` at once.

    Requests run in a pool of 40 threads. Sixteen dashboard reads at once, each turning
    rows into numbers and HTML under Python's one interpreter lock (and, on SQLite, each
    through its own page cache), served half as many pages a second as two at a time did;
    the others wait here, costing nothing. Nothing that may wait on Strava runs inside a
    turn, and the pages compute after their turn.
    """

    engine: Engine
    turns: threading.BoundedSemaphore

    @contextmanager
    def turn(self) -> Iterator[Connection]:
        """A connection of the read engine, for as long as the block reads."""
        if not self.turns.acquire(timeout=READ_WAIT):
            raise Busy(f"fitcoach is busy: this page waited {READ_WAIT:.0f} s for the database.")
        try:
            with self.engine.connect() as connection:
                yield connection
        finally:
            self.turns.release()


@dataclass(frozen=True)
class Services:
    """What the web app holds for its lifetime, built once by ``create_app``."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    reader: PageReader
    key_ring: MultiFernet
    redis: Redis[bytes] | None
    strava: StravaClient
    queue: TaskQueue
    clock: ClockFunction = field(repr=False)
    session_policy: SessionPolicy = field(
        default=SessionPolicy(timedelta(days=7), timedelta(days=30))
    )
    logins: LoginLimits = field(default_factory=LoginLimits, repr=False)


# The accessors below are coroutines: a plain attribute read then runs on the event loop
# instead of costing each request a hop through the thread pool (FastAPI runs a plain
# ``def`` dependency there), which under a burst of webhook deliveries queued behind the
# database writes.
def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


async def _services(request: Request) -> Services:
    return services(request)


AppServices = Annotated[Services, Depends(_services)]


async def _settings(app: AppServices) -> Settings:
    return app.settings


async def _sessions(app: AppServices) -> sessionmaker[Session]:
    return app.sessions


async def _reader(app: AppServices) -> PageReader:
    return app.reader


async def _strava(app: AppServices) -> StravaClient:
    return app.strava


async def _queue(app: AppServices) -> TaskQueue:
    return app.queue


async def _logins(app: AppServices) -> LoginLimits:
    return app.logins


async def _now(app: AppServices) -> datetime:
    return app.clock()


# The request's "now", read once: every decision of one request is made at the same time.
Now = Annotated[datetime, Depends(_now)]


def session_athlete(request: Request, app: AppServices, now: Now) -> int | None:
    """The athlete this browser's login belongs to; never taken from the query or body.

    The login must still be current: begun under the athlete's present session version
    (one read by primary key), not idle too long, not too old (``fitcoach.web.sessions``).
    A login that has ended is cleared from the cookie.
    """
    login = sessions.login_of(request.session)
    if login is None:
        if sessions.ATHLETE in request.session:  # a cookie from before versions, or forged
            sessions.end(request.session)
        return None
    if app.session_policy.expired(login, now):
        sessions.end(request.session)
        return None
    with app.engine.connect() as connection:
        current = session_version_of(connection, login.athlete_id)
    if current != login.version:
        sessions.end(request.session)
        return None
    sessions.touch(request.session, login, now)
    return login.athlete_id


OptionalAthlete = Annotated[int | None, Depends(session_athlete)]


def current_athlete(athlete_id: OptionalAthlete) -> int:
    """The logged-in athlete, or a 401 that says to log in."""
    if athlete_id is None:
        raise NotLoggedIn("You are not logged in.")
    return athlete_id


AppSettings = Annotated[Settings, Depends(_settings)]
Sessions = Annotated[sessionmaker[Session], Depends(_sessions)]
PageReads = Annotated[PageReader, Depends(_reader)]
Strava = Annotated[StravaClient, Depends(_strava)]
Queue = Annotated[TaskQueue, Depends(_queue)]
CurrentAthlete = Annotated[int, Depends(current_athlete)]
Logins = Annotated[LoginLimits, Depends(_logins)]
