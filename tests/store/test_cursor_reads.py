"""Statements run on the driver's cursor (``store.cursor_reads.fetch``) give what
``Connection.execute`` gives, on both databases, and fail as it fails."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, column, event, func, literal, select, table
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from fitcoach.monitoring.database import DB_ERRORS, QUERY_DURATION
from fitcoach.store import migrate
from fitcoach.store.cursor_reads import fetch
from fitcoach.store.engine import make_engine, reads_only, session_factory, transaction
from fitcoach.store.models import Activity, Athlete, SyncState
from fitcoach.sync.overview import _RECENT, _WEEK, _with_history, compared_since
from fitcoach.sync.retention import daily_load_query
from fitcoach.web.api import _activity_page

ATHLETE = 31
TODAY = date(2026, 3, 4)
START = datetime(2026, 3, 3, 6, 30, tzinfo=UTC)


@pytest.fixture
def engine(database_url: URL) -> Iterator[Engine]:
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    with transaction(session_factory(engine)) as session:
        session.add(Athlete(id=ATHLETE, firstname="Grace", lastname="Hopper", goal_event_name=None))
        session.flush()
        session.add(
            SyncState(
                athlete_id=ATHLETE,
                last_sync_at=START + timedelta(hours=2),
                backfill_done=False,
                backfill_fetched=4,
                backfill_cursor=START - timedelta(days=9),
                last_error="timeout",
                last_error_at=START + timedelta(hours=1),
            )
        )
        session.add_all(
            Activity(
                id=900 + n,
                athlete_id=ATHLETE,
                name=f"Ride {n}",
                sport_type="Ride",
                start_date=START - timedelta(days=3 * n, minutes=n),
                # Some without a local time or a load: NULLs come back as None.
                start_date_local=None if n % 2 else START - timedelta(days=3 * n, hours=-1),
                moving_time_s=3600 + n,
                distance_m=30_000.5 + n,
                elevation_gain_m=120.25,
                load=None if n == 1 else 55.5 + n,
                load_method=None if n == 1 else "average_heart_rate",
                source="strava_api",
                raw={},
            )
            for n in range(4)
        )
    yield reads_only(engine)
    engine.dispose()


def as_executed(engine: Engine, statement: Any, values: dict[str, Any]) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        result = connection.execute(statement, values)
        keys = tuple(result.keys())
        rows = [tuple(row) for row in result]
    return [keys, *rows]  # type: ignore[list-item]


def as_fetched(engine: Engine, statement: Any, values: dict[str, Any]) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        rows = fetch(connection, statement, values)
    keys = rows[0]._fields if rows else tuple(c.key for c in statement.selected_columns)
    return [keys, *(tuple(row) for row in rows)]


@pytest.mark.parametrize(
    "name",
    ["head", "goal and history", "week", "recent", "activity page with bounds", "nobody"],
)
def test_rows_are_those_connection_execute_returns(engine: Engine, name: str) -> None:
    dialect = engine.dialect.name
    statement, values = {
        "head": (_with_history(dialect, head=True), {"athlete_id": ATHLETE}),
        "goal and history": (_with_history(dialect, head=False), {"athlete_id": ATHLETE}),
        "week": (_WEEK, {"athlete_id": ATHLETE, "since": compared_since(TODAY)}),
        "recent": (_RECENT, {"athlete_id": ATHLETE}),
        "activity page with bounds": (
            _activity_page(True, True),
            {
                "athlete_id": ATHLETE,
                "before": START,
                "after": START - timedelta(days=8),
                "limit": 2,
            },
        ),
        "nobody": (_RECENT, {"athlete_id": ATHLETE + 1}),
    }[name]
    executed = as_executed(engine, statement, values)
    fetched = as_fetched(engine, statement, values)
    assert fetched == executed
    if name != "nobody":
        assert len(fetched) > 1
    for row in fetched[1:]:  # times as Connection.execute gives them: aware, in UTC
        for value in row:
            if isinstance(value, datetime):
                assert value.utcoffset() == timedelta(0)


def test_the_values_are_read_twice_alike(engine: Engine) -> None:
    """The result processors are set on the first run and kept: the second run agrees."""
    values = {"athlete_id": ATHLETE, "since": compared_since(TODAY)}
    first = as_fetched(engine, _WEEK, values)
    assert as_fetched(engine, _WEEK, values) == first


def test_the_engine_sees_the_statement_as_its_own(engine: Engine) -> None:
    seen: list[tuple[str, str]] = []

    def before(*args: Any) -> None:
        seen.append(("before", args[2]))

    def after(*args: Any) -> None:
        seen.append(("after", args[2]))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    timed = QUERY_DURATION.labels("select", "activities")
    count_before = _sample(timed, "_count")
    try:
        with engine.connect() as connection:
            fetch(connection, _RECENT, {"athlete_id": ATHLETE})
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    assert [kind for kind, _ in seen] == ["before", "after"]
    assert "activities" in seen[0][1]
    assert _sample(timed, "_count") == count_before + 1  # timed for /metrics


def test_a_driver_error_is_raised_as_connection_execute_raises_it(engine: Engine) -> None:
    missing = select(table("no_such_table", column("x")).c.x)
    errors_before = sum(_sample(DB_ERRORS.labels(kind), "_total") for kind in _KINDS)
    with engine.connect() as connection:
        with pytest.raises(DBAPIError) as raised:
            fetch(connection, missing, {})
        assert "no_such_table" in str(raised.value)
        assert not connection.invalidated  # not a lost connection: nothing to reconnect
    errors_after = sum(_sample(DB_ERRORS.labels(kind), "_total") for kind in _KINDS)
    assert errors_after == errors_before + 1
    # The pool's connection is sound afterwards.
    assert as_fetched(engine, _RECENT, {"athlete_id": ATHLETE})[1:]


def test_statements_it_cannot_run_are_refused_with_a_reason(engine: Engine) -> None:
    with engine.connect() as connection:
        expanding = daily_load_query(engine.dialect.name, with_sources=True)
        with pytest.raises(ValueError, match="expanding"):
            fetch(connection, expanding, {"athlete_id": ATHLETE, "sources": ["strava_api"]})
        unnamed = select(literal(1) + func.abs(literal(-2)))
        with pytest.raises(ValueError, match="label"):
            fetch(connection, unnamed, {})


_KINDS = ("disconnect", "operational", "integrity", "programming", "data", "interface", "other")


def _sample(metric: Any, suffix: str) -> float:
    for collected in metric.collect():
        for sample in collected.samples:
            if sample.name.endswith(suffix):
                return float(sample.value)
    return 0.0
