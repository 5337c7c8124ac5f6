"""An athlete's usable access token: refreshed before expiry, once, under a row lock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from cryptography.fernet import MultiFernet
from sqlalchemy.orm import Session, sessionmaker

from fitcoach.core.db import transaction
from fitcoach.strava.client import StravaClient
from fitcoach.strava.errors import BadRequest, StravaError, Unauthorized
from fitcoach.strava.repository import (
    Tokens,
    forget_tokens,
    load_tokens,
    lock_tokens,
    save_tokens,
)

# Strava only issues a new access token within the last hour of the old one's life.
REFRESH_MARGIN = timedelta(hours=1)


class AthleteDisconnected(StravaError):
    """The athlete's tokens are gone or revoked: they must connect with Strava again."""


def access_token(
    sessions: sessionmaker[Session],
    ring: MultiFernet,
    client: StravaClient,
    athlete_id: int,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> str:
    """A valid access token for the athlete, refreshing it when under an hour is left.

    When several threads or processes need a refresh at once, only the first refreshes:
    the others wait on the token row's lock and then find the fresh token.
    """
    with sessions() as session:
        tokens = load_tokens(session, ring, athlete_id)
    if tokens is None:
        raise AthleteDisconnected(f"athlete {athlete_id} has no Strava tokens; reconnect")
    if tokens.expires_at - now() > REFRESH_MARGIN:
        return tokens.access_token
    with transaction(sessions) as session:
        lock_tokens(session, athlete_id)
        tokens = load_tokens(session, ring, athlete_id)
        if tokens is None:
            raise AthleteDisconnected(f"athlete {athlete_id} has no Strava tokens; reconnect")
        if tokens.expires_at - now() > REFRESH_MARGIN:
            return tokens.access_token
        try:
            fresh = client.refresh(tokens.refresh_token)
        except (Unauthorized, BadRequest) as error:
            # The refresh token was revoked or rotated away: nothing but a reconnect helps.
            session.rollback()
            mark_disconnected(sessions, athlete_id, f"Strava refused the refresh: {error}")
            raise AthleteDisconnected(
                f"athlete {athlete_id}: Strava no longer accepts fitcoach's access; reconnect"
            ) from error
        save_tokens(
            session,
            ring,
            athlete_id,
            Tokens(fresh.access_token, fresh.refresh_token, fresh.expires, tokens.scopes),
        )
        return fresh.access_token


def mark_disconnected(sessions: sessionmaker[Session], athlete_id: int, reason: str) -> None:
    """Forget the athlete's tokens and say why; their stored activities stay until deleted."""
    with transaction(sessions) as session:
        forget_tokens(session, athlete_id, reason)
