"""How a failed sync or webhook task goes on, decided by the type of its error.

Every error a task meets falls in one of three kinds, and none ends the work silently:

- the database was unavailable or locked (a restart, a dropped connection, a busy SQLite
  file): tried again soon, 5 s and doubling up to 5 minutes, since it comes back by itself;
- Strava failed on its side (5xx, time-outs, malformed answers): tried again in 5 minutes;
- anything else is a fault of the data or of fitcoach (permanent): recorded where the
  athlete and the operator see it, and tried again only after an hour, so a fix deployed
  meanwhile resumes the work without a worker restart.

Budget refusals and a revoked connection are not failures: the tasks handle them before
asking here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from fitcoach.core.db import DatabaseUnavailable
from fitcoach.strava.errors import BadResponse, RateLimited, StravaError, Unavailable

DATABASE_FIRST_DELAY = timedelta(seconds=5)
DATABASE_MAX_DELAY = timedelta(minutes=5)
STRAVA_DELAY = timedelta(minutes=5)
PERMANENT_DELAY = timedelta(hours=1)


@dataclass(frozen=True)
class Next:
    """When a task's work should go on (None: it is done, or nothing can help), and how
    many failed tries in a row precede that (0 after progress or a budget deferral)."""

    at: datetime | None
    attempt: int = 0


class Failure(StrEnum):
    """The kind of an error, for its retry and for what is recorded."""

    DATABASE = "database"
    STRAVA = "strava"
    PERMANENT = "permanent"


def classify(error: BaseException) -> Failure:
    """The kind of ``error`` (by its type, never its text)."""
    if isinstance(error, OperationalError | InterfaceError | DatabaseUnavailable):
        return Failure.DATABASE
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return Failure.DATABASE
    if isinstance(error, Unavailable | BadResponse | RateLimited):
        return Failure.STRAVA
    return Failure.PERMANENT


def retry_delay(failure: Failure, attempt: int) -> timedelta:
    """How long to wait before the next try, after ``attempt`` failed tries in a row
    (the first failure is attempt 1)."""
    if failure is Failure.DATABASE:
        doubled: timedelta = DATABASE_FIRST_DELAY * (2 ** max(0, min(attempt - 1, 16)))
        return min(doubled, DATABASE_MAX_DELAY)
    if failure is Failure.STRAVA:
        return STRAVA_DELAY
    return PERMANENT_DELAY


def reason(error: BaseException) -> str:
    """The error in words for the athlete's sync state and /admin: its kind and its first
    line (a database error's driver message, not the statement and its parameters)."""
    failure = classify(error)
    origin = getattr(error, "orig", None)
    text = str(origin if origin is not None else error).strip().splitlines()
    detail = (text[0] if text else type(error).__name__)[:300]
    if failure is Failure.DATABASE:
        return f"The database was unavailable ({detail}); fitcoach tries again shortly."
    if failure is Failure.STRAVA:
        return f"Strava did not answer properly ({detail}); fitcoach tries again in 5 minutes."
    if isinstance(error, StravaError):
        return f"Strava refused a request ({type(error).__name__}: {detail})."
    return f"An unexpected error ({type(error).__name__}: {detail})."
