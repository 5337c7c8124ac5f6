"""Push subscriptions: one per application, created only after the callback passes the handshake."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from .core import Simulator, get_sim
from .errors import bad_request, error_response
from .forms import read_params
from .models import Subscription
from .serialize import iso

router = APIRouter(prefix="/api/v3")


def _client_error(sim: Simulator, params: dict[str, str]) -> Response | None:
    if params.get("client_id") != sim.config.client_id:
        return error_response(401, "Authorization Error", "Application", "client_id", "invalid")
    if params.get("client_secret") != sim.config.client_secret:
        return error_response(401, "Authorization Error", "Application", "client_secret", "invalid")
    return None


def _describe(sub: Subscription) -> dict[str, Any]:
    return {
        "id": sub.id,
        "resource_state": 2,
        "application_id": int(sub.client_id) if sub.client_id.isdigit() else sub.client_id,
        "callback_url": sub.callback_url,
        "created_at": iso(sub.created_at),
        "updated_at": iso(sub.created_at),
    }


@router.post("/push_subscriptions")
async def create(request: Request, sim: Simulator = Depends(get_sim)) -> Response:
    params = await read_params(request)
    refused = _client_error(sim, params)
    if refused is not None:
        return refused
    callback = params.get("callback_url", "")
    if not callback.startswith(("http://", "https://")):
        return bad_request("PushSubscription", "callback url", "invalid")
    if sim.store.subscription is not None:
        return bad_request("PushSubscription", "", "already exists")
    problem = await sim.webhooks.validate(callback, params.get("verify_token", ""))
    if problem is not None:
        return JSONResponse(
            {
                "message": "Bad Request",
                "errors": [
                    {
                        "resource": "PushSubscription",
                        "field": "callback url",
                        "code": "not verifiable",
                    }
                ],
                "detail": problem,
            },
            status_code=400,
        )
    sub = Subscription(
        sim.store.next_subscription_id,
        sim.config.client_id,
        callback,
        params.get("verify_token", ""),
        sim.now(),
    )
    sim.store.next_subscription_id += 1
    sim.store.subscription = sub
    sim.changed()
    return JSONResponse({"id": sub.id}, status_code=201)


@router.get("/push_subscriptions")
async def view(request: Request, sim: Simulator = Depends(get_sim)) -> Response:
    refused = _client_error(sim, await read_params(request))
    if refused is not None:
        return refused
    sub = sim.store.subscription
    return JSONResponse([_describe(sub)] if sub else [])


@router.delete("/push_subscriptions/{subscription_id}")
async def delete(
    subscription_id: int, request: Request, sim: Simulator = Depends(get_sim)
) -> Response:
    refused = _client_error(sim, await read_params(request))
    if refused is not None:
        return refused
    sub = sim.store.subscription
    if sub is None or sub.id != subscription_id:
        return error_response(404, "Record Not Found", "PushSubscription", "id", "invalid")
    sim.store.subscription = None
    sim.changed()
    return Response(status_code=204)
