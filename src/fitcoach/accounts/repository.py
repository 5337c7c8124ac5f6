"""Accounts' own credentials: e-mail and password on the athlete row, and the operator's
invitation links and the passkeys accounts sign in with."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fitcoach.models import Athlete, Invitation, Passkey


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


def add_passkey(
    session: Session,
    athlete_id: int,
    credential_id: bytes,
    public_key: bytes,
    sign_count: int,
    name: str,
) -> None:
    session.add(
        Passkey(
            athlete_id=athlete_id,
            credential_id=credential_id,
            public_key=public_key,
            sign_count=sign_count,
            name=name,
        )
    )


def passkey_for_update(session: Session, credential_id: bytes) -> Passkey | None:
    """The passkey of this credential id, locked while its counter moves."""
    return session.scalar(
        select(Passkey).where(Passkey.credential_id == credential_id).with_for_update()
    )


def passkey_ids_of(session: Session, athlete_id: int) -> list[bytes]:
    return list(
        session.scalars(select(Passkey.credential_id).where(Passkey.athlete_id == athlete_id))
    )
