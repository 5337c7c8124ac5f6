"""The application's one Strava push subscription: registered once, remembered in the DB."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from fitcoach.core.db import transaction
from fitcoach.strava.client import StravaClient
from fitcoach.strava.errors import StravaError
from fitcoach.sync.webhooks.repository import SUBSCRIPTION_ID, get_setting, set_setting

log = logging.getLogger("fitcoach.sync")


class SubscriptionConflict(StravaError):
    """Strava already has a subscription for this application, pointing elsewhere."""


# Where Strava posts: this prefix, then the secret (STRAVA_WEBHOOK_CALLBACK_SECRET).
CALLBACK_PREFIX = "/webhooks/strava"


def callback_url(public_url: str, secret: str) -> str:
    """The callback Strava is given: unsigned events are told from forged ones by the
    secret in its path, which only Strava (and fitcoach) know."""
    return f"{public_url.rstrip('/')}{CALLBACK_PREFIX}/{secret}"


def register_subscription(
    sessions: sessionmaker[Session],
    client: StravaClient,
    public_url: str,
    verify_token: str,
    secret: str,
    replace: bool = False,
) -> int:
    """Create the subscription (Strava validates the callback first) and remember its id.

    An existing subscription to the same callback is adopted; one to another callback
    (another installation, or this one before its secret changed) is replaced only when
    asked.
    """
    url = callback_url(public_url, secret)
    for existing in client.subscriptions():
        if existing.callback_url == url:
            _remember(sessions, existing.id)
            return existing.id
        if not replace:
            raise SubscriptionConflict(
                f"Strava already sends this application's events to "
                f"{redacted(existing.callback_url or '')}; run `fitcoach webhooks register "
                "--replace` to point them here"
            )
        client.delete_subscription(existing.id)
    created = client.create_subscription(url, verify_token)
    _remember(sessions, created.id)
    log.info("push subscription registered", extra={"subscription_id": created.id})
    return created.id


def redacted(url: str) -> str:
    """A callback URL fit for a log line or a terminal: its secret left out."""
    head, found, _ = url.partition(f"{CALLBACK_PREFIX}/")
    return f"{head}{CALLBACK_PREFIX}/…" if found else url


def remembered_subscription(sessions: sessionmaker[Session]) -> int | None:
    with sessions() as session:
        value = get_setting(session, SUBSCRIPTION_ID)
    return int(value) if value else None


def _remember(sessions: sessionmaker[Session], subscription_id: int) -> None:
    with transaction(sessions) as session:
        set_setting(session, SUBSCRIPTION_ID, str(subscription_id))


@dataclass
class ExpectedSubscription:
    """The push subscription events must name: from the settings, else as registered.

    The registered id is re-read at most every ``every`` seconds, so all web processes
    learn of a new registration without a restart and without a query per event.
    """

    sessions: sessionmaker[Session]
    configured: int | None = None
    every: float = 30.0
    _read: tuple[float, int | None] = field(default=(0.0, None), repr=False)

    def __call__(self) -> int | None:
        if self.configured is not None:
            return self.configured
        read_at, value = self._read
        if value is None or time.monotonic() - read_at > self.every:
            value = remembered_subscription(self.sessions)
            self._read = (time.monotonic(), value)
        return value
