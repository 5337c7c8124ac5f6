"""An account's Strava connection: which Strava athlete, their profile, whether access
stands, and the tokens, encrypted before they reach the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.fernet import MultiFernet
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from fitcoach.core.crypto import decrypt, encrypt, rotate
from fitcoach.models import OAuthToken, StravaConnection


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_at: datetime
    scopes: str


def save_tokens(session: Session, ring: MultiFernet, athlete_id: int, tokens: Tokens) -> None:
    row = session.get(OAuthToken, athlete_id)
    if row is None:
        row = OAuthToken(athlete_id=athlete_id)
        session.add(row)
    row.access_token = encrypt(ring, tokens.access_token)
    row.refresh_token = encrypt(ring, tokens.refresh_token)
    row.expires_at = tokens.expires_at
    row.scopes = tokens.scopes


def load_tokens(session: Session, ring: MultiFernet, athlete_id: int) -> Tokens | None:
    row = session.get(OAuthToken, athlete_id)
    if row is None:
        return None
    return Tokens(
        access_token=decrypt(ring, row.access_token),
        refresh_token=decrypt(ring, row.refresh_token),
        expires_at=row.expires_at,
        scopes=row.scopes,
    )


def reencrypt_all(session: Session, ring: MultiFernet) -> int:
    """Re-encrypt every stored token with the newest key, so an old key can be retired."""
    count = 0
    for row in session.query(OAuthToken).all():
        row.access_token = rotate(ring, row.access_token)
        row.refresh_token = rotate(ring, row.refresh_token)
        count += 1
    return count


def lock_tokens(session: Session, athlete_id: int) -> None:
    """Take the token row's lock (PostgreSQL) or the write lock (SQLite) for the rest of
    the transaction, so that a re-read sees any refresh that won a race."""
    session.execute(
        update(OAuthToken)
        .where(OAuthToken.athlete_id == athlete_id)
        .values(athlete_id=OAuthToken.athlete_id)
    )


def forget_tokens(session: Session, athlete_id: int, reason: str) -> None:
    """Forget the athlete's tokens and say why; their stored activities stay."""
    connection = session.get(StravaConnection, athlete_id)
    if connection is not None:
        connection.connected = False
        connection.disconnected_reason = reason
    token = session.get(OAuthToken, athlete_id)
    if token is not None:
        session.delete(token)


def connection_of(session: Session, athlete_id: int) -> StravaConnection | None:
    return session.get(StravaConnection, athlete_id)


def athlete_of_strava(session: Session, strava_athlete_id: int) -> int | None:
    """The account connected to this Strava athlete, if any."""
    query = select(StravaConnection.athlete_id).where(
        StravaConnection.strava_athlete_id == strava_athlete_id
    )
    return session.scalar(query)


def save_connection(session: Session, athlete_id: int, profile: dict[str, Any]) -> None:
    """The account's connection to the Strava athlete of ``profile`` (Strava's athlete
    document), created or refreshed, and marked connected."""
    connection = session.get(StravaConnection, athlete_id)
    if connection is None:
        connection = StravaConnection(athlete_id=athlete_id, strava_athlete_id=int(profile["id"]))
        session.add(connection)
    connection.firstname = str(profile.get("firstname") or "")
    connection.lastname = str(profile.get("lastname") or "")
    connection.profile_url = profile.get("profile_medium") or profile.get("profile")
    connection.city = profile.get("city")
    connection.country = profile.get("country")
    connection.connected = True
    connection.disconnected_reason = None


def delete_connection(session: Session, athlete_id: int) -> None:
    """The connection and the tokens go (the account stays)."""
    for model in (OAuthToken, StravaConnection):
        row = session.get(model, athlete_id)
        if row is not None:
            session.delete(row)
