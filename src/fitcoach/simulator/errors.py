"""Strava's error bodies (the `Fault` model) and the responses that carry them."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse


def fault(message: str, resource: str, field: str, code: str) -> dict[str, Any]:
    return {"message": message, "errors": [{"resource": resource, "field": field, "code": code}]}


def error_response(status: int, message: str, resource: str, field: str, code: str) -> JSONResponse:
    return JSONResponse(fault(message, resource, field, code), status_code=status)


def unauthorized(field: str = "access_token", resource: str = "Athlete") -> JSONResponse:
    return error_response(401, "Authorization Error", resource, field, "invalid")


def missing_scope(permission: str) -> JSONResponse:
    """What Strava answers when the token lacks a scope the endpoint needs."""
    return error_response(401, "Authorization Error", "AccessToken", permission, "missing")


def bad_request(resource: str, field: str, code: str = "invalid") -> JSONResponse:
    return error_response(400, "Bad Request", resource, field, code)


def not_found(resource: str = "Activity", field: str = "id") -> JSONResponse:
    return error_response(404, "Record Not Found", resource, field, "invalid")


RATE_LIMIT_BODY = fault("Rate Limit Exceeded", "Application", "rate limit", "exceeded")
