"""Stored push events, and the push subscription fitcoach registered."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from fitcoach.models import AppSetting, WebhookEvent

SUBSCRIPTION_ID = "strava_subscription_id"


def insert_event(session: Session, values: dict[str, Any]) -> int | None:
    """Insert the event unless one with its dedupe key is stored; its id when it is new."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(WebhookEvent)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(WebhookEvent.id)
    )
    return session.execute(statement).scalar_one_or_none()


def get_event(session: Session, event_id: int) -> WebhookEvent | None:
    return session.get(WebhookEvent, event_id)


def unprocessed_event_ids(
    session: Session, limit: int = 500, received_before: datetime | None = None
) -> list[int]:
    """Events stored but not yet handled (a worker died, the queue was down); with
    ``received_before``, only those received before it and not due after it (an event
    deferred to the budget's reset has its task waiting)."""
    query = select(WebhookEvent.id).where(WebhookEvent.processed_at.is_(None))
    if received_before is not None:
        query = query.where(WebhookEvent.received_at < received_before).where(
            or_(WebhookEvent.next_try_at.is_(None), WebhookEvent.next_try_at < received_before)
        )
    query = query.order_by(WebhookEvent.id).limit(limit)
    return list(session.scalars(query))


def event_due(session: Session, event_id: int, at: datetime) -> None:
    """The event's next try is due at ``at`` (its task is scheduled for then)."""
    session.execute(update(WebhookEvent).where(WebhookEvent.id == event_id).values(next_try_at=at))


def event_failed(session: Session, event_id: int, reason: str, at: datetime) -> None:
    """Handling the event failed for good: closed, with the reason kept."""
    session.execute(
        update(WebhookEvent)
        .where(WebhookEvent.id == event_id, WebhookEvent.processed_at.is_(None))
        .values(processed_at=at, last_error=reason)
    )


def prune_processed(session: Session, processed_before: datetime) -> int:
    """Delete the events handled before ``processed_before``; how many went."""
    pruned = session.execute(
        delete(WebhookEvent).where(WebhookEvent.processed_at < processed_before)
    )
    return int(getattr(pruned, "rowcount", 0) or 0)


def _deauthorizations_of(strava_athlete_id: int) -> tuple[Any, ...]:
    # Only deauthorizations are stored of the Strava athlete events (``receive_event``).
    return (WebhookEvent.owner_id == strava_athlete_id, WebhookEvent.object_type == "athlete")


def pending_deauthorization(session: Session, strava_athlete_id: int) -> int | None:
    """The Strava athlete's stored deauthorization that no check has taken up yet, if any."""
    query = select(func.min(WebhookEvent.id)).where(
        *_deauthorizations_of(strava_athlete_id), WebhookEvent.processed_at.is_(None)
    )
    return session.scalar(query)


def last_deauthorization_check(session: Session, strava_athlete_id: int) -> datetime | None:
    """When a check of the Strava athlete's access last took up their deauthorizations."""
    query = select(func.max(WebhookEvent.processed_at)).where(
        *_deauthorizations_of(strava_athlete_id)
    )
    return session.scalar(query)


def claim_deauthorizations(session: Session, strava_athlete_id: int, at: datetime) -> list[int]:
    """Take up every pending deauthorization of the Strava athlete for one check, marking them
    handled at ``at``; a concurrent claim gets none of the same rows."""
    statement = (
        update(WebhookEvent)
        .where(*_deauthorizations_of(strava_athlete_id), WebhookEvent.processed_at.is_(None))
        .values(processed_at=at)
        .returning(WebhookEvent.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(session.scalars(statement))


def release_events(session: Session, event_ids: Sequence[int]) -> None:
    """Claimed events whose check failed: pending again, for the retry."""
    if event_ids:
        session.execute(
            update(WebhookEvent)
            .where(WebhookEvent.id.in_(event_ids))
            .values(processed_at=None)
            .execution_options(synchronize_session=False)
        )


def handled_deletes(session: Session, athlete_id: int, activity_ids: Sequence[int]) -> list[int]:
    """Those of these activities that a delete event already handled named."""
    if not activity_ids:
        return []
    query = select(WebhookEvent.object_id).where(
        WebhookEvent.owner_id == athlete_id,
        WebhookEvent.object_type == "activity",
        WebhookEvent.aspect_type == "delete",
        WebhookEvent.processed_at.is_not(None),
        WebhookEvent.object_id.in_(activity_ids),
    )
    return sorted(set(session.scalars(query)))


def latest_event_received_at(session: Session) -> datetime | None:
    # The newest row by id (the primary key's index) rather than a scan for max(received_at).
    query = select(WebhookEvent.received_at).order_by(WebhookEvent.id.desc()).limit(1)
    return session.scalar(query)


def delete_events_of(session: Session, athlete_id: int) -> None:
    session.execute(delete(WebhookEvent).where(WebhookEvent.owner_id == athlete_id))


def get_setting(session: Session, key: str) -> str | None:
    row = session.get(AppSetting, key)
    return row.value if row else None


def set_setting(session: Session, key: str, value: str | None) -> None:
    row = session.get(AppSetting, key)
    if value is None:
        if row is not None:
            session.delete(row)
        return
    if row is None:
        session.add(AppSetting(key=key, value=value))
    else:
        row.value = value
