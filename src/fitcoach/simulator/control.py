"""The simulator's own control API under /_sim/ (not part of Strava): see docs/simulator.md."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from .core import ControlError, Simulator, get_sim
from .faults import FaultError
from .generator import KINDS
from .models import Activity
from .raw import RawActivityError, from_raw
from .serialize import activity_summary, athlete_summary
from .tokens import SCOPES, parse_scopes

router = APIRouter(prefix="/_sim")


class AthleteSpec(BaseModel):
    kind: str = "cyclist"
    history_days: int | None = Field(default=None, ge=0)
    seed: int | None = None


class GenerateSpec(BaseModel):
    workout: str | None = None
    start: int | None = None
    duration: int = Field(default=3600, ge=60, le=12 * 3600)
    private: bool = False
    name: str | None = None
    seed: int | None = None


class ActivitySpec(BaseModel):
    generate: GenerateSpec | None = None
    raw: dict[str, Any] | None = None
    streams: dict[str, Any] | list[dict[str, Any]] | None = None


class EditSpec(BaseModel):
    name: str | None = None
    sport_type: str | None = None
    type: str | None = None
    private: bool | None = None
    description: str | None = None


class ClockSpec(BaseModel):
    advance: float | None = None
    set: float | None = None
    freeze: bool | None = None


class LimitsSpec(BaseModel):
    short_limit: int = Field(ge=1)
    long_limit: int = Field(ge=1)
    read_short_limit: int = Field(ge=1)
    read_long_limit: int = Field(ge=1)


class TokenSpec(BaseModel):
    scope: str = "read,activity:read_all"


def _athlete_view(sim: Simulator, athlete_id: int) -> dict[str, Any]:
    athlete = sim.store.athletes[athlete_id]
    history = sim.store.history(athlete_id)
    return {
        **athlete_summary(athlete),
        "kind": athlete.kind,
        "ftp": athlete.ftp,
        "max_hr": athlete.max_hr,
        "weekly_hours": athlete.weekly_hours,
        "activities": sum(1 for a in history if not a.deleted),
    }


def _activity(sim: Simulator, activity_id: int) -> Activity:
    act = sim.store.activity(activity_id)
    if act is None:
        raise HTTPException(404, f"no activity {activity_id}")
    return act


@router.get("")
async def overview(sim: Simulator = Depends(get_sim)) -> dict[str, Any]:
    return {
        "athletes": len(sim.store.athletes),
        "clock": sim.clock.snapshot(),
        "client_id": sim.config.client_id,
        "limits": sim.limiter.limits,
        "subscription": sim.store.subscription.to_dict() if sim.store.subscription else None,
    }


@router.get("/athletes")
async def list_athletes(sim: Simulator = Depends(get_sim)) -> list[dict[str, Any]]:
    return [{**athlete_summary(a), "kind": a.kind} for a in sim.store.athletes.values()]


@router.post("/athletes", status_code=201)
async def create_athlete(spec: AthleteSpec, sim: Simulator = Depends(get_sim)) -> dict[str, Any]:
    if spec.kind not in KINDS:
        raise HTTPException(422, f"kind must be one of {', '.join(KINDS)}")
    athlete = sim.new_athlete(spec.kind, spec.history_days, spec.seed)
    return _athlete_view(sim, athlete.id)


@router.get("/athletes/{athlete_id}")
async def get_athlete(athlete_id: int, sim: Simulator = Depends(get_sim)) -> dict[str, Any]:
    if athlete_id not in sim.store.athletes:
        raise HTTPException(404, f"no athlete {athlete_id}")
    return _athlete_view(sim, athlete_id)


@router.post("/athletes/{athlete_id}/token")
async def mint_token(
    athlete_id: int, spec: TokenSpec, sim: Simulator = Depends(get_sim)
) -> dict[str, Any]:
    """Tokens without the browser dance, for tests and the capacity model."""
    scopes = parse_scopes(spec.scope)
    if athlete_id not in sim.store.athletes or scopes is None:
        raise HTTPException(422, f"unknown athlete or scope (scopes: {', '.join(SCOPES)})")
    return sim.mint_token(athlete_id, scopes)


@router.post("/athletes/{athlete_id}/activities", status_code=201)
async def add_activity(
    athlete_id: int, spec: ActivitySpec, sim: Simulator = Depends(get_sim)
) -> dict[str, Any]:
    athlete = sim.store.athletes.get(athlete_id)
    if athlete is None:
        raise HTTPException(404, f"no athlete {athlete_id}")
    try:
        if spec.raw is not None:
            given = spec.generate.seed if spec.generate is not None else None
            seed = given if given is not None else sim.store.next_added_id * 31 + sim.config.seed
            streams = spec.streams
            if isinstance(streams, list):
                streams = {s["type"]: s for s in streams if isinstance(s, dict) and "type" in s}
            try:
                act = from_raw(spec.raw, athlete_id, seed, streams)
            except RawActivityError as exc:
                raise HTTPException(422, str(exc)) from exc
            act = sim.upload(act)
        else:
            gen = spec.generate or GenerateSpec()
            act = sim.upload_generated(
                athlete,
                workout=gen.workout,
                start=gen.start,
                duration=gen.duration,
                seed=gen.seed,
                name=gen.name,
                private=gen.private,
            )
    except ControlError as exc:
        raise HTTPException(exc.status, str(exc)) from exc
    return activity_summary(act, athlete)


@router.get("/activities/{activity_id}")
async def get_activity(activity_id: int, sim: Simulator = Depends(get_sim)) -> dict[str, Any]:
    act = _activity(sim, activity_id)
    athlete = sim.store.athletes[act.athlete_id]
    return {**activity_summary(act, athlete), "deleted": act.deleted, "workout": act.workout}


@router.patch("/activities/{activity_id}")
async def edit_activity(
    activity_id: int, spec: EditSpec, sim: Simulator = Depends(get_sim)
) -> dict[str, Any]:
    act = _activity(sim, activity_id)
    changes: dict[str, Any] = {}
    if spec.name is not None:
        changes["name"] = spec.name
    sport = spec.sport_type or spec.type
    if sport is not None:
        changes["sport_type"] = sport
    if spec.private is not None:
        changes["private"] = spec.private
    if spec.description is not None:
        changes["description"] = spec.description
    try:
        changed, updates = sim.edit(act, changes)
    except ControlError as exc:
        raise HTTPException(exc.status, str(exc)) from exc
    return {"changed": sorted(changed), "updates": updates}


@router.delete("/activities/{activity_id}")
async def delete_activity(activity_id: int, sim: Simulator = Depends(get_sim)) -> Response:
    sim.delete(_activity(sim, activity_id))
    return Response(status_code=204)


@router.get("/clock")
async def get_clock(sim: Simulator = Depends(get_sim)) -> dict[str, float | None]:
    return sim.clock.snapshot()


@router.post("/clock")
async def set_clock(spec: ClockSpec, sim: Simulator = Depends(get_sim)) -> dict[str, Any]:
    if spec.freeze is True:
        sim.clock.freeze()
    if spec.set is not None:
        sim.clock.set(spec.set)
    if spec.advance is not None:
        sim.clock.advance(spec.advance)
    if spec.freeze is False:
        sim.clock.unfreeze()
    sim.changed()
    return sim.clock.snapshot()


@router.get("/usage")
async def usage(sim: Simulator = Depends(get_sim)) -> dict[str, Any]:
    return {"now": sim.now(), **sim.limiter.report(sim.now())}


@router.post("/limits")
async def set_limits(spec: LimitsSpec, sim: Simulator = Depends(get_sim)) -> dict[str, Any]:
    """Change the application's limits from now on, as a granted limit increase does."""
    sim.limiter.set_limits(
        spec.short_limit, spec.long_limit, spec.read_short_limit, spec.read_long_limit
    )
    sim.changed()
    return {"now": sim.now(), **sim.limiter.report(sim.now())}


@router.post("/usage/reset")
async def reset_usage(sim: Simulator = Depends(get_sim)) -> dict[str, Any]:
    sim.limiter.reset()
    sim.changed()
    return {"now": sim.now(), **sim.limiter.report(sim.now())}


@router.get("/deliveries")
async def deliveries(sim: Simulator = Depends(get_sim)) -> dict[str, Any]:
    return {"pending": sim.webhooks.pending, "deliveries": [d.to_dict() for d in sim.webhooks.log]}


@router.post("/deliveries/wait")
async def wait_deliveries(
    timeout: float = 10.0, sim: Simulator = Depends(get_sim)
) -> dict[str, Any]:
    done = await sim.webhooks.wait(timeout)
    return {"idle": done, "pending": sim.webhooks.pending}


@router.delete("/deliveries", status_code=204)
async def clear_deliveries(sim: Simulator = Depends(get_sim)) -> None:
    sim.webhooks.log.clear()


@router.get("/faults")
async def list_faults(sim: Simulator = Depends(get_sim)) -> list[dict[str, Any]]:
    return [r.to_dict() for r in sim.faults.rules]


@router.post("/faults", status_code=201)
async def add_fault(spec: dict[str, Any], sim: Simulator = Depends(get_sim)) -> Response:
    try:
        rule = sim.faults.add(spec)
    except FaultError as exc:
        return JSONResponse({"detail": str(exc)}, status_code=422)
    return JSONResponse(rule.to_dict(), status_code=201)


@router.delete("/faults/{rule_id}", status_code=204)
async def remove_fault(rule_id: int, sim: Simulator = Depends(get_sim)) -> None:
    if not sim.faults.remove(rule_id):
        raise HTTPException(404, f"no fault {rule_id}")


@router.delete("/faults", status_code=204)
async def clear_faults(sim: Simulator = Depends(get_sim)) -> None:
    sim.faults.clear()


@router.post("/state/save")
async def save_state(sim: Simulator = Depends(get_sim)) -> dict[str, Any]:
    for callback in sim.on_change:
        callback()
    return {"saved": bool(sim.on_change)}
