"""Accounts' own credentials: e-mail and password on the athlete row, and the operator's
invitation links."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fitcoach.models import Athlete, Invitation


def email_in_use(session: Session, email: str, other_than: int | None = None) -> bool:
    query = select(Athlete.id).where(Athlete.email == email)
    if other_than is not None:
        query = query.where(Athlete.id != other_than)
    return session.scalar(query.limit(1)) is not None


def add_invitation(
    session: Session, token_sha256: str, note: str, now: datetime, expires_at: datetime
) -> Invitation:
    invitation = Invitation(
        token_sha256=token_sha256, note=note, created_at=now, expires_at=expires_at
    )
    session.add(invitation)
    session.flush()
    return invitation


def invitation_for_update(session: Session, token_sha256: str) -> Invitation | None:
    """The invitation of this token, locked until the transaction ends (used once)."""
    return session.scalar(
        select(Invitation).where(Invitation.token_sha256 == token_sha256).with_for_update()
    )
