"""Statements built once, run on the driver's cursor: the reads of the pages served most.

``Connection.execute`` builds an execution context, a result object, the driver's column
descriptions and a Row per row for every statement: for the dashboard's three small
reads that took a quarter of their CPU time (2.5 ms through ``Connection.execute``, 1.9 ms
here, on PostgreSQL with 1,000 activities an athlete). ``fetch`` runs the same
statement on the cursor of the same Connection, with what SQLAlchemy compiled for it: the
SQL text, the bind processors of its parameters and the result processors of its
columns (UTC times on SQLite), so that the values are those ``Connection.execute``
returns. The engine's cursor events still fire (query timings in /metrics), and a driver
error is handled by the Connection as its own (wrapped, counted, a lost connection
invalidated). Listeners that rewrite a statement (``retval=True``) are not supported:
fitcoach has none.

Only plain statements: no expanding ``IN`` parameters, no literal-execute values.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache, partial
from typing import Any

from sqlalchemy import Connection, Select
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler

Processor = Callable[[Any], Any]


@dataclass
class _Plan:
    compiled: SQLCompiler
    # Names of the parameters in order, for a driver with positional parameters (SQLite).
    positions: tuple[str, ...] | None
    binds: tuple[tuple[str, Processor], ...]
    # A row as a named tuple, from a tuple of the right length (tuple.__new__: no Python
    # call per row).
    make_row: Callable[[Iterable[Any]], tuple[Any, ...]]
    # (column index, processor) of the columns whose values need one, known after the
    # first run: PostgreSQL's numeric processors need the column's type as the driver
    # describes it. Two threads that both run first set the same value.
    results: tuple[tuple[int, Processor], ...] | None = None


@cache
def _plan(statement: Select[Any], dialect: Dialect) -> _Plan:
    compiled = statement.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)
    if compiled.literal_execute_params or any(bind.expanding for bind in compiled.binds.values()):
        raise ValueError("fetch runs plain statements: no expanding or literal-execute values")
    binds = tuple(
        (name, processor)
        for bind, name in compiled.bind_names.items()
        if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
    )
    keys = [column.key for column in statement.selected_columns]
    named = [key for key in keys if key]
    if len(named) != len(keys):
        raise ValueError("fetch needs a name for each selected column: label the expressions")
    row = namedtuple("Row", named)  # type: ignore[misc]
    positions = tuple(compiled.positiontup) if compiled.positiontup is not None else None
    return _Plan(compiled, positions, binds, partial(tuple.__new__, row))


def _result_processors(
    statement: Select[Any], dialect: Dialect, description: Any
) -> tuple[tuple[int, Processor], ...]:
    processors = (
        column.type.dialect_impl(dialect).result_processor(dialect, described[1])
        for column, described in zip(statement.selected_columns, description, strict=True)
    )
    return tuple((i, p) for i, p in enumerate(processors) if p is not None)


def fetch(connection: Connection, statement: Select[Any], values: Mapping[str, Any]) -> list[Any]:
    """The rows of ``statement`` (built once, kept for the process: a module's constant)
    with these parameter values, as named tuples of its selected columns' keys."""
    dialect = connection.dialect
    plan = _plan(statement, dialect)
    named = plan.compiled.construct_params(dict(values))
    for name, processor in plan.binds:
        named[name] = processor(named[name])
    parameters: Any = named if plan.positions is None else tuple(named[n] for n in plan.positions)
    sql = plan.compiled.string
    dispatch = connection.dispatch
    cursor = connection.connection.cursor()
    try:
        dispatch.before_cursor_execute(connection, cursor, sql, parameters, None, False)
        cursor.execute(sql, parameters)
        dispatch.after_cursor_execute(connection, cursor, sql, parameters, None, False)
        if plan.results is None:
            plan.results = _result_processors(statement, dialect, cursor.description)
        fetched = cursor.fetchall()
    except dialect.loaded_dbapi.Error as error:
        # By the handler Connection.execute calls (SQLAlchemy's, not public API: the tests
        # check what it does): wrapped in SQLAlchemy's error, the handle_error events (the
        # error count in /metrics), a lost connection invalidated.
        connection._handle_dbapi_exception(error, sql, parameters, cursor, None)
    finally:
        cursor.close()
    if plan.results and fetched:
        # Column by column: the columns without a processor are not touched, and the
        # rows are rebuilt by zip in C.
        columns: list[Iterable[Any]] = list(zip(*fetched, strict=True))
        for i, processor in plan.results:
            columns[i] = map(processor, columns[i])
        fetched = list(zip(*columns, strict=True))
    return list(map(plan.make_row, fetched))


def fetch_first(connection: Connection, statement: Select[Any], values: Mapping[str, Any]) -> Any:
    """The first row ``fetch`` reads, or None when there is none."""
    rows = fetch(connection, statement, values)
    return rows[0] if rows else None
