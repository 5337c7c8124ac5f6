"""Budget counters in the ``api_usage`` table, for the embedded mode (and any one database).

Atomicity: a grant runs in one transaction that first takes the installation-wide write
lock — ``BEGIN IMMEDIATE`` on SQLite, a transaction-scoped advisory lock on PostgreSQL —
so concurrent takers from any process are serialised. Every request draws on the
application's counters anyway, so this costs no parallelism, and it rules out the
deadlocks that row locks taken in plan order could cause. Under that lock the counters are
read (missing rows inserted with ``ON CONFLICT DO NOTHING``), checked, and raised with one
conditional ``UPDATE .. SET used = used + 1 WHERE used < cap RETURNING``; fewer returned
rows than slots rolls everything back. Refusals are decided by a plain read before the lock
(counters only grow within a window, so a refusal read from any snapshot stands).

On PostgreSQL the budget's transactions commit with ``synchronous_commit = off``: a
server crash may forget the last fraction of a second of counts, which Strava's headers
restore on the next response.

Limits learnt from Strava's headers live in the same table, as rows with scope
``limit:<scope>`` and ``window_start`` at the Unix epoch, so every process adopts them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Integer,
    String,
    TextClause,
    TextualSelect,
    bindparam,
    column,
    select,
    text,
)
from sqlalchemy.exc import SQLAlchemyError

from fitcoach.core.db import WRITER
from fitcoach.models import ApiUsage
from fitcoach.models.types import UTCDateTime
from fitcoach.strava.budget.backend import Count, Take
from fitcoach.strava.budget.errors import BudgetError, BudgetUnavailable
from fitcoach.strava.budget.policy import APP, Slot, cap
from fitcoach.strava.budget.windows import Window

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
LIMIT_PREFIX = "limit:"
# Any fixed 64-bit key; advisory locks are per database, so installations do not collide.
ADVISORY_KEY = 0x66697463_6F616368 & 0x7FFFFFFFFFFFFFFF


class _Conflict(BudgetError):
    """A counter changed under the lock: impossible unless something bypasses the budget."""


class DatabaseBackend:
    """The `Backend` on SQLite or PostgreSQL through an SQLAlchemy engine."""

    def __init__(self, engine: Engine, *, keep: timedelta = timedelta(days=2)) -> None:
        self._engine = engine
        self._dialect = engine.dialect.name
        if self._dialect not in ("sqlite", "postgresql"):
            raise BudgetError(f"the budget supports SQLite and PostgreSQL, not {self._dialect}")
        # Rows of windows older than this are deleted once per 15 minutes.
        self._keep = keep
        # Reads outside the lock need no transaction; on PostgreSQL that saves the BEGIN
        # and ROLLBACK round trips of every refusal.
        self._reader = (
            engine.execution_options(isolation_level="AUTOCOMMIT")
            if self._dialect == "postgresql"
            else engine
        )

    @property
    def engine(self) -> Engine:
        return self._engine

    def take(self, slots: Sequence[Slot], share_bp: int, now: datetime) -> Take:
        # Within a window counters only grow, so a refusal read without the lock stands:
        # when the budget is spent, refusals cost one read and never queue for the lock.
        try:
            with self._reader.connect() as connection:
                counts, _ = self._counts(connection, slots)
        except SQLAlchemyError as error:
            raise _unavailable(error) from error
        if _refused(counts, share_bp):
            return Take(False, counts)
        with self._locked() as connection:
            counts, missing = self._counts(connection, slots)
            if missing:
                created = self._create(connection, missing)
                if (APP, Window.SHORT.value) in created:
                    connection.execute(
                        _PRUNE, {"cutoff": now - self._keep, "learnt": LIMIT_PREFIX + "%"}
                    )
            if _refused(counts, share_bp):
                return Take(False, counts)
            params = _slot_params(slots)
            params.update({f"c{i}": cap(count.limit, share_bp) for i, count in enumerate(counts)})
            raised = {
                (row.scope, row.window, row.window_start): row.used
                for row in connection.execute(_increment(len(slots)), params)
            }
            if len(raised) != len(slots):
                raise _Conflict("a budget counter changed while locked; nothing was counted")
            return Take(
                True,
                [
                    Count(raised[_key(slot)], count.limit)
                    for slot, count in zip(slots, counts, strict=True)
                ],
            )

    def correct(
        self,
        slots: Sequence[Slot],
        used: Sequence[int | None],
        limits: Mapping[str, int],
        now: datetime,
    ) -> None:
        with self._locked() as connection:
            for limit_key, value in sorted(limits.items()):
                scope, _, window = limit_key.rpartition(":")
                connection.execute(
                    _LEARN,
                    {
                        "scope": LIMIT_PREFIX + scope,
                        "window": window,
                        "epoch": EPOCH,
                        "used": value,
                    },
                )
            counts, missing = self._counts(connection, slots)
            if missing:
                self._create(connection, missing)
            for slot, count, target in zip(slots, counts, used, strict=True):
                value = count.limit if target is None else target
                if value > count.used:
                    params = {"s": slot.scope, "w": slot.window.value, "t": slot.start}
                    connection.execute(_RAISE, {**params, "value": value})

    def read(self, slots: Sequence[Slot]) -> list[Count]:
        try:
            with self._reader.connect() as connection:
                return self._counts(connection, slots)[0]
        except SQLAlchemyError as error:
            raise _unavailable(error) from error

    def scope_counts(self, prefix: str, window: str, start: datetime) -> dict[str, int]:
        query = select(ApiUsage.scope, ApiUsage.used).where(
            ApiUsage.window == window,
            ApiUsage.window_start == start,
            ApiUsage.scope.startswith(prefix),
        )
        with self._reader.connect() as connection:
            return {str(row.scope): int(row.used) for row in connection.execute(query)}

    def dispose(self) -> None:
        self._engine.dispose()

    @contextmanager
    def _locked(self) -> Iterator[Connection]:
        try:
            with self._engine.connect() as connection:
                if self._dialect == "sqlite":
                    # A deferred transaction would take the write lock only at the first
                    # write; two deferred readers then deadlock on upgrade. The engine's
                    # begin event (core/db.py) begins a writer with BEGIN IMMEDIATE.
                    connection.execution_options(**{WRITER: True})
                    connection.begin()
                else:
                    # Counters are soft state: after a crash Strava's headers restore them,
                    # so the budget's commits need not wait for the disk.
                    connection.exec_driver_sql(_POSTGRES_LOCK)
                try:
                    yield connection
                except BaseException:
                    connection.rollback()
                    raise
                connection.commit()
        except SQLAlchemyError as error:
            raise _unavailable(error) from error

    def _create(self, connection: Connection, slots: Sequence[Slot]) -> set[tuple[str, str]]:
        """Insert the missing counters at 0; returns the (scope, window) pairs it created."""
        created = connection.execute(_create(len(slots)), _slot_params(slots))
        return {(row.scope, row.window) for row in created}

    def _counts(
        self, connection: Connection, slots: Sequence[Slot]
    ) -> tuple[list[Count], list[Slot]]:
        """The slots' counts (with their limits in force), and the slots that have no row."""
        learnable = sorted({LIMIT_PREFIX + s.scope for s in slots if s.learnable})
        params = _slot_params(slots)
        params.update({f"l{i}": scope for i, scope in enumerate(learnable)})
        if learnable:
            params["epoch"] = EPOCH
        found: dict[_Key, int] = {
            (row.scope, row.window, row.window_start): row.used
            for row in connection.execute(_select(len(slots), len(learnable)), params)
        }
        counts, missing = [], []
        for slot in slots:
            limit = slot.limit
            if slot.learnable:
                limit = found.get((LIMIT_PREFIX + slot.scope, slot.window.value, EPOCH), limit)
            if _key(slot) not in found:
                missing.append(slot)
            counts.append(Count(found.get(_key(slot), 0), limit))
        return counts, missing


# The statements are plain SQL that SQLite (3.35+) and PostgreSQL both run, built once per
# number of slots: building SQLAlchemy expressions per request cost more than the database.
_TIME = UTCDateTime()
_Key = tuple[str, str, datetime]


def _key(slot: Slot) -> _Key:
    return (slot.scope, slot.window.value, slot.start)


def _rows(statement: TextClause) -> TextualSelect:
    """Typed result columns, so window_start comes back as an aware UTC datetime."""
    return statement.columns(
        column("scope", String),
        column("window", String),
        column("window_start", _TIME),
        column("used", Integer),
    )


def _slot_params(slots: Sequence[Slot]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for i, slot in enumerate(slots):
        params.update({f"s{i}": slot.scope, f"w{i}": slot.window.value, f"t{i}": slot.start})
    return params


def _timed(statement: TextClause, *names: str) -> TextClause:
    return statement.bindparams(*(bindparam(name, type_=_TIME) for name in names))


def _slot_match(i: int) -> str:
    return f'(scope = :s{i} AND "window" = :w{i} AND window_start = :t{i}'


@cache
def _create(n: int) -> TextClause:
    rows = ", ".join(f"(:s{i}, :w{i}, :t{i}, 0)" for i in range(n))
    return _timed(
        text(
            f'INSERT INTO api_usage (scope, "window", window_start, used) VALUES {rows} '
            'ON CONFLICT DO NOTHING RETURNING scope, "window"'
        ),
        *(f"t{i}" for i in range(n)),
    )


@cache
def _select(n: int, learnable: int) -> TextualSelect:
    clauses = [_slot_match(i) + ")" for i in range(n)]
    if learnable:
        scopes = ", ".join(f":l{i}" for i in range(learnable))
        clauses.append(f"(scope IN ({scopes}) AND window_start = :epoch)")
    timed = [f"t{i}" for i in range(n)] + (["epoch"] if learnable else [])
    return _rows(
        _timed(
            text(
                'SELECT scope, "window", window_start, used FROM api_usage '
                f"WHERE {' OR '.join(clauses)}"
            ),
            *timed,
        )
    )


@cache
def _increment(n: int) -> TextualSelect:
    clauses = " OR ".join(_slot_match(i) + f" AND used < :c{i})" for i in range(n))
    return _rows(
        _timed(
            text(
                f"UPDATE api_usage SET used = used + 1 WHERE {clauses} "
                'RETURNING scope, "window", window_start, used'
            ),
            *(f"t{i}" for i in range(n)),
        )
    )


_RAISE = _timed(
    text(
        "UPDATE api_usage SET used = :value "
        'WHERE scope = :s AND "window" = :w AND window_start = :t AND used < :value'
    ),
    "t",
)
_LEARN = _timed(
    text(
        'INSERT INTO api_usage (scope, "window", window_start, used) '
        "VALUES (:scope, :window, :epoch, :used) "
        'ON CONFLICT (scope, "window", window_start) DO UPDATE SET used = excluded.used'
    ),
    "epoch",
)
_PRUNE = _timed(
    text("DELETE FROM api_usage WHERE window_start < :cutoff AND scope NOT LIKE :learnt"),
    "cutoff",
)
_POSTGRES_LOCK = f"SET LOCAL synchronous_commit = off; SELECT pg_advisory_xact_lock({ADVISORY_KEY})"


def _refused(counts: Sequence[Count], share_bp: int) -> bool:
    return any(count.used >= cap(count.limit, share_bp) for count in counts)


def _unavailable(error: SQLAlchemyError) -> BudgetUnavailable:
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
    return BudgetUnavailable(f"budget counters in the database are unavailable: {reason}")
