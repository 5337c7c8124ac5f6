"""The dashboard's reads on both databases: the one-statement head (athlete, sync state,
stored count) and the read-only engine the pages use."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import Engine, event, select
from sqlalchemy.engine import URL

from fitcoach import migrations
from fitcoach.activities.queries import daily_load_history
from fitcoach.core.db import make_engine, reads_only, session_factory, transaction
from fitcoach.dashboard.queries import read_dashboard
from fitcoach.dashboard.views import Overview, dashboard
from fitcoach.models import Activity, Athlete, SyncState
from fitcoach.sync.repository import record_skipped

ATHLETE = 21
TODAY = date(2026, 3, 4)


@pytest.fixture
def engine(database_url: URL) -> Iterator[Engine]:
    engine = make_engine(database_url)
    migrations.upgrade(engine)
    with transaction(session_factory(engine)) as session:
        session.add(
            Athlete(
                id=ATHLETE,
                firstname="Ada",
                lastname="Byron",
                goal_event_name="Spring 10k",
                goal_event_date=TODAY + timedelta(days=30),
                goal_event_priority="B",
            )
        )
        session.flush()  # the athlete before the activities that refer to it
        session.add_all(
            Activity(
                id=500 + day,
                athlete_id=ATHLETE,
                name=f"Run {day}",
                sport_type="Run",
                start_date=datetime(2026, 3, 1, 7, tzinfo=UTC) - timedelta(days=day),
                load=40.0 + day,
                source="strava_api",
                raw={},
            )
            for day in range(3)
        )
    yield engine
    engine.dispose()


def overview_of(engine: Engine, athlete_id: int) -> Overview | None:
    with reads_only(engine).connect() as connection:
        reads = read_dashboard(connection, athlete_id, TODAY)
    # Computed after the connection is closed: everything needed was read.
    return None if reads is None else dashboard(reads, TODAY, "90d")


def test_an_athlete_never_synced_shows_what_is_stored(engine: Engine) -> None:
    overview = overview_of(engine, ATHLETE)
    assert overview is not None
    assert (overview.athlete.firstname, overview.athlete.lastname) == ("Ada", "Byron")
    assert overview.athlete.goal is not None and overview.athlete.goal.priority == "B"
    sync = overview.sync
    assert (sync.last_sync_at, sync.backfill_done, sync.backfill_fetched) == (None, False, 0)
    assert sync.stored == 3 and sync.failures == 0 and sync.last_error is None
    assert [line.name for line in overview.recent] == ["Run 0", "Run 1", "Run 2"]
    assert overview.performance.today.day == TODAY
    # Wednesday 4 March: the three runs (Friday 27 February to Sunday 1 March) were last
    # week's, after its Wednesday: this week so far has none, and neither had Monday to
    # Wednesday of the four weeks before (a part-week is compared with the same days).
    week = overview.week.total
    assert (overview.week.start, overview.week.end) == (TODAY - timedelta(days=2), TODAY)
    assert week.current.count == 0 and week.recent_average.count == 0
    assert week.recent_average.load == 0


def test_the_sync_state_is_read_with_the_athlete(engine: Engine) -> None:
    synced = datetime(2026, 3, 4, 6, 30, tzinfo=UTC)
    with transaction(session_factory(engine)) as session:
        session.add(
            SyncState(
                athlete_id=ATHLETE,
                last_sync_at=synced,
                backfill_done=True,
                backfill_fetched=3,
                consecutive_failures=4,
                last_error="Strava answered 503",
                last_error_at=synced,
            )
        )
    overview = overview_of(engine, ATHLETE)
    assert overview is not None
    sync = overview.sync
    assert (sync.last_sync_at, sync.backfill_done, sync.backfill_fetched) == (synced, True, 3)
    assert (sync.stored, sync.failures, sync.last_error) == (3, 4, "Strava answered 503")
    assert sync.last_error_at == synced


def test_what_strava_sent_and_could_not_be_stored_is_read_only_when_there_is_some(
    engine: Engine,
) -> None:
    with reads_only(engine).connect() as connection:
        reads = read_dashboard(connection, ATHLETE, TODAY)
    assert reads is not None and not reads.head.has_skipped and reads.skipped == []

    at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    with transaction(session_factory(engine)) as session:
        session.add(Athlete(id=ATHLETE + 1, firstname="Other", lastname="Athlete"))
        session.flush()
        record_skipped(session, ATHLETE, 9001, "Broken ride", "no start date", at)
        record_skipped(session, ATHLETE + 1, 9002, "Someone else's", "no start date", at)
    with reads_only(engine).connect() as connection:
        reads = read_dashboard(connection, ATHLETE, TODAY)
    assert reads is not None and reads.head.has_skipped
    assert [(row.strava_id, row.name, row.reason) for row in reads.skipped] == [
        (9001, "Broken ride", "no start date")
    ]


def test_an_unknown_athlete_has_no_dashboard(engine: Engine) -> None:
    assert overview_of(engine, 999) is None


def test_reads_open_no_transaction_on_postgresql(engine: Engine) -> None:
    reader = reads_only(engine)
    if engine.dialect.name == "sqlite":
        assert reader is engine  # SQLite's driver begins none for a read anyway
        return
    with reader.connect() as connection:
        assert connection.execute(select(Athlete.firstname)).scalar_one() == "Ada"
        status = connection.connection.driver_connection.info.transaction_status  # type: ignore[union-attr]
        assert status == TransactionStatus.IDLE
    # The pool's connection is back in transactional mode for everyone else.
    with engine.connect() as connection:
        connection.execute(select(Athlete.firstname)).scalar_one()
        status = connection.connection.driver_connection.info.transaction_status  # type: ignore[union-attr]
        assert status == TransactionStatus.INTRANS


def test_the_load_history_is_read_from_the_day_index_alone(engine: Engine) -> None:
    """Each day's load is summed from ``ix_activities_athlete_day`` without visiting the
    activities' rows (about one page per activity otherwise), on both databases."""
    ran: list[tuple[str, Any]] = []

    def remember(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        ran.append((statement, parameters))

    with reads_only(engine).connect() as connection:
        event.listen(connection, "before_cursor_execute", remember)
        daily_load_history(connection, ATHLETE)
        event.remove(connection, "before_cursor_execute", remember)
        [(statement, parameters)] = [run for run in ran if "daily_loads" in run[0]]
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        if engine.dialect.name == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
            plan = " | ".join(str(row[-1]) for row in cursor.fetchall())
            assert "USING COVERING INDEX ix_activities_athlete_day" in plan, plan
        else:
            # Three rows would be read from the table itself: the plan the index allows. For
            # this connection only (it reads outside a transaction, so not SET LOCAL), and
            # reset before it goes back to the pool.
            cursor.execute("SET enable_seqscan = off")
            cursor.execute("SET enable_bitmapscan = off")
            try:
                cursor.execute(f"EXPLAIN {statement}", parameters)
                plan = " | ".join(str(row[0]) for row in cursor.fetchall())
            finally:
                cursor.execute("RESET enable_seqscan")
                cursor.execute("RESET enable_bitmapscan")
            assert "Index Only Scan using ix_activities_athlete_day" in plan, plan
