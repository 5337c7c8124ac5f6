"""UTCDateTime: aware UTC in, aware UTC out, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, Table, insert, select, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import StatementError

from fitcoach.core.db import make_engine
from fitcoach.models.types import UTCDateTime

metadata = MetaData()
times = Table(
    "test_times",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime),
)


@pytest.fixture
def engine(database_url: URL) -> Iterator[Engine]:
    engine = make_engine(database_url)
    metadata.drop_all(engine)
    metadata.create_all(engine)
    yield engine
    metadata.drop_all(engine)
    engine.dispose()


def read_all(engine: Engine) -> list[datetime | None]:
    with engine.connect() as connection:
        return list(connection.scalars(select(times.c.at).order_by(times.c.id)))


def test_times_come_back_as_the_same_instant_in_utc(engine: Engine) -> None:
    written = [
        datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
        datetime(2026, 3, 29, 3, 30, 0, 250_000, tzinfo=timezone(timedelta(hours=2))),
        None,
    ]
    with engine.begin() as connection:
        connection.execute(insert(times), [{"id": i, "at": at} for i, at in enumerate(written)])
    read = read_all(engine)
    assert read == written  # aware datetimes compare as instants
    assert [at.tzinfo for at in read if at is not None] == [UTC, UTC]
    assert read[1] == datetime(2026, 3, 29, 1, 30, 0, 250_000, tzinfo=UTC)


def test_sqlite_text_written_by_hand_is_read_too(sqlite_url: URL) -> None:
    # The fast path reads the text SQLAlchemy writes; text with an offset of its own, or
    # with a T, still reads as the instant it names.
    engine = make_engine(sqlite_url)
    metadata.create_all(engine)
    try:
        with engine.begin() as connection:
            for i, value in enumerate(
                ["2026-03-29 01:30:00.000000", "2026-03-29T03:30:00+02:00", "2026-03-29 01:30"]
            ):
                connection.execute(
                    text("INSERT INTO test_times (id, at) VALUES (:id, :at)"),
                    {"id": i, "at": value},
                )
        expected = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
        assert read_all(engine) == [expected] * 3
        assert {at.tzinfo for at in read_all(engine) if at is not None} == {UTC}
    finally:
        metadata.drop_all(engine)
        engine.dispose()


def test_naive_time_is_refused_and_nothing_is_written(engine: Engine) -> None:
    with pytest.raises(StatementError, match="naive datetime"), engine.begin() as connection:
        connection.execute(insert(times), {"id": 1, "at": datetime(2026, 3, 29, 1, 30)})
    assert read_all(engine) == []
