"""Signing in through the operator's OpenID Connect provider, with authlib's client.

The provider is found from its discovery document (``OIDC_ISSUER/.well-known/
openid-configuration``). Each sign-in carries a state, kept in this browser's session,
and a nonce, which the provider seals into the ID token; authlib checks the token's
signature against the provider's published keys, its issuer (the configured one), its
audience (fitcoach's client id), its expiry and its nonce. The account is the one linked
to the token's issuer and subject (``sub``): an e-mail address can change hands, so it
never picks the account, and an address that already belongs to an account is refused
rather than joined to it (its owner links the provider from the account page).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import httpx
from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError
from authlib.integrations.starlette_client import OAuth, StarletteOAuth2App
from fastapi import Request
from joserfc.errors import JoseError
from sqlalchemy.orm import Session, sessionmaker
from starlette.responses import Response

from fitcoach.accounts import repository
from fitcoach.accounts.schemas import email_problem, normalized_email
from fitcoach.accounts.service import admit
from fitcoach.athletes.repository import create_athlete, get_athlete
from fitcoach.core.db import transaction
from fitcoach.core.errors import FitcoachError, NotLoggedIn
from fitcoach.core.settings import Settings

log = logging.getLogger("fitcoach.accounts.oidc")

SCOPE = "openid email profile"
# The session's note of what the sign-in under way is for: the invitation it signs up
# with, or the account it links (set by the account page after re-authentication).
INVITATION = "oidc_invitation"
LINK = "oidc_link"
# Seconds fitcoach waits for the provider (discovery, keys, token) before giving up.
TIMEOUT = 10.0
NAME_LIMIT = 255


class OidcNotConfigured(FitcoachError):
    status = 404
    what_to_do = "Sign in with a passkey, an e-mail and password, or Strava."


class ProviderUnavailable(FitcoachError):
    """The provider did not answer, or answered something that is not OpenID Connect."""

    status = 502
    what_to_do = "Try again in a few minutes; if it keeps happening, tell the operator."


class SignInNotValid(FitcoachError):
    """The answer does not belong to a sign-in begun in this browser (state), or was
    refused at the provider."""

    status = 400
    what_to_do = "Start again from the sign-in page."


class TokenNotValid(FitcoachError):
    """The ID token failed a check: signature, issuer, audience, expiry or nonce."""

    status = 400
    what_to_do = "Start again from the sign-in page; if it keeps happening, tell the operator."


class IdentityTaken(FitcoachError):
    """The provider's identity already signs in to another fitcoach account."""

    status = 409
    what_to_do = "Sign out and sign in with it to reach that account, or delete that account first."


class EmailHasAccount(FitcoachError):
    """The provider's verified e-mail is already an account's: it is not joined by e-mail."""

    status = 409
    what_to_do = (
        "Sign in to that account with its password or passkey, then link it on the Account page."
    )


@dataclass(frozen=True)
class Identity:
    """Who the provider's verified ID token says signed in."""

    issuer: str
    subject: str
    email: str | None  # only an address the provider says it verified
    firstname: str
    lastname: str


@lru_cache(maxsize=8)
def _client(issuer: str, client_id: str, client_secret: str) -> StarletteOAuth2App:
    # One client per configuration, for the process's life: it keeps the discovery
    # document and the provider's keys (fetched again when a token names an unknown key).
    registry = OAuth()
    client: StarletteOAuth2App = registry.register(
        "oidc",
        client_id=client_id,
        client_secret=client_secret,
        server_metadata_url=f"{issuer.rstrip('/')}/.well-known/openid-configuration",
        client_kwargs={"scope": SCOPE, "timeout": TIMEOUT},
    )
    return client


def client_for(settings: Settings) -> StarletteOAuth2App:
    if not settings.oidc_configured:
        raise OidcNotConfigured("This fitcoach has no identity provider set up.")
    return _client(settings.oidc_issuer, settings.oidc_client_id, settings.oidc_client_secret)


def callback_url(settings: Settings) -> str:
    return f"{settings.public_url.rstrip('/')}/auth/oidc/callback"


async def redirect_to_provider(request: Request, settings: Settings) -> Response:
    """The browser's way to the provider's sign-in page, with a new state and nonce."""
    client = client_for(settings)
    try:
        answer: Response = await client.authorize_redirect(request, callback_url(settings))
    except (httpx.HTTPError, ValueError, KeyError, RuntimeError) as failure:
        log.warning("OIDC discovery failed", extra={"error": str(failure)})
        raise ProviderUnavailable(
            f"{settings.oidc_name} is not answering, or its discovery document is not valid."
        ) from failure
    return answer


def _text(claims: Any, name: str) -> str:
    value = claims.get(name)
    return value[:NAME_LIMIT] if isinstance(value, str) else ""


async def identity_from_callback(request: Request, settings: Settings) -> Identity:
    """The provider's answer checked by authlib: state, code for token, ID token."""
    client = client_for(settings)
    options = {"iss": {"essential": True, "value": settings.oidc_issuer}}
    try:
        token = await client.authorize_access_token(request, claims_options=options)
    except MismatchingStateError as failure:
        raise SignInNotValid(
            f"The answer from {settings.oidc_name} does not belong to a sign-in started in "
            "this browser."
        ) from failure
    except OAuthError as failure:
        refused = failure.error == "access_denied"
        raise SignInNotValid(
            f"You chose not to sign in with {settings.oidc_name}."
            if refused
            else f"{settings.oidc_name} refused the sign-in ({failure.error})."
        ) from failure
    except JoseError as failure:
        log.warning("OIDC ID token refused", extra={"error": str(failure)})
        raise TokenNotValid(
            f"The answer from {settings.oidc_name} did not pass fitcoach's checks "
            f"({failure.error})."
        ) from failure
    except (httpx.HTTPError, ValueError, KeyError, RuntimeError) as failure:
        log.warning("OIDC token exchange failed", extra={"error": str(failure)})
        raise ProviderUnavailable(
            f"fitcoach could not finish signing in with {settings.oidc_name} just now."
        ) from failure
    claims = token.get("userinfo")
    subject = claims.get("sub") if claims else None
    if not isinstance(subject, str) or not subject or len(subject) > NAME_LIMIT:
        raise TokenNotValid(f"{settings.oidc_name} sent no ID token naming who signed in.")
    email = claims.get("email")
    verified = claims.get("email_verified") is True and isinstance(email, str)
    address = normalized_email(email) if verified else None
    return Identity(
        issuer=settings.oidc_issuer,
        subject=subject,
        email=address if address and email_problem(address) is None else None,
        firstname=_text(claims, "given_name") or _text(claims, "name"),
        lastname=_text(claims, "family_name"),
    )


def sign_in_with_identity(
    store: sessionmaker[Session],
    identity: Identity,
    now: datetime,
    *,
    link_to: int | None,
    signups_open: bool,
    invitation: str = "",
) -> int:
    """The account the identity signs in to: the linked one; with ``link_to``, that signed-in
    account, which it is linked to now; else a new account (when sign-ups are open or the
    invitation is valid). Returns the account's id."""
    with transaction(store) as session:
        linked = repository.identity_for_update(session, identity.issuer, identity.subject)
        if linked is not None:
            if link_to is not None and linked.athlete_id != link_to:
                raise IdentityTaken("This identity already signs in to another fitcoach account.")
            linked.last_used_at = now
            return linked.athlete_id
        if link_to is not None:
            if get_athlete(session, link_to) is None:
                raise NotLoggedIn("Your fitcoach account does not exist any more.")
            repository.add_identity(session, link_to, identity.issuer, identity.subject, now)
            log.info("OIDC identity linked", extra={"athlete_id": link_to})
            return link_to
        invited = admit(session, now, signups_open, invitation)
        if identity.email is not None and repository.email_in_use(session, identity.email):
            raise EmailHasAccount(
                f"An account with the e-mail address {identity.email} already exists."
            )
        athlete = create_athlete(
            session,
            firstname=identity.firstname,
            lastname=identity.lastname,
            email=identity.email,
        )
        repository.add_identity(session, athlete.id, identity.issuer, identity.subject, now)
        if invited is not None:
            invited.used_at = now
            invited.used_by = athlete.id
        athlete_id = athlete.id
    log.info("account created", extra={"athlete_id": athlete_id, "oidc": True})
    return athlete_id


def linked(store: sessionmaker[Session], athlete_id: int, settings: Settings) -> bool:
    """Whether the account signs in with the configured provider."""
    if not settings.oidc_configured:
        return False
    with store() as session:
        return repository.identity_count_of(session, athlete_id, settings.oidc_issuer) > 0
