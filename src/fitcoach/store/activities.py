"""Activity rows: idempotent upserts from Strava documents, and the page queries."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import BindParameter, Select, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from fitcoach.errors import FitcoachError
from fitcoach.store.models import Activity

_Query = TypeVar("_Query", bound=Select[*tuple[Any, ...]])


class BadActivityDocument(FitcoachError):
    """A Strava activity document lacks a field fitcoach needs; the message names it."""


def _parse_time(value: Any, field: str) -> datetime:
    if not isinstance(value, str):
        raise BadActivityDocument(f"activity field {field!r} must be an ISO 8601 string")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise BadActivityDocument(f"activity field {field!r} is not a time: {value!r}") from error


def _number(document: dict[str, Any], key: str) -> float | None:
    value = document.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def row_from_strava(document: dict[str, Any], source: str = "strava_api") -> dict[str, Any]:
    """The activity columns for a Strava SummaryActivity or DetailedActivity document."""
    if not isinstance(document.get("id"), int):
        raise BadActivityDocument("activity document has no integer 'id'")
    athlete = document.get("athlete")
    if not isinstance(athlete, dict) or not isinstance(athlete.get("id"), int):
        raise BadActivityDocument(f"activity {document['id']} has no 'athlete.id'")
    local = document.get("start_date_local")
    return {
        "id": document["id"],
        "athlete_id": athlete["id"],
        "name": str(document.get("name") or ""),
        "sport_type": str(document.get("sport_type") or document.get("type") or "Workout"),
        "start_date": _parse_time(document.get("start_date"), "start_date"),
        "start_date_local": _parse_time(local, "start_date_local") if local else None,
        "timezone": document.get("timezone"),
        "moving_time_s": int(document.get("moving_time") or 0),
        "elapsed_time_s": int(document.get("elapsed_time") or 0),
        "distance_m": float(document.get("distance") or 0.0),
        "elevation_gain_m": float(document.get("total_elevation_gain") or 0.0),
        "average_watts": _number(document, "average_watts"),
        "weighted_average_watts": _number(document, "weighted_average_watts"),
        "device_watts": bool(document.get("device_watts")),
        "kilojoules": _number(document, "kilojoules"),
        "average_heartrate": _number(document, "average_heartrate"),
        "max_heartrate": _number(document, "max_heartrate"),
        "average_speed": _number(document, "average_speed"),
        "trainer": bool(document.get("trainer")),
        "commute": bool(document.get("commute")),
        "manual": bool(document.get("manual")),
        "private": bool(document.get("private")),
        "source": source,
        "raw": document,
        # A changed document invalidates the computed load; the sync computes it again.
        "load": None,
        "load_method": None,
    }


def upsert_activities(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Insert or update activity rows by Strava id; storing the same row twice is a no-op.

    Returns the number of rows written. Works on SQLite and PostgreSQL with one
    ``INSERT .. ON CONFLICT (id) DO UPDATE`` executed for the whole batch: the statement
    does not depend on the row count, so it is compiled once per process, not per page.
    """
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(Activity)
    updated: dict[str, Any] = {
        column: statement.excluded[column]
        for column in rows[0]
        if column not in ("id", "athlete_id")
    }
    updated["updated_at"] = func.now()
    upsert = statement.on_conflict_do_update(index_elements=["id"], set_=updated)
    session.execute(upsert, list(rows))
    return len(rows)


def delete_activities(
    session: Session,
    activity_ids: Iterable[int],
    athlete_id: int | None = None,
    source: str | None = None,
) -> int:
    """Delete these activities (only the given athlete's / source's, when named)."""
    ids = list(activity_ids)
    if not ids:
        return 0
    query = delete(Activity).where(Activity.id.in_(ids))
    if athlete_id is not None:
        query = query.where(Activity.athlete_id == athlete_id)
    if source is not None:
        query = query.where(Activity.source == source)
    result = session.execute(query)
    return int(getattr(result, "rowcount", 0) or 0)


def newest_first(
    athlete_id: int,
    *,
    before: datetime | None = None,
    after: datetime | None = None,
    limit: int = 50,
) -> Select[Activity]:
    """This athlete's activities, newest first, optionally within (after, before)."""
    return newest_first_of(select(Activity), athlete_id, before=before, after=after, limit=limit)


def newest_first_of(
    query: _Query,
    athlete_id: int | BindParameter[int],
    *,
    before: datetime | BindParameter[datetime] | None = None,
    after: datetime | BindParameter[datetime] | None = None,
    limit: int | BindParameter[int] = 50,
) -> _Query:
    """``query`` (of activity rows or some of their columns) for this athlete's
    activities, newest first, optionally within (after, before). Each value may be a
    ``bindparam``, for a statement built once and run with different values."""
    # The table's columns, not the ORM's attributes: a query of table columns then stays
    # a Core query (plain rows, no ORM compile step), and an ORM query is unaffected.
    columns = Activity.__table__.c
    query = query.where(columns.athlete_id == athlete_id)
    if before is not None:
        query = query.where(columns.start_date < before)
    if after is not None:
        query = query.where(columns.start_date > after)
    return query.order_by(columns.start_date.desc(), columns.id.desc()).limit(limit)
