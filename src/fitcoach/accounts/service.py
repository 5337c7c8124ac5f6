"""Accounts of fitcoach's own: signing up and in with an e-mail and a password, logins
begun and ended, re-authentication before what cannot be undone, invitation links.

A wrong e-mail and a wrong password get the same error, after the same argon2 work, so
neither the answer nor its timing says which e-mails have an account.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.fernet import MultiFernet
from sqlalchemy.orm import Session, sessionmaker

from fitcoach.accounts import repository
from fitcoach.accounts.passwords import hash_password, password_matches
from fitcoach.athletes.repository import (
    athlete_by_email,
    create_athlete,
    end_sessions,
    get_athlete,
)
from fitcoach.core.db import transaction
from fitcoach.core.errors import FitcoachError, NotLoggedIn
from fitcoach.models import Invitation
from fitcoach.strava.client import StravaClient
from fitcoach.sync.connection import delete_account, revoke_at_strava
from fitcoach.web import sessions
from fitcoach.web.queries import session_version_of

log = logging.getLogger("fitcoach.accounts")

# An account without a password proves it is its owner by a login this recent.
RECENT_LOGIN = timedelta(minutes=10)
INVITATION_LIFETIME = timedelta(days=14)


class WrongCredentials(FitcoachError):
    """The e-mail has no account, or the password is not its password: one answer."""

    status = 401
    what_to_do = "Check the e-mail address and the password, and try again."


class WrongPassword(FitcoachError):
    """Re-authentication of a signed-in athlete failed: the password is not theirs."""

    status = 401
    what_to_do = "Type the password you sign in with."


class RecentLoginNeeded(FitcoachError):
    """An account without a password must have signed in a moment ago."""

    status = 401
    what_to_do = (
        "Sign out, sign in again (with Strava or a passkey), and come back within 10 minutes."
    )


class EmailTaken(FitcoachError):
    status = 409
    what_to_do = "Sign in with that e-mail instead, or use another address."


class SignupsClosed(FitcoachError):
    status = 403
    what_to_do = "Ask the operator of this fitcoach for an invitation link."


class InvitationNotValid(FitcoachError):
    status = 400
    what_to_do = "Ask the operator of this fitcoach for a new invitation link."


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


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def admit(
    session: Session, now: datetime, signups_open: bool, invitation: str
) -> Invitation | None:
    """Whether a new account may be made now: sign-ups open, or a valid invitation (locked,
    returned for the caller to mark used with the account it makes)."""
    if invitation:
        invited = repository.invitation_for_update(session, token_digest(invitation))
        if invited is None or invited.used_at is not None or invited.expires_at <= now:
            raise InvitationNotValid("This invitation link is not valid any more.")
        return invited
    if not signups_open:
        raise SignupsClosed("This fitcoach takes new accounts by invitation only.")
    return None


def sign_up(
    store: sessionmaker[Session],
    email: str,
    password: str,
    now: datetime,
    *,
    signups_open: bool,
    invitation: str = "",
) -> int:
    """A new account signing in with ``email`` (normalized, checked) and ``password``.

    With sign-ups closed it needs an unused, unexpired invitation, used up here. Returns
    the account's id."""
    hashed = hash_password(password)
    with transaction(store) as session:
        invited = admit(session, now, signups_open, invitation)
        if repository.email_in_use(session, email):
            raise EmailTaken("An account with this e-mail address already exists.")
        athlete = create_athlete(session, email=email, password_hash=hashed)
        if invited is not None:
            invited.used_at = now
            invited.used_by = athlete.id
        athlete_id = athlete.id
    log.info("account created", extra={"athlete_id": athlete_id, "invited": bool(invitation)})
    return athlete_id


def sign_in(store: sessionmaker[Session], email: str, password: str) -> int:
    """The account ``email`` and ``password`` sign in to; ``WrongCredentials`` for a wrong
    e-mail and a wrong password alike."""
    with store() as session:
        athlete = athlete_by_email(session, email)
        found = (athlete.id, athlete.password_hash) if athlete is not None else (None, None)
    athlete_id, stored = found
    if not password_matches(password, stored) or athlete_id is None:
        raise WrongCredentials("The e-mail address or the password is wrong.")
    return athlete_id


@dataclass(frozen=True)
class AccountView:
    """What the account page shows of the account's ways in."""

    email: str | None
    has_password: bool
    name: str
    passkeys: int


def account_view(store: sessionmaker[Session], athlete_id: int) -> AccountView | None:
    with store() as session:
        athlete = get_athlete(session, athlete_id)
        if athlete is None:
            return None
        name = f"{athlete.firstname} {athlete.lastname}".strip()
        count = len(repository.passkey_ids_of(session, athlete_id))
        return AccountView(athlete.email, athlete.password_hash is not None, name, count)


def passkey_ids(store: sessionmaker[Session], athlete_id: int) -> list[bytes]:
    """The credential ids of the athlete's passkeys (an authenticator is not asked to
    make a second passkey for the same account)."""
    with store() as session:
        return repository.passkey_ids_of(session, athlete_id)


def confirm_owner(
    store: sessionmaker[Session],
    athlete_id: int,
    password: str,
    login_began: datetime,
    now: datetime,
) -> None:
    """Re-authentication before changing how the account signs in or deleting it: its
    password, or (for an account without one) a login begun within ``RECENT_LOGIN``."""
    with store() as session:
        athlete = get_athlete(session, athlete_id)
        stored = athlete.password_hash if athlete is not None else None
    if athlete is None:
        raise NotLoggedIn("Your fitcoach account does not exist any more.")
    if stored is not None:
        if not password_matches(password, stored):
            raise WrongPassword("That is not your password.")
        return
    if now - login_began > RECENT_LOGIN:
        raise RecentLoginNeeded("This needs a login begun in the last 10 minutes.")


def change_email(store: sessionmaker[Session], athlete_id: int, email: str) -> None:
    with transaction(store) as session:
        if repository.email_in_use(session, email, other_than=athlete_id):
            raise EmailTaken("Another account signs in with this e-mail address.")
        athlete = get_athlete(session, athlete_id)
        if athlete is None:
            raise NotLoggedIn("Your fitcoach account does not exist any more.")
        athlete.email = email


def change_password(store: sessionmaker[Session], athlete_id: int, password: str) -> None:
    """A new password; every other login of the account ends."""
    hashed = hash_password(password)
    with transaction(store) as session:
        athlete = get_athlete(session, athlete_id)
        if athlete is None:
            raise NotLoggedIn("Your fitcoach account does not exist any more.")
        athlete.password_hash = hashed
        end_sessions(session, athlete_id)


def delete_own_account(
    store: sessionmaker[Session], ring: MultiFernet, client: StravaClient, athlete_id: int
) -> None:
    """The athlete deletes their account: Strava is told (when connected), then everything
    goes but the deletion record."""
    revoke_at_strava(store, ring, client, athlete_id)
    delete_account(store, athlete_id, reason="deleted by the athlete")


def invite(store: sessionmaker[Session], note: str, now: datetime) -> str:
    """A new invitation; returns its token (only its digest is stored)."""
    token = secrets.token_urlsafe(24)
    with transaction(store) as session:
        repository.add_invitation(
            session, token_digest(token), note, now, now + INVITATION_LIFETIME
        )
    return token
