"""Engines and sessions for the configured database."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from fitcoach.core.errors import FitcoachError
from fitcoach.core.query_metrics import instrument_engine

log = logging.getLogger("fitcoach.db")
T = TypeVar("T")

# The execution option that makes a connection's transactions begin as a writer on SQLite
# (BEGIN IMMEDIATE); other backends ignore it.
WRITER = "fitcoach_writer"
# How often and how long a writer waits again when SQLite says the database is locked
# (each wait after the driver's own 30 s busy timeout).
LOCKED_ATTEMPTS = 5
LOCKED_BACKOFF_S = 0.5
# SQLite's primary result codes for "another connection holds the lock".
_SQLITE_BUSY_CODES = frozenset({5, 6})  # SQLITE_BUSY, SQLITE_LOCKED


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
        event.listen(engine, "begin", _sqlite_begin)
        instrument_engine(engine)
        return engine
    options.setdefault("pool_pre_ping", True)
    engine = create_engine(url, connect_args={"connect_timeout": 5}, **options)
    instrument_engine(engine)  # query time and errors, for /metrics
    return engine


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    # SQLAlchemy's recipe for transactions on pysqlite ("Enabling Non-Legacy SQLite
    # Transactional Modes"): the driver left to itself begins a transaction only before
    # INSERT/UPDATE/DELETE, so a SAVEPOINT opened first is a transaction of its own and
    # its RELEASE commits; reads see no common snapshot. The driver's BEGIN is turned off
    # here and SQLAlchemy's "begin" event emits one for every transaction (_sqlite_begin).
    connection.isolation_level = None
    # WAL lets the web and worker threads read while one writes; foreign keys are off by
    # default in SQLite and the cascades depend on them.
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    options = connection.get_execution_options()
    if options.get("isolation_level") == "AUTOCOMMIT":
        return
    # A writer takes the write lock at BEGIN, where SQLite's busy timeout waits for it. A
    # deferred transaction that reads and then writes would try to upgrade its snapshot
    # instead, and under WAL that fails at once with "database is locked" whenever another
    # writer committed in between (an upload while a backfill stores its pages).
    connection.exec_driver_sql("BEGIN IMMEDIATE" if options.get(WRITER) else "BEGIN")


def is_locked(error: BaseException) -> bool:
    """Whether SQLite refused because another connection holds the lock (by its result
    code, not its message): worth waiting and trying again."""
    cause = error.orig if isinstance(error, OperationalError) else error
    code = getattr(cause, "sqlite_errorcode", None)
    return (
        isinstance(cause, sqlite3.OperationalError)
        and code is not None
        and (code & 0xFF in _SQLITE_BUSY_CODES)
    )


def retry_locked(
    work: Callable[[], T],
    *,
    attempts: int = LOCKED_ATTEMPTS,
    backoff_s: float = LOCKED_BACKOFF_S,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """``work()``, run again with a doubling wait while SQLite says the database is locked;
    ``work`` must be a whole transaction (nothing of a refused attempt is kept)."""
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except OperationalError as error:
            if attempt == attempts or not is_locked(error):
                raise
            wait = backoff_s * 2 ** (attempt - 1)
            log.warning("database locked, trying again", extra={"wait_s": wait})
            sleep(wait)
    raise AssertionError("unreachable")  # the loop returns or raises


def reads_only(engine: Engine) -> Engine:
    """The same engine and pool with each statement on its own, for pages that only read.

    No transaction means no BEGIN and no ROLLBACK: two round trips fewer per request.
    Nothing is lost by it: PostgreSQL's READ COMMITTED gives each statement its own
    snapshot inside a transaction too, and a page's reads need no common one. SQLite has
    no round trips to save (its deferred BEGIN takes no lock): there the engine is
    returned as it is (switching the mode per checkout cost more than it saved).
    """
    if engine.dialect.name == "sqlite":
        return engine
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error.

    On SQLite it begins as the writer (BEGIN IMMEDIATE) before the block runs, waiting
    for the lock with backoff when another writer holds it (retry_locked): nothing of
    the block has run yet, so waiting again is safe.
    """

    def begin() -> Session:
        session = factory()
        try:
            session.begin()
            session.connection(execution_options={WRITER: True})
        except BaseException:
            session.close()
            raise
        return session

    session = retry_locked(begin)
    with session:
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        session.commit()


def check_reachable(engine: Engine) -> None:
    """Raise DatabaseUnavailable with a one-line reason when the database cannot be used."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        where = engine.url.render_as_string(hide_password=True)
        raise DatabaseUnavailable(f"DATABASE_URL: cannot reach {where}: {reason}") from error
