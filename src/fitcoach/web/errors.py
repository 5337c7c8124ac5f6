"""Every error leaves the app as JSON with a reason and what to do about it."""

from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

_WHAT_TO_DO = {
    400: "Check the request and try again.",
    401: "Log in with Strava and try again.",
    403: "You are not allowed to do this; log in as the right athlete.",
    404: "Check the address; the thing you asked for does not exist here.",
    405: "Use the method the endpoint documents.",
    422: "Fix the fields named in 'detail' and send the request again.",
    429: "Wait a moment before trying again.",
    503: "fitcoach is not ready; try again shortly.",
}


def error_body(status: int, reason: str, what_to_do: str | None = None) -> dict[str, object]:
    return {
        "error": {
            "status": status,
            "title": HTTPStatus(status).phrase,
            "reason": reason,
            "what_to_do": what_to_do or _WHAT_TO_DO.get(status, "Try again later."),
        }
    }


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            error_body(error.status_code, str(error.detail)),
            status_code=error.status_code,
            headers=getattr(error, "headers", None),
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
        body = error_body(422, "The request's parameters are not valid.")
        body["detail"] = [
            {"field": ".".join(str(part) for part in item["loc"]), "problem": item["msg"]}
            for item in error.errors()
        ]
        return JSONResponse(body, status_code=422)

    @app.exception_handler(Exception)
    async def unexpected_error(_request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"error_type": type(error).__name__})
        return JSONResponse(
            error_body(
                500,
                "Something went wrong inside fitcoach.",
                "Try again; if it keeps happening, tell the operator the request id.",
            ),
            status_code=500,
        )
