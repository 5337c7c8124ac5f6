"""The SQL of MCP tokens: one function per statement."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from fitcoach.models import McpToken


def add_token(session: Session, token: McpToken) -> McpToken:
    session.add(token)
    session.flush()
    return token


def token_by_hash(session: Session, token_hash: str) -> McpToken | None:
    return session.execute(
        select(McpToken).where(McpToken.token_hash == token_hash)
    ).scalar_one_or_none()


def tokens_of(session: Session, athlete_id: int) -> list[McpToken]:
    """The athlete's tokens, newest first."""
    query = (
        select(McpToken)
        .where(McpToken.athlete_id == athlete_id)
        .order_by(McpToken.created_at.desc(), McpToken.id.desc())
    )
    return list(session.execute(query).scalars())


def revoke_token(session: Session, athlete_id: int, token_id: int, now: datetime) -> bool:
    """Revoke one of the athlete's tokens; False when they have no such live token."""
    result = session.execute(
        update(McpToken)
        .where(
            McpToken.id == token_id,
            McpToken.athlete_id == athlete_id,
            McpToken.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    return bool(getattr(result, "rowcount", 0))


def mark_used(session: Session, token_id: int, now: datetime) -> None:
    session.execute(update(McpToken).where(McpToken.id == token_id).values(last_used_at=now))
