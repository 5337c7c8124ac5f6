"""An athlete's Strava tokens, encrypted before they reach the database, and the athlete's
connection state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography.fernet import MultiFernet
from sqlalchemy import update
from sqlalchemy.orm import Session

from fitcoach.core.crypto import decrypt, encrypt, rotate
from fitcoach.models import Athlete, OAuthToken


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
    athlete = session.get(Athlete, athlete_id)
    if athlete is not None:
        athlete.connected = False
        athlete.disconnected_reason = reason
    token = session.get(OAuthToken, athlete_id)
    if token is not None:
        session.delete(token)
