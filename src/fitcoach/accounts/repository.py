"""Accounts' own credentials: e-mail and password on the athlete row, the operator's
invitation links, the passkeys accounts sign in with and their identities at the operator's
OpenID Connect provider."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fitcoach.models import Athlete, Invitation, OidcIdentity, Passkey


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


def identity_for_update(session: Session, issuer: str, subject: str) -> OidcIdentity | None:
    """The account identity of this provider's subject, locked while it is used."""
    return session.scalar(
        select(OidcIdentity)
        .where(OidcIdentity.issuer == issuer, OidcIdentity.subject == subject)
        .with_for_update()
    )


def add_identity(
    session: Session, athlete_id: int, issuer: str, subject: str, now: datetime
) -> None:
    session.add(
        OidcIdentity(
            athlete_id=athlete_id,
            issuer=issuer,
            subject=subject,
            created_at=now,
            last_used_at=now,
        )
    )
    session.flush()


def identity_count_of(session: Session, athlete_id: int, issuer: str) -> int:
    """How many identities at ``issuer`` sign in to the account (0 or 1 in practice)."""
    return len(
        session.scalars(
            select(OidcIdentity.id).where(
                OidcIdentity.athlete_id == athlete_id, OidcIdentity.issuer == issuer
            )
        ).all()
    )
