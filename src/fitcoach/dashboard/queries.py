"""What the dashboard, the chart and the coach page read from the store, as typed rows.

Reads only (zero Strava calls: a page refreshes from Strava, through ``sync.freshness``,
only when the head read says a webhook brought news), on the connection of a page read's
turn; the computing happens in ``dashboard.views`` after the turn.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple

from sqlalchemy import Connection, exists, func, select

from fitcoach.activities.queries import (
    ActivityLineRow,
    DayActivityRow,
    EventLeg,
    WeekRow,
    activities_between,
    activity_lines,
    daily_load_history,
    event_legs_of,
    week_rows,
)
from fitcoach.athletes.views import goal_of
from fitcoach.coach import DailyLoads, GoalEvent
from fitcoach.models import (
    Activity,
    Athlete,
    LoadRecompute,
    PlannedWorkout,
    SkippedActivity,
    StravaConnection,
    SyncState,
)
from fitcoach.sync.repository import SyncMarks

RECENT_ACTIVITIES = 10
# The activities from Strava that could not be stored, at most this many on the dashboard.
SKIPPED_SHOWN = 5
COMPARE_WEEKS = 4


def compared_since(today: date) -> datetime:
    """From when a weekly summary of ``today``'s week needs activities: the Monday
    ``COMPARE_WEEKS`` weeks back, a day early for local start times west of UTC."""
    monday = today - timedelta(days=today.weekday())
    return datetime.combine(monday - timedelta(weeks=COMPARE_WEEKS, days=1), time(), UTC)


class HeadRow(NamedTuple):
    """The athlete, their sync state (None where never synced) and how much is stored."""

    id: int
    firstname: str
    lastname: str
    has_strava: bool
    connected: bool | None
    disconnected_reason: str | None
    goal_event_name: str | None
    goal_event_date: date | None
    goal_event_priority: str | None
    synced: bool
    dirty: bool | None
    last_sync_at: datetime | None
    backfill_done: bool | None
    backfill_fetched: int | None
    backfill_cursor: datetime | None
    backfill_started_at: datetime | None
    newest_activity_at: datetime | None
    history_starts_at: datetime | None
    consecutive_failures: int | None
    last_error: str | None
    last_error_at: datetime | None
    stored: int
    # The latest load recompute after a threshold change (None: never asked for).
    recompute_total: int | None = None
    recompute_done: int | None = None
    recompute_requested_at: datetime | None = None
    recompute_finished_at: datetime | None = None
    # Whether Strava sent activities fitcoach could not store: their read is made only then.
    has_skipped: bool = False

    @property
    def marks(self) -> SyncMarks:
        """Whether to refresh before showing the page, and how fresh the data is."""
        return SyncMarks(bool(self.dirty), self.last_sync_at)


def head(connection: Connection, athlete_id: int) -> HeadRow | None:
    """The dashboard's first read: None when the athlete is not stored."""
    stored = select(func.count()).where(Activity.athlete_id == athlete_id).scalar_subquery()
    skipped = exists().where(SkippedActivity.athlete_id == athlete_id)
    query = (
        select(
            Athlete.id,
            Athlete.firstname,
            Athlete.lastname,
            StravaConnection.athlete_id.is_not(None),
            StravaConnection.connected,
            StravaConnection.disconnected_reason,
            Athlete.goal_event_name,
            Athlete.goal_event_date,
            Athlete.goal_event_priority,
            SyncState.athlete_id.is_not(None),
            SyncState.dirty,
            SyncState.last_sync_at,
            SyncState.backfill_done,
            SyncState.backfill_fetched,
            SyncState.backfill_cursor,
            SyncState.backfill_started_at,
            SyncState.newest_activity_at,
            SyncState.history_starts_at,
            SyncState.consecutive_failures,
            SyncState.last_error,
            SyncState.last_error_at,
            stored,
            LoadRecompute.total,
            LoadRecompute.done,
            LoadRecompute.requested_at,
            LoadRecompute.finished_at,
            skipped,
        )
        .outerjoin(StravaConnection, StravaConnection.athlete_id == Athlete.id)
        .outerjoin(SyncState, SyncState.athlete_id == Athlete.id)
        .outerjoin(LoadRecompute, LoadRecompute.athlete_id == Athlete.id)
        .where(Athlete.id == athlete_id)
    )
    row = connection.execute(query).first()
    return None if row is None else HeadRow._make(row)


@dataclass(frozen=True)
class DashboardReads:
    """What the dashboard reads from the store, before any of it is computed."""

    head: HeadRow
    history: DailyLoads
    week: list[WeekRow]
    recent: list[ActivityLineRow]
    skipped: list[SkippedRow]
    # The recent activities that are legs of a multisport event: their place in it.
    events: dict[int, EventLeg]


def read_dashboard(connection: Connection, athlete_id: int, today: date) -> DashboardReads | None:
    """The dashboard's reads, or None if the athlete is not stored."""
    found = head(connection, athlete_id)
    if found is None:
        return None
    recent = activity_lines(connection, athlete_id, limit=RECENT_ACTIVITIES)
    # Most athletes have no multisport files and nothing Strava sent that could not be
    # stored: their page makes no read for either.
    legs = [row.id for row in recent if row.multisport_group is not None]
    return DashboardReads(
        found,
        daily_load_history(connection, athlete_id),
        week_rows(connection, athlete_id, compared_since(today)),
        recent,
        skipped_rows(connection, athlete_id) if found.has_skipped else [],
        event_legs_of(connection, athlete_id, legs) if legs else {},
    )


class SkippedRow(NamedTuple):
    """An activity Strava sent that fitcoach could not store, and why."""

    strava_id: int
    name: str
    reason: str
    skipped_at: datetime


def skipped_rows(connection: Connection, athlete_id: int) -> list[SkippedRow]:
    """The athlete's newest activities from Strava that could not be stored."""
    query = (
        select(
            SkippedActivity.strava_id,
            SkippedActivity.name,
            SkippedActivity.reason,
            SkippedActivity.skipped_at,
        )
        .where(SkippedActivity.athlete_id == athlete_id)
        .order_by(SkippedActivity.skipped_at.desc())
        .limit(SKIPPED_SHOWN)
    )
    return [SkippedRow._make(row) for row in connection.execute(query)]


@dataclass(frozen=True)
class GoalHistory:
    """What the chart and the coach read before computing: the goal and the history."""

    goal: GoalEvent | None
    history: DailyLoads


def read_goal_history(connection: Connection, athlete_id: int) -> GoalHistory | None:
    """The athlete's goal and load history, or None if they are not stored."""
    query = select(
        Athlete.goal_event_name, Athlete.goal_event_date, Athlete.goal_event_priority
    ).where(Athlete.id == athlete_id)
    row = connection.execute(query).first()
    if row is None:
        return None
    return GoalHistory(goal_of(row), daily_load_history(connection, athlete_id))


class PlannedRow(NamedTuple):
    """A session of the athlete's current plan, as the calendar shows it."""

    id: int
    day: date
    sport: str
    name: str
    minutes: int
    planned_load: float


def planned_between(
    connection: Connection, athlete_id: int, first: date, last: date
) -> list[PlannedRow]:
    """The current plan's sessions on the days from ``first`` to ``last``."""
    query = (
        select(
            PlannedWorkout.id,
            PlannedWorkout.day,
            PlannedWorkout.sport,
            PlannedWorkout.name,
            PlannedWorkout.minutes,
            PlannedWorkout.planned_load,
        )
        .where(
            PlannedWorkout.athlete_id == athlete_id,
            PlannedWorkout.day >= first,
            PlannedWorkout.day <= last,
        )
        .order_by(PlannedWorkout.day, PlannedWorkout.sport)
    )
    return [PlannedRow._make(row) for row in connection.execute(query)]


@dataclass(frozen=True)
class CalendarReads:
    """What the calendar reads: the days' activities, the plan's sessions on those days
    and the whole load history."""

    activities: list[DayActivityRow]
    history: DailyLoads
    planned: list[PlannedRow]


def read_calendar(
    connection: Connection, athlete_id: int, first: date, last: date
) -> CalendarReads:
    """The activities and planned sessions on the days from ``first`` to ``last``, and
    the load history."""
    return CalendarReads(
        activities_between(connection, athlete_id, first, last),
        daily_load_history(connection, athlete_id),
        planned_between(connection, athlete_id, first, last),
    )
