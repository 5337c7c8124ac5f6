"""The activity list: its filters and sort as a request names them, the opaque cursor of
keyset paging, and a page of rows (for ``/activities`` and ``GET /api/strava/activities``).

The cursor is the last row's sort value and id, with the sort it belongs to, in URL-safe
base64 JSON: opaque to callers, checked on the way back in (a cursor of another sort, or
one that does not decode, is bad input rather than a silently wrong page).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection

from fitcoach.activities.queries import (
    ApiActivityRow,
    ListFilter,
    ListPosition,
    ListSort,
    list_activities,
)
from fitcoach.core.errors import BadInput

SORTS = {
    ListSort.DATE: "Date",
    ListSort.LOAD: "Load",
    ListSort.DURATION: "Duration",
    ListSort.DISTANCE: "Distance",
}
PAGE_SIZE = 50
MAX_SEARCH = 100


@dataclass(frozen=True)
class ListRequest:
    """A list as asked for: filters, sort and direction."""

    filters: ListFilter
    sort: ListSort
    descending: bool

    def query(self) -> dict[str, str]:
        """The request as query parameters (for the next page's link), defaults left out."""
        found = {
            "sport": self.filters.sport or "",
            "since": self.filters.since.isoformat() if self.filters.since else "",
            "until": self.filters.until.isoformat() if self.filters.until else "",
            "q": self.filters.search or "",
            "sort": "" if self.sort is ListSort.DATE else self.sort.value,
            "order": "" if self.descending else "asc",
        }
        return {key: value for key, value in found.items() if value}


def _day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise BadInput(f"'{name}' must be a date like 2026-03-31, not {value!r}") from error


def list_request(
    *,
    sport: str | None = None,
    since: str | None = None,
    until: str | None = None,
    search: str | None = None,
    sort: str | None = None,
    order: str | None = None,
) -> ListRequest:
    """The list a request's parameters name; an unusable one is ``BadInput`` naming it."""
    first, last = _day(since, "since"), _day(until, "until")
    if first is not None and last is not None and first > last:
        raise BadInput(f"'since' ({first}) is after 'until' ({last})")
    words = (search or "").strip()
    if len(words) > MAX_SEARCH:
        raise BadInput(f"'q' is longer than {MAX_SEARCH} characters")
    try:
        chosen = ListSort(sort) if sort else ListSort.DATE
    except ValueError as error:
        names = ", ".join(s.value for s in ListSort)
        raise BadInput(f"'sort' must be one of {names}, not {sort!r}") from error
    if order not in (None, "", "asc", "desc"):
        raise BadInput(f"'order' must be asc or desc, not {order!r}")
    filters = ListFilter((sport or "").strip() or None, first, last, words or None)
    return ListRequest(filters, chosen, order != "asc")


def encode_cursor(sort: ListSort, value: float | datetime, activity_id: int) -> str:
    shown: float | str = value.isoformat() if isinstance(value, datetime) else float(value)
    text = json.dumps([sort.value, shown, activity_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: ListSort) -> ListPosition:
    """The position a cursor names, for a list in ``sort`` order."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        kind, value, activity_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if kind != sort.value:
            raise BadInput("this cursor belongs to a list in another order; start again")
        if not isinstance(activity_id, int):
            raise ValueError(activity_id)
        if sort is ListSort.DATE:
            return ListPosition(datetime.fromisoformat(value), activity_id)
        return ListPosition(float(value), activity_id)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as error:
        raise BadInput("'cursor' is not one this list gave out; start again") from error


@dataclass(frozen=True)
class ListPage:
    """One page of the list, and the cursor of the next (None on the last page)."""

    rows: list[ApiActivityRow]
    next_cursor: str | None


def read_list_page(
    connection: Connection,
    athlete_id: int,
    request: ListRequest,
    cursor: str | None,
    limit: int = PAGE_SIZE,
) -> ListPage:
    """A page of the list from ``cursor`` on; one row more than shown is read, so the
    last page says it is the last."""
    position = decode_cursor(cursor, request.sort) if cursor else None
    found = list_activities(
        connection,
        athlete_id,
        filters=request.filters,
        sort=request.sort,
        descending=request.descending,
        limit=limit + 1,
        after=position,
    )
    shown = found[:limit]
    more = len(found) > limit and shown
    next_cursor = encode_cursor(request.sort, shown[-1][1], shown[-1][0].id) if more else None
    return ListPage([row for row, _ in shown], next_cursor)
