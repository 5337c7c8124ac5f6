"""Passkeys (WebAuthn, the ``webauthn`` library): made on the account page or at sign-up,
used to sign in without typing anything.

fitcoach is the relying party named by PUBLIC_URL: its host is the RP id, its origin the
only one accepted. Passkeys are discoverable (the authenticator keeps the account), so
signing in asks for no e-mail first and the answer says nothing of which accounts exist.
Each ceremony's challenge lives in the signed session cookie and is used once.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy.orm import Session, sessionmaker
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from fitcoach.accounts import repository
from fitcoach.accounts.service import admit
from fitcoach.athletes.repository import create_athlete
from fitcoach.core.db import transaction
from fitcoach.core.errors import FitcoachError

log = logging.getLogger("fitcoach.accounts.passkeys")

RP_NAME = "fitcoach"


class PasskeyRefused(FitcoachError):
    """The authenticator's answer does not hold: another site's, an old challenge, a
    passkey fitcoach does not know, or a broken message."""

    status = 400
    what_to_do = "Try again; if it keeps failing, sign in with your e-mail and password."


@dataclass(frozen=True)
class RelyingParty:
    id: str
    origin: str


def relying_party(public_url: str) -> RelyingParty:
    parts = urlsplit(public_url)
    return RelyingParty(parts.hostname or "localhost", f"{parts.scheme}://{parts.netloc}")


def registration_options(
    rp: RelyingParty, name: str, existing: list[bytes] | None = None
) -> tuple[str, bytes]:
    """The options for making a passkey (as JSON for the browser) and their challenge."""
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=RP_NAME,
        user_name=name or "fitcoach athlete",
        # Not the account id: the authenticator shows and keeps it, it need not be ours.
        user_id=secrets.token_bytes(16),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=one) for one in existing or []],
    )
    return options_to_json(options), options.challenge


def authentication_options(rp: RelyingParty) -> tuple[str, bytes]:
    """The options for signing in with any passkey of this site, and their challenge."""
    options = generate_authentication_options(
        rp_id=rp.id, user_verification=UserVerificationRequirement.PREFERRED
    )
    return options_to_json(options), options.challenge


def _registered(rp: RelyingParty, credential: str, challenge: bytes) -> tuple[bytes, bytes, int]:
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:
        raise PasskeyRefused(f"The passkey was not made: {error}") from error
    return verified.credential_id, verified.credential_public_key, verified.sign_count


def add_passkey(
    store: sessionmaker[Session],
    rp: RelyingParty,
    athlete_id: int,
    credential: str,
    challenge: bytes,
    name: str,
) -> None:
    """Keep the passkey the signed-in athlete's authenticator just made."""
    credential_id, public_key, count = _registered(rp, credential, challenge)
    with transaction(store) as session:
        if repository.passkey_for_update(session, credential_id) is not None:
            raise PasskeyRefused("This passkey is already registered.")
        repository.add_passkey(session, athlete_id, credential_id, public_key, count, name)
    log.info("passkey added", extra={"athlete_id": athlete_id})


def sign_up_with_passkey(
    store: sessionmaker[Session],
    rp: RelyingParty,
    credential: str,
    challenge: bytes,
    now: datetime,
    *,
    signups_open: bool,
    invitation: str = "",
) -> int:
    """A new account whose way in is the passkey just made; its id."""
    credential_id, public_key, count = _registered(rp, credential, challenge)
    with transaction(store) as session:
        invited = admit(session, now, signups_open, invitation)
        if repository.passkey_for_update(session, credential_id) is not None:
            raise PasskeyRefused("This passkey is already registered.")
        athlete = create_athlete(session)
        repository.add_passkey(session, athlete.id, credential_id, public_key, count, "")
        if invited is not None:
            invited.used_at = now
            invited.used_by = athlete.id
        athlete_id = athlete.id
    log.info("account created with a passkey", extra={"athlete_id": athlete_id})
    return athlete_id


def sign_in_with_passkey(
    store: sessionmaker[Session],
    rp: RelyingParty,
    credential: str,
    credential_id: str,
    challenge: bytes,
    now: datetime,
) -> int:
    """The account the passkey belongs to, once its signature over the challenge holds
    (and its counter moved on, where the authenticator keeps one)."""
    try:
        raw_id = base64url_to_bytes(credential_id)
    except (ValueError, TypeError) as error:
        raise PasskeyRefused("The passkey's answer is not readable.") from error
    with transaction(store) as session:
        passkey = repository.passkey_for_update(session, raw_id)
        if passkey is None:
            raise PasskeyRefused("This passkey is not registered with fitcoach.")
        try:
            verified = verify_authentication_response(
                credential=credential,
                expected_challenge=challenge,
                expected_rp_id=rp.id,
                expected_origin=rp.origin,
                credential_public_key=passkey.public_key,
                credential_current_sign_count=passkey.sign_count,
            )
        except (WebAuthnException, ValueError, KeyError, TypeError) as error:
            raise PasskeyRefused(f"The passkey did not sign in: {error}") from error
        passkey.sign_count = verified.new_sign_count
        passkey.last_used_at = now
        return passkey.athlete_id
