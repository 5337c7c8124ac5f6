"""Database query time and errors, measured on every engine fitcoach makes.

A query is named by its statement kind and the first table it names (``select`` on
``activities``), which keeps the label sets small and says where the time goes. This
module imports only prometheus-client and SQLAlchemy: ``store.engine`` imports it.
"""

from __future__ import annotations

import re
import time
from functools import lru_cache
from typing import Any

from prometheus_client import Counter, Histogram
from prometheus_client.metrics import MetricWrapperBase
from sqlalchemy import Engine, event, exc
from sqlalchemy.engine import ExceptionContext

QUERY_DURATION = Histogram(
    "fitcoach_db_query_duration_seconds",
    "Database statement time, by statement kind and the first table it names.",
    ["statement", "table"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0),
)
DB_ERRORS = Counter(
    "fitcoach_db_errors",
    "Database errors raised to fitcoach, by kind: disconnect, operational (locks, "
    "time-outs), integrity, programming, data, interface, other.",
    ["error"],
)
ALL: tuple[MetricWrapperBase, ...] = (QUERY_DURATION, DB_ERRORS)

# SQLAlchemy's wrappers of the DBAPI's errors, the same on SQLite and PostgreSQL.
_ERROR_KINDS: tuple[tuple[type[Exception], str], ...] = (
    (exc.OperationalError, "operational"),
    (exc.IntegrityError, "integrity"),
    (exc.ProgrammingError, "programming"),
    (exc.DataError, "data"),
    (exc.InterfaceError, "interface"),
)
ERROR_KINDS = ("disconnect", *(kind for _, kind in _ERROR_KINDS), "other")


def initialize() -> None:
    """Every error kind at zero, so that the first error is an increase (see alerts)."""
    for kind in ERROR_KINDS:
        DB_ERRORS.labels(kind)


def error_kind(context: ExceptionContext) -> str:
    if context.is_disconnect:
        return "disconnect"
    error = context.sqlalchemy_exception or context.original_exception
    for cls, kind in _ERROR_KINDS:
        if isinstance(error, cls):
            return kind
    return "other"


_KINDS = frozenset(
    {"select", "insert", "update", "delete", "begin", "commit", "rollback", "pragma", "with"}
)
# The table a statement is about: after FROM, INTO, UPDATE or JOIN, optionally quoted.
_TABLE = re.compile(r'\b(?:from|into|update|join)\s+"?([a-z_][a-z0-9_]*)"?', re.IGNORECASE)
_STARTED = "fitcoach_query_started"
# Unknown tables (migrations' temporary ones, system catalogues) share one label.
_OTHER = "other"
# The tables a label may name: fitcoach's own, registered by ``fitcoach.models``.
_tables: frozenset[str] = frozenset()


def register_tables(names: frozenset[str]) -> None:
    """Let these table names appear in query labels (the schema registers its own)."""
    global _tables
    _tables = _tables | names


@lru_cache(maxsize=1024)
def query_name(statement: str, tables: frozenset[str]) -> tuple[str, str]:
    """(statement kind, table) for a SQL string; cached, as the same strings recur."""
    head = statement.lstrip().split(None, 1)
    kind = head[0].lower() if head else ""
    if kind not in _KINDS:
        kind = _OTHER
    match = _TABLE.search(statement)
    table = match.group(1).lower() if match else ""
    if table and table not in tables:
        table = _OTHER
    return kind, table or "none"


def instrument_engine(engine: Engine, tables: frozenset[str] | None = None) -> None:
    """Time every statement on `engine` and count its errors.

    `tables` are the names a label may carry; by default fitcoach's own tables.
    """

    def before(
        connection: Any,
        _cursor: Any,
        _statement: str,
        _parameters: Any,
        _context: Any,
        _executemany: bool,
    ) -> None:
        # A stack, not a value: a listener may run a statement inside another's timing.
        connection.info.setdefault(_STARTED, []).append(time.perf_counter())

    def after(
        connection: Any,
        _cursor: Any,
        statement: str,
        _parameters: Any,
        _context: Any,
        _executemany: bool,
    ) -> None:
        started = connection.info.get(_STARTED)
        if not started:
            return
        elapsed = time.perf_counter() - started.pop()
        known = tables if tables is not None else _tables
        QUERY_DURATION.labels(*query_name(statement, known)).observe(elapsed)

    def failed(context: ExceptionContext) -> None:
        if context.connection is not None:
            started = context.connection.info.get(_STARTED)
            if started:
                started.pop()
        DB_ERRORS.labels(error_kind(context)).inc()

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    event.listen(engine, "handle_error", failed)


initialize()
