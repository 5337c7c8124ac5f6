"""Engines and sessions for the configured database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from fitcoach.core.errors import FitcoachError
from fitcoach.core.query_metrics import instrument_engine


class DatabaseUnavailable(FitcoachError):
    """The database cannot be reached; the message names DATABASE_URL and the cause."""


def make_engine(url: URL, **options: Any) -> Engine:
    """An engine with the settings fitcoach relies on for each backend."""
    # Connections beyond the pool's size are opened for one request and closed after it
    # (a new PostgreSQL backend each, or the SQLite pragmas again), which under load costs
    # more than the queries: keep most of them. 20 at most per process, so that four
    # processes stay within PostgreSQL's default of 100 connections.
    options.setdefault("pool_size", 15)
    options.setdefault("max_overflow", 5)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            from pathlib import Path

            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **options)
        event.listen(engine, "connect", _sqlite_pragmas)
        instrument_engine(engine)
        return engine
    options.setdefault("pool_pre_ping", True)
    engine = create_engine(url, connect_args={"connect_timeout": 5}, **options)
    instrument_engine(engine)  # query time and errors, for /metrics
    return engine


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    # WAL lets the web and worker threads read while one writes; foreign keys are off by
    # default in SQLite and the cascades depend on them.
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def reads_only(engine: Engine) -> Engine:
    """The same engine and pool with each statement on its own, for pages that only read.

    No transaction means no BEGIN and no ROLLBACK: two round trips fewer per request.
    Nothing is lost by it: PostgreSQL's READ COMMITTED gives each statement its own
    snapshot inside a transaction too, and a page's reads need no common one. SQLite's
    driver begins no transaction for reads, and has no round trips to save: there the
    engine is returned as it is (switching the mode per checkout cost more than it saved).
    """
    if engine.dialect.name == "sqlite":
        return engine
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with factory() as session, session.begin():
        yield session


def check_reachable(engine: Engine) -> None:
    """Raise DatabaseUnavailable with a one-line reason when the database cannot be used."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        where = engine.url.render_as_string(hide_password=True)
        raise DatabaseUnavailable(f"DATABASE_URL: cannot reach {where}: {reason}") from error
