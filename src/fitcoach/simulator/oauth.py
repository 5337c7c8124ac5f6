"""Strava's OAuth endpoints: authorize (page or automated), token exchange and deauthorize."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from .core import Simulator, get_sim
from .errors import bad_request, unauthorized
from .forms import read_multi, read_params
from .oauth_page import render
from .serialize import athlete_summary
from .tokens import (
    TokenError,
    authenticate,
    exchange_code,
    issue_code,
    parse_scopes,
    refresh,
    revoke,
    token_response,
)

router = APIRouter(prefix="/oauth")


def _redirect_ok(sim: Simulator, uri: str) -> bool:
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    allowed = sim.config.redirect_hosts
    host = parts.hostname
    if not allowed or host in ("localhost", "127.0.0.1"):
        return True
    return any(host == h or host.endswith("." + h) for h in allowed)


def _back(uri: str, params: dict[str, str]) -> RedirectResponse:
    joiner = "&" if "?" in uri else "?"
    # Strava sends scope lists with literal commas; keep them unescaped like it does.
    return RedirectResponse(uri + joiner + urlencode(params, safe=",:"), status_code=302)


def _check(sim: Simulator, params: dict[str, str]) -> Response | list[str]:
    if params.get("client_id") != sim.config.client_id:
        return bad_request("Application", "client_id")
    if not _redirect_ok(sim, params.get("redirect_uri", "")):
        return bad_request("Application", "redirect_uri")
    if params.get("response_type", "code") != "code":
        return bad_request("Application", "response_type")
    scopes = parse_scopes(params.get("scope"))
    if scopes is None:
        return bad_request("Application", "scope")
    return scopes


def _decide(
    sim: Simulator, params: dict[str, str], scopes: list[str], granted_raw: list[str] | None
) -> Response:
    uri = params["redirect_uri"]
    state = params.get("state", "")
    if params.get("decision") != "approve":
        return _back(uri, {"state": state, "error": "access_denied"})
    athletes = sim.store.athletes
    raw_id = params.get("athlete_id") or (str(next(iter(athletes))) if athletes else "")
    if not raw_id.isdigit() or int(raw_id) not in athletes:
        return bad_request("Athlete", "athlete_id")
    granted = scopes if granted_raw is None else [s for s in scopes if s in granted_raw]
    if "read" in scopes and "read" not in granted:
        granted.insert(0, "read")  # Strava does not let the athlete untick public profile
    code = issue_code(
        sim.store,
        int(raw_id),
        sim.config.client_id,
        granted,
        uri,
        sim.now(),
        sim.config.authorization_code_lifetime,
    )
    sim.changed()
    return _back(uri, {"state": state, "code": code.code, "scope": ",".join(granted)})


@router.get("/authorize")
async def authorize(request: Request, sim: Simulator = Depends(get_sim)) -> Response:
    params = dict(request.query_params)
    checked = _check(sim, params)
    if isinstance(checked, Response):
        return checked
    if "decision" in params:  # automation: skip the page
        grant = params.get("grant")
        granted = [s.strip() for s in grant.split(",")] if grant is not None else None
        return _decide(sim, params, checked, granted)
    athletes = list(sim.store.athletes.values())
    return HTMLResponse(
        render(
            sim.config.application_name,
            params["client_id"],
            params["redirect_uri"],
            params.get("state", ""),
            checked,
            athletes,
        )
    )


@router.post("/authorize")
async def authorize_form(request: Request, sim: Simulator = Depends(get_sim)) -> Response:
    params = await read_params(request)
    checked = _check(sim, params)
    if isinstance(checked, Response):
        return checked
    return _decide(sim, params, checked, await read_multi(request, "grant"))


@router.post("/token")
async def token(request: Request, sim: Simulator = Depends(get_sim)) -> Response:
    params = await read_params(request)
    client_id = params.get("client_id", "")
    if client_id != sim.config.client_id:
        return bad_request("Application", "client_id")
    if params.get("client_secret") != sim.config.client_secret:
        return bad_request("Application", "client_secret")
    grant_type = params.get("grant_type", "")
    now = sim.now()
    try:
        if grant_type == "authorization_code":
            grant = exchange_code(sim.store, sim.config, client_id, params.get("code", ""), now)
            body = {
                **token_response(grant, now),
                "athlete": athlete_summary(sim.store.athletes[grant.athlete_id]),
            }
        elif grant_type == "refresh_token":
            grant = refresh(sim.store, sim.config, client_id, params.get("refresh_token", ""), now)
            body = token_response(grant, now)
        else:
            return bad_request("Application", "grant_type")
    except TokenError as exc:
        return bad_request(exc.resource, exc.field)
    sim.changed()
    return JSONResponse(body)


@router.post("/deauthorize")
async def deauthorize(request: Request, sim: Simulator = Depends(get_sim)) -> Response:
    params = await read_params(request)
    token = params.get("access_token") or sim.bearer(request)
    grant = authenticate(sim.store, token, sim.now()) if token else None
    if grant is None:
        return unauthorized()
    for live in sim.store.live_grants(grant.athlete_id, grant.client_id):
        revoke(live)
    sim.notify_deauthorized(grant.athlete_id, grant.client_id)
    sim.changed()
    return JSONResponse({"access_token": token})
