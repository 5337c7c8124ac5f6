"""Signing up and in with an e-mail and a password: the forms, their checks, their
answers. Every form carries the CSRF token; tries are limited per account and per source."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from fitcoach.accounts.schemas import email_problem, normalized_email, password_problem
from fitcoach.accounts.service import (
    EmailTaken,
    InvitationNotValid,
    SignupsClosed,
    WrongCredentials,
    begin_login,
    sign_in,
    sign_up,
)
from fitcoach.web.deps import AppSettings, Logins, Now, OptionalAthlete, Sessions, services
from fitcoach.web.security import check_csrf
from fitcoach.web.templating import page

router = APIRouter(prefix="/auth")


def source_of(request: Request) -> str:
    """The address a try came from (the proxy's word only where FORWARDED_ALLOW_IPS
    trusts it: uvicorn has already applied it)."""
    return request.client.host if request.client else "unknown"


def _form(
    request: Request,
    template: str,
    *,
    email: str = "",
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    retry_after: float | None = None,
    invitation: str = "",
    closed: bool = False,
) -> HTMLResponse:
    settings = services(request).settings
    response = page(
        request,
        template,
        status_code=status_code,
        oidc_name=settings.oidc_name if settings.oidc_configured else None,
        form={"email": email},
        errors=errors or {},
        invitation=invitation,
        closed=closed,
    )
    if retry_after is not None:
        response.headers["Retry-After"] = str(math.ceil(retry_after))
    return response


def _too_many(
    request: Request, template: str, email: str, wait: float, invitation: str = ""
) -> HTMLResponse:
    minutes = max(1, math.ceil(wait / 60))
    return _form(
        request,
        template,
        email=email,
        errors={"form": f"Too many tries. Wait {minutes} min and try again."},
        status_code=429,
        retry_after=wait,
        invitation=invitation,
    )


@router.get("/signin", response_class=HTMLResponse)
def signin_page(request: Request, athlete_id: OptionalAthlete) -> Response:
    if athlete_id is not None:
        return RedirectResponse("/", 303)
    return _form(request, "signin.html")


@router.post("/signin", response_class=HTMLResponse)
def signin(
    request: Request,
    store: Sessions,
    logins: Logins,
    now: Now,
    csrf: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    address = normalized_email(email)
    wait = logins.take(address, source_of(request))
    if wait is not None:
        return _too_many(request, "signin.html", address, wait)
    try:
        athlete_id = sign_in(store, address, password)
    except WrongCredentials as wrong:
        return _form(
            request,
            "signin.html",
            email=address,
            errors={"form": f"{wrong} {wrong.what_to_do}"},
            status_code=wrong.status,
        )
    begin_login(store, request.session, athlete_id, now)
    return RedirectResponse("/", 303)


@router.get("/signup", response_class=HTMLResponse)
def signup_page(
    request: Request,
    settings: AppSettings,
    athlete_id: OptionalAthlete,
    invitation: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    if athlete_id is not None:
        return RedirectResponse("/", 303)
    return _form(
        request,
        "signup.html",
        invitation=invitation,
        closed=not settings.signups_open and not invitation,
    )


@router.post("/signup", response_class=HTMLResponse)
def signup(
    request: Request,
    store: Sessions,
    settings: AppSettings,
    logins: Logins,
    now: Now,
    csrf: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    invitation: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    check_csrf(request, csrf)
    address = normalized_email(email)
    errors = {
        name: problem
        for name, problem in (
            ("email", email_problem(email)),
            ("password", password_problem(password)),
        )
        if problem is not None
    }
    if errors:
        return _form(
            request,
            "signup.html",
            email=address,
            errors=errors,
            status_code=400,
            invitation=invitation,
        )
    # Sign-ups count against the source; an account's own bucket is for sign-in tries.
    wait = logins.take(f"signup:{address}", source_of(request))
    if wait is not None:
        return _too_many(request, "signup.html", address, wait, invitation=invitation)
    try:
        athlete_id = sign_up(
            store,
            address,
            password,
            now,
            signups_open=settings.signups_open,
            invitation=invitation,
        )
    except EmailTaken as taken:
        return _form(
            request,
            "signup.html",
            email=address,
            errors={"email": f"{taken} {taken.what_to_do}"},
            status_code=taken.status,
            invitation=invitation,
        )
    except (SignupsClosed, InvitationNotValid) as refused:
        return _form(
            request,
            "signup.html",
            email=address,
            errors={"form": f"{refused} {refused.what_to_do}"},
            status_code=refused.status,
            invitation=invitation,
        )
    begin_login(store, request.session, athlete_id, now)
    return RedirectResponse("/", 303)
