"""Every error says what happened and what to do about it: as JSON for the API and for
programs, as a page for a person's browser."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from fitcoach.core.errors import FitcoachError
from fitcoach.web.templating import message_page

log = logging.getLogger(__name__)

_WHAT_TO_DO = {
    400: "Check the request and try again.",
    401: "Log in with Strava and try again.",
    403: "You are not allowed to do this; log in as the right athlete.",
    404: "Check the address; the thing you asked for does not exist here.",
    405: "Use the method the endpoint documents.",
    422: "Fix the fields named in 'detail' and send the request again.",
    429: "Wait a moment before trying again.",
    500: "Try again; if it keeps happening, tell the operator the request id.",
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


_PLAIN_REASONS = {
    404: "There is no page at this address.",
    405: "This page cannot be used that way.",
}

# Machine endpoints answer JSON whatever the client accepts.
_JSON_ONLY = ("/api/", "/webhooks", "/healthz", "/readyz", "/metrics")


def wants_html(request: Request) -> bool:
    """A browser asking for a page (or htmx asking for a part of one), not a program."""
    if request.url.path.startswith(_JSON_ONLY):
        return False
    return "text/html" in request.headers.get("accept", "") or "hx-request" in request.headers


def _html_error(
    request: Request,
    status: int,
    reason: str,
    headers: Mapping[str, str] | None = None,
    what_to_do: str | None = None,
) -> Response:
    phrase = HTTPStatus(status).phrase
    if reason == phrase:  # Starlette's bare "Not Found" says nothing a person can use
        reason = _PLAIN_REASONS.get(status, f"fitcoach answered: {phrase}.")
    action = None
    if status == 401:
        action = ("/auth/strava/login", "Connect with Strava")
    elif status == 403 and what_to_do is None:
        what_to_do = "Go back, reload the page and submit the form again."
    elif status in (404, 405, 422):
        action = ("/", "Go to the dashboard")
    response = message_page(
        request,
        phrase,
        reason,
        what_to_do or _WHAT_TO_DO.get(status, "Try again later."),
        status_code=status,
        action=action,
    )
    if headers:
        response.headers.update(headers)
    return response


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        headers = getattr(error, "headers", None)
        if wants_html(request):
            return _html_error(request, error.status_code, str(error.detail), headers)
        return JSONResponse(
            error_body(error.status_code, str(error.detail)),
            status_code=error.status_code,
            headers=headers,
        )

    @app.exception_handler(FitcoachError)
    async def fitcoach_error(request: Request, error: FitcoachError) -> Response:
        """Every error fitcoach raises on purpose, answered by its type."""
        if error.status >= 500:
            log.error("request failed", extra={"error_type": type(error).__name__}, exc_info=error)
        headers = error.response_headers()
        if wants_html(request):
            return _html_error(request, error.status, str(error), headers, error.what_to_do)
        return JSONResponse(
            error_body(error.status, str(error), error.what_to_do),
            status_code=error.status,
            headers=dict(headers) if headers else None,
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> Response:
        if wants_html(request):
            return _html_error(
                request, 422, "This address or form has a value fitcoach cannot use."
            )
        body = error_body(422, "The request's parameters are not valid.")
        body["detail"] = [
            {"field": ".".join(str(part) for part in item["loc"]), "problem": item["msg"]}
            for item in error.errors()
        ]
        return JSONResponse(body, status_code=422)

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, error: Exception) -> Response:
        log.exception("unhandled error", extra={"error_type": type(error).__name__})
        if wants_html(request):
            return _html_error(request, 500, "Something went wrong inside fitcoach.")
        return JSONResponse(
            error_body(
                500,
                "Something went wrong inside fitcoach.",
                "Try again; if it keeps happening, tell the operator the request id.",
            ),
            status_code=500,
        )
