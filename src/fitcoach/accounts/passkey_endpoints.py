"""Passkeys over JSON for the page's script (``static/js/passkeys.js``): options first,
then the authenticator's answer. ``purpose`` is ``signin``, ``signup`` or ``add`` (the
signed-in athlete adds one). The CSRF token travels in the ``X-CSRF-Token`` header; the
challenge stays in the session until the answer uses it up."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

from fitcoach.accounts.passkeys import (
    PasskeyRefused,
    add_passkey,
    authentication_options,
    registration_options,
    relying_party,
    sign_in_with_passkey,
    sign_up_with_passkey,
)
from fitcoach.accounts.password_endpoints import source_of
from fitcoach.accounts.service import (
    InvitationNotValid,
    SignupsClosed,
    account_view,
    begin_login,
    passkey_ids,
)
from fitcoach.core.errors import FitcoachError
from fitcoach.web.deps import AppSettings, Logins, Now, OptionalAthlete, Sessions
from fitcoach.web.security import check_csrf

router = APIRouter(prefix="/auth/passkey")

CEREMONY = "passkey"
Purpose = Literal["signin", "signup", "add"]


class Begin(BaseModel):
    purpose: Purpose
    invitation: str = Field("", max_length=64)


class Finish(BaseModel):
    purpose: Purpose
    invitation: str = Field("", max_length=64)
    credential: dict[str, Any]


def _refused(error: FitcoachError) -> JSONResponse:
    return JSONResponse(
        {"error": f"{error} {error.what_to_do or ''}".strip()}, status_code=error.status
    )


@router.post("/options")
def options(
    request: Request,
    body: Begin,
    settings: AppSettings,
    store: Sessions,
    athlete_id: OptionalAthlete,
    x_csrf_token: Annotated[str, Header()] = "",
) -> JSONResponse:
    check_csrf(request, x_csrf_token)
    rp = relying_party(settings.public_url)
    if body.purpose == "signin":
        document, challenge = authentication_options(rp)
    elif body.purpose == "add":
        if athlete_id is None:
            return JSONResponse({"error": "Sign in first to add a passkey."}, status_code=401)
        view = account_view(store, athlete_id)
        name = (view.email or view.name) if view else ""
        document, challenge = registration_options(rp, name, passkey_ids(store, athlete_id))
    else:
        if not settings.signups_open and not body.invitation:
            return _refused(SignupsClosed("This fitcoach takes new accounts by invitation only."))
        document, challenge = registration_options(rp, "")
    request.session[CEREMONY] = {
        "purpose": body.purpose,
        "challenge": bytes_to_base64url(challenge),
    }
    return JSONResponse(json.loads(document))


@router.post("/finish")
def finish(
    request: Request,
    body: Finish,
    settings: AppSettings,
    store: Sessions,
    logins: Logins,
    now: Now,
    athlete_id: OptionalAthlete,
    x_csrf_token: Annotated[str, Header()] = "",
) -> JSONResponse:
    check_csrf(request, x_csrf_token)
    started = request.session.pop(CEREMONY, None)
    if not (isinstance(started, dict) and started.get("purpose") == body.purpose):
        return _refused(PasskeyRefused("No passkey request of this page is waiting."))
    wait = logins.take(f"passkey:{body.purpose}", source_of(request))
    if wait is not None:
        return JSONResponse(
            {"error": "Too many tries. Wait a few minutes and try again."},
            status_code=429,
            headers={"Retry-After": str(int(wait) + 1)},
        )
    challenge = base64url_to_bytes(str(started.get("challenge", "")))
    rp = relying_party(settings.public_url)
    credential = json.dumps(body.credential)
    try:
        if body.purpose == "add":
            if athlete_id is None:
                return JSONResponse({"error": "Sign in first to add a passkey."}, status_code=401)
            add_passkey(store, rp, athlete_id, credential, challenge, "")
            request.session["account_saved"] = "Your passkey is added: sign in with it next time."
            return JSONResponse({"redirect": "/account"})
        if body.purpose == "signup":
            new = sign_up_with_passkey(
                store,
                rp,
                credential,
                challenge,
                now,
                signups_open=settings.signups_open,
                invitation=body.invitation,
            )
            begin_login(store, request.session, new, now)
            return JSONResponse({"redirect": "/"})
        found = sign_in_with_passkey(
            store, rp, credential, str(body.credential.get("rawId", "")), challenge, now
        )
    except (PasskeyRefused, SignupsClosed, InvitationNotValid) as refused:
        return _refused(refused)
    begin_login(store, request.session, found, now)
    return JSONResponse({"redirect": "/"})
