"""Pages for looking back: the list of every activity (``/activities``) and the calendar
(``/calendar``). Both read the database only, in one page read turn."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from fitcoach.activities.queries import ApiActivityRow, EventLeg, event_legs_of, sports_of
from fitcoach.athletes.local_day import athlete_today
from fitcoach.dashboard.calendar import MonthView, grid_bounds, month_view, parse_month
from fitcoach.dashboard.listing import SORTS, list_request, read_list_page
from fitcoach.dashboard.queries import PlannedRow, read_calendar
from fitcoach.dashboard.views import method_label
from fitcoach.models import Source
from fitcoach.web.deps import Now, OptionalAthlete, PageReads
from fitcoach.web.page_common import login_required
from fitcoach.web.templating import page

router = APIRouter()

PROVENANCE = {
    Source.STRAVA_API.value: "Strava",
    Source.FILE.value: "your file",
    Source.ARCHIVE.value: "your Strava archive",
}

Text = Annotated[str | None, Query()]


@dataclass(frozen=True)
class ListLine:
    """An activity as the list shows it."""

    id: int
    name: str
    sport_type: str
    start: datetime
    moving_time_s: int
    distance_m: float
    load: float | None
    method: str
    method_text: str
    provenance: str
    strava_url: str | None
    # Its place in a multisport event (legs of one file), if it is a leg of one.
    event: EventLeg | None = None


def list_line(row: ApiActivityRow, event: EventLeg | None = None) -> ListLine:
    short, long = method_label(row.load_method)
    return ListLine(
        row.id,
        row.name,
        row.sport_type,
        row.start_date_local or row.start_date,
        row.moving_time,
        row.distance,
        row.load,
        short,
        long,
        PROVENANCE.get(row.source, row.source),
        None if row.strava_id is None else f"https://www.strava.com/activities/{row.strava_id}",
        event,
    )


@router.get("/activities", response_class=HTMLResponse)
def activity_list(
    request: Request,
    athlete_id: OptionalAthlete,
    reader: PageReads,
    sport: Text = None,
    since: Text = None,
    until: Text = None,
    q: Text = None,
    sort: Text = None,
    order: Text = None,
    cursor: Text = None,
) -> HTMLResponse:
    """Every activity, newest first unless sorted otherwise, 50 to a page."""
    if athlete_id is None:
        return login_required(request)
    asked = list_request(sport=sport, since=since, until=until, search=q, sort=sort, order=order)
    with reader.turn() as connection:
        found = read_list_page(connection, athlete_id, asked, cursor)
        sports = sports_of(connection, athlete_id)
        events = event_legs_of(connection, athlete_id, [row.id for row in found.rows])
    query = asked.query()
    next_url = None
    if found.next_cursor:
        next_url = "/activities?" + urlencode({**query, "cursor": found.next_cursor})
    return page(
        request,
        "activities.html",
        lines=[list_line(row, events.get(row.id)) for row in found.rows],
        asked=asked,
        sports=sports,
        sorts=SORTS,
        first_url="/activities?" + urlencode(query) if cursor else None,
        next_url=next_url,
        nav="activities",
    )


@router.get("/calendar", response_class=HTMLResponse)
def calendar(
    request: Request, athlete_id: OptionalAthlete, reader: PageReads, now: Now, month: Text = None
) -> HTMLResponse:
    """A month: each day's activities and load, each week's totals and form."""
    if athlete_id is None:
        return login_required(request)
    with reader.turn() as connection:
        # The athlete's today marks the day: their activities are dated by their own days.
        today = athlete_today(connection, athlete_id, now)
        first = parse_month(month, today)
        start, end = grid_bounds(first)
        reads = read_calendar(connection, athlete_id, start, end)
    planned: dict[date, list[PlannedRow]] = {}
    for row in reads.planned:
        planned.setdefault(row.day, []).append(row)
    view: MonthView[PlannedRow] = month_view(first, today, reads.activities, reads.history, planned)
    return page(request, "calendar.html", month=view, today=today, nav="calendar")
