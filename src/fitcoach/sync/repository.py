"""Where each athlete's sync stands (``sync_states``): read, claimed and moved on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, or_, select, update
from sqlalchemy.orm import Session

from fitcoach.models import SkippedActivity, StravaConnection, SyncState


@dataclass(frozen=True)
class SyncMarks:
    """What a view reads of the athlete's sync state: whether to refresh, and how fresh."""

    dirty: bool
    last_sync_at: datetime | None

    @property
    def refresh_due(self) -> bool:
        """A webhook said there is news for an athlete synced before: refresh first."""
        return self.dirty and self.last_sync_at is not None


def sync_marks(reader: Session | Connection, athlete_id: int) -> SyncMarks:
    """The athlete's sync marks, read in the caller's session or connection."""
    query = select(SyncState.dirty, SyncState.last_sync_at).where(
        SyncState.athlete_id == athlete_id
    )
    row = reader.execute(query).first()
    return SyncMarks(False, None) if row is None else SyncMarks(bool(row.dirty), row.last_sync_at)


def get_sync_state(session: Session, athlete_id: int) -> SyncState | None:
    return session.get(SyncState, athlete_id)


def sync_state_for_update(session: Session, athlete_id: int) -> SyncState:
    """The athlete's sync state, created when they have none yet."""
    state = session.get(SyncState, athlete_id)
    if state is None:
        state = SyncState(athlete_id=athlete_id)
        session.add(state)
    return state


def claim_backfill_cursor(session: Session, athlete_id: int, cursor: datetime | None) -> bool:
    """Compare-and-set on the backfill cursor: True (and the row locked for the rest of the
    transaction) while it is still ``cursor`` and the backfill not done. If two backfill
    chains for one athlete race (a re-queue after a crash), only one advances it."""
    same_cursor = (
        SyncState.backfill_cursor.is_(None)
        if cursor is None
        else SyncState.backfill_cursor == cursor
    )
    claim = session.execute(
        update(SyncState)
        .where(SyncState.athlete_id == athlete_id, same_cursor)
        .where(SyncState.backfill_done.is_(False))
        .values(backfill_cursor=SyncState.backfill_cursor)
    )
    return bool(getattr(claim, "rowcount", 0))


def unfinished_backfills(session: Session) -> list[int]:
    """Connected athletes whose history is not completely fetched."""
    query = (
        select(SyncState.athlete_id)
        .join(StravaConnection, StravaConnection.athlete_id == SyncState.athlete_id)
        .where(StravaConnection.connected.is_(True), SyncState.backfill_done.is_(False))
    )
    return list(session.scalars(query))


def stale_connected_athletes(
    session: Session, synced_before: datetime, dirty_only: bool
) -> list[int]:
    """Connected athletes last synced before ``synced_before`` (or never); ``dirty_only``:
    only those with news."""
    query = (
        select(StravaConnection.athlete_id)
        .join(SyncState, SyncState.athlete_id == StravaConnection.athlete_id)
        .where(StravaConnection.connected.is_(True))
        .where(or_(SyncState.last_sync_at.is_(None), SyncState.last_sync_at < synced_before))
    )
    if dirty_only:
        query = query.where(SyncState.dirty.is_(True))
    return list(session.scalars(query))


def strava_athlete_of(session: Session, athlete_id: int) -> int | None:
    """The Strava athlete id of the athlete's connection (what push events name)."""
    query = select(StravaConnection.strava_athlete_id).where(
        StravaConnection.athlete_id == athlete_id
    )
    return session.scalar(query)


def delete_sync_state(session: Session, athlete_id: int) -> None:
    """Forget where the athlete's Strava sync stood: a new connection starts afresh."""
    state = session.get(SyncState, athlete_id)
    if state is not None:
        session.delete(state)


def backfill_due(session: Session, athlete_id: int, at: datetime | None) -> None:
    """Note when the athlete's next backfill page should be fetched (None: no page)."""
    session.execute(
        update(SyncState).where(SyncState.athlete_id == athlete_id).values(backfill_next_at=at)
    )


def stalled_backfills(session: Session, due_before: datetime) -> list[int]:
    """Connected athletes whose unfinished backfill was due before ``due_before`` (or has
    no due time) and has not moved on since: its task was lost."""
    query = (
        select(SyncState.athlete_id)
        .join(StravaConnection, StravaConnection.athlete_id == SyncState.athlete_id)
        .where(StravaConnection.connected.is_(True), SyncState.backfill_done.is_(False))
        .where(or_(SyncState.backfill_next_at.is_(None), SyncState.backfill_next_at < due_before))
    )
    return list(session.scalars(query))


def record_skipped(
    session: Session, athlete_id: int, strava_id: int, name: str, reason: str, at: datetime
) -> None:
    """Remember that this activity could not be stored, and why (the latest reason)."""
    found = session.scalar(
        select(SkippedActivity).where(
            SkippedActivity.athlete_id == athlete_id, SkippedActivity.strava_id == strava_id
        )
    )
    if found is None:
        session.add(
            SkippedActivity(
                athlete_id=athlete_id, strava_id=strava_id, name=name, reason=reason, skipped_at=at
            )
        )
        return
    found.name, found.reason, found.skipped_at = name, reason, at


def forget_skipped(session: Session, athlete_id: int, strava_ids: list[int]) -> None:
    """These activities were stored after all (Strava sent them again, fixed)."""
    if strava_ids:
        session.execute(
            delete(SkippedActivity).where(
                SkippedActivity.athlete_id == athlete_id,
                SkippedActivity.strava_id.in_(strava_ids),
            )
        )
