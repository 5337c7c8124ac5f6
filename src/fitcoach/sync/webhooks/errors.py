"""What the webhook callback answers when it refuses a request."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from fitcoach.core.errors import BadInput, FitcoachError


class NotAPushEvent(BadInput):
    """The body is not a Strava push event within bounds; the message names the field."""

    what_to_do = "Send a JSON push event as Strava documents it: integer ids, a recent event_time."


class NoSubscription(FitcoachError):
    """An event came before fitcoach knew its push subscription's id (Strava retries)."""

    status = 503
    what_to_do = "Run `fitcoach webhooks register`; Strava sends the event again."
    headers = MappingProxyType({"Retry-After": "60"})


class TooManyTries(FitcoachError):
    """This address sent too many requests without the callback's secret."""

    status = 429

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def response_headers(self) -> Mapping[str, str]:
        return {"Retry-After": str(max(1, round(self.retry_after)))}
