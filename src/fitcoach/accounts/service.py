"""Logins: begun on an account, ended here or everywhere."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from fitcoach.athletes.repository import end_sessions
from fitcoach.core.db import transaction
from fitcoach.core.errors import NotLoggedIn
from fitcoach.web import sessions
from fitcoach.web.queries import session_version_of


def begin_login(
    store: sessionmaker[Session], cookie: dict[str, Any], athlete_id: int, now: datetime
) -> None:
    """Log this browser in to the account, under the account's present session version."""
    with store() as session:
        version = session_version_of(session, athlete_id)
    if version is None:  # deleted in the instant since: nothing to log in to
        raise NotLoggedIn("Your fitcoach account was deleted while you signed in.")
    sessions.begin(cookie, athlete_id, version, now)


def end_logins(store: sessionmaker[Session], athlete_id: int) -> None:
    """Every login of the account ends: a copy of the cookie, taken anywhere, stops
    working too."""
    with transaction(store) as session:
        end_sessions(session, athlete_id)
