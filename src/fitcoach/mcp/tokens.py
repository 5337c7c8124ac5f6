"""Access tokens for the MCP server: made for one athlete with a scope, shown once, stored
as their SHA-256, checked on every request, revoked from the settings page.

A token is 32 random bytes (``fc_mcp_`` + URL-safe text): guessing one is hopeless, so a
plain SHA-256 stores it safely and finds it with one indexed read; a slow password hash
would only cost every request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.orm import Session, sessionmaker

from fitcoach.athletes.repository import get_athlete
from fitcoach.core.db import transaction
from fitcoach.mcp import repository
from fitcoach.mcp.errors import BadTokenRequest, InvalidToken
from fitcoach.models import McpToken

PREFIX = "fc_mcp_"
NAME_LENGTH = 100
DEFAULT_NAME = "My assistant"
# A token's last use is written at most this often: an assistant calls in bursts, and a
# write on every call would make each read a write.
USE_RESOLUTION = timedelta(minutes=1)
# The lifetimes the settings page offers, in days (None: until revoked).
LIFETIMES: dict[str, int | None] = {"never": None, "30": 30, "90": 90, "365": 365}


class Scope(StrEnum):
    """What a token lets an assistant do."""

    READ = "read"
    READ_WRITE = "read-write"


@dataclass(frozen=True)
class Caller:
    """Who is asking: the athlete a token (or the stdio command) speaks for, and its scope."""

    athlete_id: int
    scope: Scope
    token_id: int | None = None

    @property
    def may_write(self) -> bool:
        return self.scope is Scope.READ_WRITE


@dataclass(frozen=True)
class NewToken:
    """A token just made: ``secret`` is shown to the athlete once and never stored."""

    id: int
    name: str
    scope: Scope
    secret: str
    expires_at: datetime | None


@dataclass(frozen=True)
class TokenLine:
    """A token as the settings page lists it (never its secret)."""

    id: int
    name: str
    scope: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_scope(value: str) -> Scope:
    try:
        return Scope(value.strip())
    except ValueError:
        raise BadTokenRequest(f"scope {value!r} is not one of: read, read-write") from None


def clean_name(value: str | None) -> str:
    name = " ".join((value or "").split()) or DEFAULT_NAME
    if len(name) > NAME_LENGTH:
        raise BadTokenRequest(f"the name is longer than {NAME_LENGTH} characters")
    return name


def create_token(
    sessions: sessionmaker[Session],
    athlete_id: int,
    scope: Scope,
    name: str | None,
    now: datetime,
    *,
    days: int | None = None,
) -> NewToken:
    """Make a token for this athlete; its secret is in the answer and nowhere else."""
    clean = clean_name(name)
    if days is not None and days < 1:
        raise BadTokenRequest("a token's lifetime is at least one day")
    secret = PREFIX + secrets.token_urlsafe(32)
    expires = None if days is None else now + timedelta(days=days)
    with transaction(sessions) as session:
        if get_athlete(session, athlete_id) is None:
            raise BadTokenRequest(f"there is no athlete {athlete_id}")
        row = repository.add_token(
            session,
            McpToken(
                athlete_id=athlete_id,
                name=clean,
                scope=str(scope),
                token_hash=_digest(secret),
                prefix=secret[: len(PREFIX) + 4],
                created_at=now,
                expires_at=expires,
            ),
        )
        return NewToken(row.id, clean, scope, secret, expires)


def authenticate(sessions: sessionmaker[Session], secret: str, now: datetime) -> Caller:
    """The caller a presented token speaks for, or ``InvalidToken``; notes its use."""
    if not secret.startswith(PREFIX):
        raise InvalidToken("the token is not a fitcoach MCP token")
    with transaction(sessions) as session:
        row = repository.token_by_hash(session, _digest(secret))
        if row is None:
            raise InvalidToken("the token is not known")
        if row.revoked_at is not None:
            raise InvalidToken("the token was revoked")
        if row.expires_at is not None and row.expires_at <= now:
            raise InvalidToken("the token has expired")
        if row.last_used_at is None or now - row.last_used_at >= USE_RESOLUTION:
            repository.mark_used(session, row.id, now)
        return Caller(row.athlete_id, Scope(row.scope), row.id)


def token_lines(sessions: sessionmaker[Session], athlete_id: int) -> list[TokenLine]:
    with sessions() as session:
        return [
            TokenLine(
                row.id,
                row.name,
                row.scope,
                row.prefix,
                row.created_at,
                row.expires_at,
                row.last_used_at,
                row.revoked_at,
            )
            for row in repository.tokens_of(session, athlete_id)
        ]


def revoke(sessions: sessionmaker[Session], athlete_id: int, token_id: int, now: datetime) -> bool:
    """Revoke the athlete's token; False when it is not theirs or already revoked."""
    with transaction(sessions) as session:
        return repository.revoke_token(session, athlete_id, token_id, now)
