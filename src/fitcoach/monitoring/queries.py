"""The installation's state at a glance, read from the database, the budget and the queue.

Both the ``/metrics`` collector and the admin page read these; each function is one or
two queries, cheap enough to run at every scrape.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from fitcoach.core.queue import TaskQueue
from fitcoach.models import (
    Athlete,
    ClaimConflict,
    OidcIdentity,
    Passkey,
    SkippedActivity,
    StravaConnection,
    SyncState,
    WebhookEvent,
)
from fitcoach.monitoring.athletes import athlete_requests
from fitcoach.strava.budget import Budget, Usage, Window

# Recent lag is measured over the events handled in this span (and at most LAG_SAMPLE).
LAG_SPAN = timedelta(hours=1)
LAG_SAMPLE = 1000


@dataclass(frozen=True, slots=True)
class BudgetStatus:
    """The application's four windows, and every athlete's requests in the current ones."""

    usage: Usage
    athlete_short_limit: int
    athlete_daily_limit: int
    athletes_short: dict[int, int]
    athletes_daily: dict[int, int]


@dataclass(frozen=True, slots=True)
class AthleteCounts:
    connected: int
    new_this_week: int


@dataclass(frozen=True, slots=True)
class SignInCounts:
    """How the accounts sign in (an account may have several ways, so these overlap)."""

    accounts: int
    with_password: int
    with_passkey: int
    by_issuer: list[tuple[str, int]]  # accounts with an identity at each OIDC provider


@dataclass(frozen=True, slots=True)
class SyncFailure:
    athlete_id: int
    name: str
    failures: int
    last_error: str
    last_error_at: datetime | None


@dataclass(frozen=True, slots=True)
class DataConflict:
    """A piece of data fitcoach refused to store, and why: an activity Strava sent that
    no column could hold, or a Strava id one athlete's own data claimed that Strava gave
    to another athlete."""

    at: datetime
    athlete_id: int
    strava_id: int
    what: str


def data_conflicts(session: Session, limit: int = 20) -> list[DataConflict]:
    """The newest skipped activities and dropped claims, newest first."""
    skipped = session.execute(
        select(SkippedActivity).order_by(SkippedActivity.skipped_at.desc()).limit(limit)
    ).scalars()
    claims = session.execute(
        select(ClaimConflict).order_by(ClaimConflict.found_at.desc()).limit(limit)
    ).scalars()
    found = [
        DataConflict(row.skipped_at, row.athlete_id, row.strava_id, f"not stored: {row.reason}")
        for row in skipped
    ] + [
        DataConflict(
            row.found_at,
            row.claimed_by,
            row.strava_id,
            f"claimed by this athlete's own data; Strava gave it to athlete {row.owner}, "
            "whose activity was kept",
        )
        for row in claims
    ]
    return sorted(found, key=lambda conflict: conflict.at, reverse=True)[:limit]


@dataclass(frozen=True, slots=True)
class WebhookStatus:
    unprocessed: int
    retrying: int  # unprocessed events that a worker already tried
    oldest_received_at: datetime | None
    processed_recently: int  # within LAG_SPAN
    lag_median_s: float | None
    lag_max_s: float | None

    def oldest_age_s(self, now: datetime) -> float:
        if self.oldest_received_at is None:
            return 0.0
        return max(0.0, (now - self.oldest_received_at).total_seconds())


@dataclass(frozen=True, slots=True)
class QueueStatus:
    pending: int
    scheduled: int


def budget_status(budget: Budget) -> BudgetStatus:
    limits = budget.limits
    return BudgetStatus(
        usage=budget.usage(),
        athlete_short_limit=limits.athlete_short,
        athlete_daily_limit=limits.athlete_long,
        athletes_short=athlete_requests(budget, Window.SHORT),
        athletes_daily=athlete_requests(budget, Window.DAILY),
    )


def athlete_counts(session: Session, now: datetime) -> AthleteCounts:
    """Connected athletes, and athletes who connected in the last 7 days."""
    week_ago = now - timedelta(days=7)
    connected = session.scalar(
        select(func.count())
        .select_from(StravaConnection)
        .where(StravaConnection.connected.is_(True))
    )
    new = session.scalar(select(func.count()).where(Athlete.created_at >= week_ago))
    return AthleteCounts(connected=int(connected or 0), new_this_week=int(new or 0))


def sign_in_counts(session: Session) -> SignInCounts:
    """Accounts, and how many of them can sign in by password, passkey or each provider."""
    accounts = session.scalar(select(func.count()).select_from(Athlete))
    with_password = session.scalar(select(func.count()).where(Athlete.password_hash.is_not(None)))
    with_passkey = session.scalar(select(func.count(func.distinct(Passkey.athlete_id))))
    issuers = session.execute(
        select(OidcIdentity.issuer, func.count(func.distinct(OidcIdentity.athlete_id)))
        .group_by(OidcIdentity.issuer)
        .order_by(OidcIdentity.issuer)
    )
    return SignInCounts(
        accounts=int(accounts or 0),
        with_password=int(with_password or 0),
        with_passkey=int(with_passkey or 0),
        by_issuer=[(issuer, int(count)) for issuer, count in issuers],
    )


def failing_count(session: Session) -> int:
    """Athletes whose latest sync attempts failed (reset by their next good sync)."""
    query = select(func.count()).select_from(SyncState).where(SyncState.consecutive_failures > 0)
    return int(session.scalar(query) or 0)


def sync_failures(session: Session, limit: int = 20) -> list[SyncFailure]:
    """The athletes whose syncs are failing now, most recent failure first, with the reason."""
    query = (
        select(SyncState, Athlete.firstname, Athlete.lastname)
        .join(Athlete, Athlete.id == SyncState.athlete_id)
        .where(SyncState.consecutive_failures > 0)
        .order_by(SyncState.last_error_at.desc(), SyncState.athlete_id)
        .limit(limit)
    )
    return [
        SyncFailure(
            athlete_id=state.athlete_id,
            name=f"{first} {last}".strip(),
            failures=state.consecutive_failures,
            last_error=state.last_error or "",
            last_error_at=state.last_error_at,
        )
        for state, first, last in session.execute(query)
    ]


def webhook_status(session: Session, now: datetime) -> WebhookStatus:
    pending = session.execute(
        select(
            func.count(),
            func.count(case((WebhookEvent.attempts > 0, 1))),
            func.min(WebhookEvent.received_at),
        ).where(WebhookEvent.processed_at.is_(None))
    ).one()
    recent = session.execute(
        select(WebhookEvent.event_time, WebhookEvent.processed_at)
        .where(WebhookEvent.processed_at >= now - LAG_SPAN)
        .order_by(WebhookEvent.processed_at.desc())
        .limit(LAG_SAMPLE)
    )
    lags = _lags(recent)
    return WebhookStatus(
        unprocessed=int(pending[0] or 0),
        retrying=int(pending[1] or 0),
        oldest_received_at=pending[2],
        processed_recently=len(lags),
        lag_median_s=statistics.median(lags) if lags else None,
        lag_max_s=max(lags) if lags else None,
    )


def _lags(rows: Iterable[tuple[datetime, datetime | None]]) -> list[float]:
    return [
        max(0.0, (processed - event).total_seconds())
        for event, processed in rows
        if processed is not None
    ]


def queue_status(queue: TaskQueue) -> QueueStatus | None:
    counts = queue.counts()
    if counts is None:
        return None
    return QueueStatus(pending=counts.pending, scheduled=counts.scheduled)


def athlete_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = list(ids)
    if not wanted:
        return {}
    query = select(Athlete.id, Athlete.firstname, Athlete.lastname).where(Athlete.id.in_(wanted))
    return {
        athlete_id: f"{first} {last}".strip() for athlete_id, first, last in session.execute(query)
    }
