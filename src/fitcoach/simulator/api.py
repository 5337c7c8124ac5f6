"""Strava API v3 read endpoints: the athlete, their activities, streams and zones."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from .core import Simulator, get_sim
from .errors import bad_request, missing_scope, not_found, unauthorized
from .models import Activity, Grant
from .serialize import activity_detail, activity_summary, athlete_detail, athlete_summary, zones
from .streams import select

router = APIRouter(prefix="/api/v3")
MAX_PER_PAGE = 200
DEFAULT_PER_PAGE = 30


def _int_param(request: Request, name: str) -> int | JSONResponse | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        return bad_request("Application", name)


def _can_read(grant: Grant) -> bool:
    return bool({"activity:read", "activity:read_all"} & set(grant.scopes))


def _visible(act: Activity, grant: Grant) -> bool:
    """Whether the token may see the activity (Strava hides "Only Me" without read_all)."""
    if act.deleted:
        return False
    if act.athlete_id == grant.athlete_id:
        return not act.private or "activity:read_all" in grant.scopes
    return not act.private


@router.get("/athlete")
async def get_athlete(request: Request, sim: Simulator = Depends(get_sim)) -> Response:
    grant = sim.grant(request)
    if grant is None:
        return unauthorized()
    athlete = sim.store.athletes[grant.athlete_id]
    if "profile:read_all" in grant.scopes:
        return JSONResponse(athlete_detail(athlete))
    return JSONResponse(athlete_summary(athlete))


@router.get("/athlete/zones")
async def get_zones(request: Request, sim: Simulator = Depends(get_sim)) -> Response:
    grant = sim.grant(request)
    if grant is None:
        return unauthorized()
    if "profile:read_all" not in grant.scopes:
        return missing_scope("profile:read_all")
    return JSONResponse(zones(sim.store.athletes[grant.athlete_id]))


@router.get("/athlete/activities")
async def list_activities(request: Request, sim: Simulator = Depends(get_sim)) -> Response:
    grant = sim.grant(request)
    if grant is None:
        return unauthorized()
    if not _can_read(grant):
        return missing_scope("activity:read_permission")
    params: dict[str, int | None] = {}
    for name in ("before", "after", "page", "per_page"):
        value = _int_param(request, name)
        if isinstance(value, JSONResponse):
            return value
        params[name] = value
    before, after = params["before"], params["after"]
    page = max(1, params["page"] or 1)
    per_page = params["per_page"]
    per_page = DEFAULT_PER_PAGE if per_page is None or per_page < 1 else per_page
    per_page = min(per_page, MAX_PER_PAGE)
    athlete = sim.store.athletes[grant.athlete_id]
    found = [a for a in sim.store.window(athlete.id, after, before) if _visible(a, grant)]
    # Strava pages oldest-first when only `after` is given (the incremental-sync case).
    if not (after is not None and before is None):
        found.reverse()
    chunk = found[(page - 1) * per_page : page * per_page]
    body: list[dict[str, Any]] = [activity_summary(a, athlete) for a in chunk]
    return JSONResponse(body)


def _lookup(request: Request, sim: Simulator, activity_id: int) -> Activity | Response:
    grant = sim.grant(request)
    if grant is None:
        return unauthorized()
    if not _can_read(grant):
        return missing_scope("activity:read_permission")
    act = sim.store.activity(activity_id)
    if act is None or not _visible(act, grant):
        return not_found()
    return act


@router.get("/activities/{activity_id}")
async def get_activity(
    activity_id: int, request: Request, sim: Simulator = Depends(get_sim)
) -> Response:
    act = _lookup(request, sim, activity_id)
    if isinstance(act, Response):
        return act
    athlete = sim.store.athletes[act.athlete_id]
    return JSONResponse(activity_detail(act, athlete, sim.streams(act)))


@router.get("/activities/{activity_id}/streams")
async def get_streams(
    activity_id: int, request: Request, sim: Simulator = Depends(get_sim)
) -> Response:
    act = _lookup(request, sim, activity_id)
    if isinstance(act, Response):
        return act
    raw_keys = request.query_params.get("keys")
    keys = [k.strip() for k in (raw_keys or "").split(",") if k.strip()]
    if not keys:
        return bad_request("Stream", "keys", "missing")
    by_type = request.query_params.get("key_by_type", "true").lower() not in ("false", "0")
    return JSONResponse(select(sim.streams(act), keys, by_type))
