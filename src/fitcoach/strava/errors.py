"""Errors from talking to Strava: one hierarchy a caller can catch at any depth."""

from __future__ import annotations

from datetime import datetime

from fitcoach.core.errors import FitcoachError


class StravaError(FitcoachError):
    """Base class: something about a Strava request did not work."""


class BadRequest(StravaError):
    """Strava refused the request's content (e.g. an invalid or reused OAuth code)."""


class Unauthorized(StravaError):
    """The token is missing, expired or revoked: the athlete must reconnect."""


class MissingScope(Unauthorized):
    """The token is valid but lacks a permission the request needs (the athlete unticked
    "View data about your activities"): only connecting again with it helps."""


class NotFound(StravaError):
    """The object does not exist or is not visible with this token."""


class RateLimited(StravaError):
    """Strava answered 429; nothing more may be sent until ``retry_at``."""

    def __init__(self, message: str, retry_at: datetime | None = None) -> None:
        super().__init__(message)
        self.retry_at = retry_at


class BudgetExhausted(StravaError):
    """fitcoach's own budget gate refused the request; it may go at ``retry_at``."""

    def __init__(self, message: str, retry_at: datetime | None = None) -> None:
        super().__init__(message)
        self.retry_at = retry_at


class Unavailable(StravaError):
    """Strava could not be reached or kept failing (5xx, time-outs) after retries."""


class BadResponse(StravaError):
    """Strava's answer was not what the API documents (malformed JSON, wrong shape)."""
