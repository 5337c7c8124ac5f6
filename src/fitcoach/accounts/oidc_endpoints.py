"""Sign-in through the operator's OpenID Connect provider: the way there, the way back,
and linking it to a signed-in account from the account page (after re-authentication)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from fitcoach.accounts.account_endpoints import SAVED
from fitcoach.accounts.oidc import (
    INVITATION,
    LINK,
    EmailHasAccount,
    IdentityTaken,
    OidcNotConfigured,
    ProviderUnavailable,
    SignInNotValid,
    TokenNotValid,
    identity_from_callback,
    redirect_to_provider,
    sign_in_with_identity,
)
from fitcoach.accounts.service import InvitationNotValid, SignupsClosed, begin_login
from fitcoach.core.errors import FitcoachError
from fitcoach.web.deps import AppServices, AppSettings, Now, OptionalAthlete
from fitcoach.web.templating import message_page

router = APIRouter(prefix="/auth/oidc")


def _refused(
    request: Request, refusal: FitcoachError, title: str, linking: bool = False
) -> Response:
    return message_page(
        request,
        title,
        str(refusal),
        refusal.what_to_do or "",
        status_code=refusal.status,
        action=("/account", "Back to your account") if linking else ("/auth/signin", "Sign in"),
    )


@router.get("/login", response_model=None)
async def login(
    request: Request,
    settings: AppSettings,
    signed_in: OptionalAthlete,
    invitation: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """Send the browser to the provider's sign-in page (state and nonce kept for the way
    back). Signed in already, only a link begun on the account page goes on."""
    if signed_in is not None and request.session.get(LINK) != signed_in:
        return RedirectResponse("/", 303)
    if signed_in is None:
        request.session.pop(LINK, None)
        request.session[INVITATION] = invitation
    try:
        return await redirect_to_provider(request, settings)
    except (OidcNotConfigured, ProviderUnavailable) as refusal:
        return _refused(request, refusal, "Single sign-on is not available", signed_in is not None)


@router.get("/callback", response_model=None)
async def callback(
    request: Request,
    app: AppServices,
    settings: AppSettings,
    now: Now,
    signed_in: OptionalAthlete,
) -> Response:
    """The provider's redirect back: authlib checks the state, trades the code for the
    tokens and checks the ID token; the identity then signs in, links or signs up."""
    link = request.session.pop(LINK, None)
    invitation = request.session.pop(INVITATION, "")
    link_to = signed_in if signed_in is not None and link == signed_in else None
    title = f"Not signed in with {settings.oidc_name}"
    try:
        identity = await identity_from_callback(request, settings)
    except (OidcNotConfigured, ProviderUnavailable, SignInNotValid, TokenNotValid) as refusal:
        return _refused(request, refusal, title, link_to is not None)
    try:
        athlete_id = await run_in_threadpool(
            lambda: sign_in_with_identity(
                app.sessions,
                identity,
                now,
                link_to=link_to,
                signups_open=settings.signups_open,
                invitation=invitation if isinstance(invitation, str) else "",
            )
        )
    except (IdentityTaken, EmailHasAccount, SignupsClosed, InvitationNotValid) as refusal:
        return _refused(request, refusal, title, link_to is not None)
    if link_to is not None:
        request.session[SAVED] = f"You can now sign in with {settings.oidc_name}."
        return RedirectResponse("/account", 303)
    await run_in_threadpool(begin_login, app.sessions, request.session, athlete_id, now)
    return RedirectResponse("/", 303)
