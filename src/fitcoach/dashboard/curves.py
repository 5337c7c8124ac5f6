"""Best efforts and duration curves for a range of days: the API's points and the page's
chart and table, merged from each activity's stored curve (``activities.curves``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from fitcoach.activities.curves import (
    BY_DURATION,
    HEART_RATE,
    POWER,
    RUN_PACE,
    SWIM_PACE,
    BestPoint,
    merge_sourced,
)
from fitcoach.activities.queries import curve_rows
from fitcoach.athletes.local_day import athlete_now
from fitcoach.core.errors import BadInput
from fitcoach.web.deps import CurrentAthlete, Now, OptionalAthlete, PageReads
from fitcoach.web.page_common import login_required
from fitcoach.web.templating import page

router = APIRouter()

RANGES = {"90d": "Last 90 days", "ytd": "This year", "1y": "Last 12 months", "all": "All time"}
# What the API and the page call a curve, and the stored kind for each sport.
CURVES = {"power": "Power", "heart_rate": "Heart rate", "pace": "Pace"}
PACE_SPORTS = {"run": RUN_PACE, "swim": SWIM_PACE}

Text = Annotated[str | None, Query()]


def first_day(key: str, today: date) -> date | None:
    """The first day of a range (None: all of it); an unknown range is ``BadInput``."""
    days = {"90d": 90, "1y": 365}
    if key == "all":
        return None
    if key == "ytd":
        return today.replace(month=1, day=1)
    if key in days:
        return today - timedelta(days=days[key] - 1)
    raise BadInput(f"'range' must be one of {', '.join(RANGES)}, not {key!r}")


def since_of(key: str, now: datetime) -> datetime | None:
    """The first moment of a range (None: all of it) for ``now`` on the athlete's clock
    (``athletes.local_day.athlete_now``): midnight where they are, so "this year" starts on
    their 1 January, not UTC's."""
    first = first_day(key, now.date())
    return None if first is None else datetime.combine(first, time(), now.tzinfo)


def stored_kind(curve: str, sport: str | None) -> str:
    """The stored kind a curve (and, for pace, a sport) names."""
    if curve not in CURVES:
        raise BadInput(f"the curve must be one of {', '.join(CURVES)}, not {curve!r}")
    if curve != "pace":
        return POWER if curve == "power" else HEART_RATE
    chosen = sport or "run"
    if chosen not in PACE_SPORTS:
        raise BadInput(f"'sport' must be run or swim, not {chosen!r}")
    return PACE_SPORTS[chosen]


def best_of(
    reader: PageReads, athlete_id: int, kind: str, ranges: Sequence[str], now: datetime
) -> list[list[BestPoint]]:
    """The best points of each range, the ranges counted from the athlete's own today."""
    for key in ranges:
        first_day(key, now.date())  # an unknown range is refused before any read
    with reader.turn() as connection:
        local = athlete_now(connection, athlete_id, now)
        found = [curve_rows(connection, athlete_id, kind, since_of(key, local)) for key in ranges]
    return [merge_sourced(rows, kind) for rows in found]  # after the turn: merging is computing


@router.get("/api/curves/{curve}")
def curve_api(
    curve: str,
    athlete_id: CurrentAthlete,
    reader: PageReads,
    now: Now,
    range: Annotated[str, Query(description="90d, ytd, 1y or all")] = "90d",
    sport: Annotated[str | None, Query(description="run or swim, for pace")] = None,
) -> dict[str, Any]:
    """The best of each duration (power in W, heart rate in bpm) or of each standard
    distance (pace: the time in seconds) over the range, with the activity it came from."""
    kind = stored_kind(curve, sport)
    (found,) = best_of(reader, athlete_id, kind, [range], now)
    key = "duration_s" if kind in BY_DURATION else "distance_m"
    return {
        "curve": curve,
        "range": range,
        "points": [
            {
                key: int(p.key) if kind in BY_DURATION else p.key,
                "value": round(p.value, 2),
                "activity_id": p.activity_id,
                "start_date": p.start_date.isoformat(),
            }
            for p in found
        ],
    }


def key_label(key: float, by_duration: bool) -> str:
    """5 s, 20 min, 1 h 30 min; 400 m, 1 mile, 5 km, half marathon."""
    if by_duration:
        seconds = int(key)
        if seconds < 60:
            return f"{seconds} s"
        if seconds < 3600:
            minutes, rest = divmod(seconds, 60)
            return f"{minutes} min" + (f" {rest} s" if rest else "")
        hours, rest = divmod(seconds, 3600)
        return f"{hours} h" + (f" {rest // 60} min" if rest else "")
    names = {1609.344: "1 mile", 21097.5: "Half marathon", 42195.0: "Marathon"}
    if key in names:
        return names[key]
    return f"{key / 1000:g} km" if key >= 1000 else f"{key:g} m"


@dataclass(frozen=True)
class CurveLine:
    """A row of the page's table: one duration or distance in both ranges."""

    label: str
    key: float
    first: BestPoint | None
    second: BestPoint | None


def per_km(point: BestPoint | None, swim: bool) -> float | None:
    """A best time as a pace: seconds per km (per 100 m for a swim)."""
    if point is None:
        return None
    return point.value / point.key * (100.0 if swim else 1000.0)


@router.get("/curves", response_class=HTMLResponse)
def curves_page(
    request: Request,
    athlete_id: OptionalAthlete,
    reader: PageReads,
    now: Now,
    curve: Text = None,
    sport: Text = None,
    range: Text = None,
    compare: Text = None,
) -> HTMLResponse:
    """The curve of one range beside another's, as a chart (log-scale duration axis) and a
    table naming the activity of each best."""
    if athlete_id is None:
        return login_required(request)
    chosen = curve or "power"
    kind = stored_kind(chosen, sport)
    first_key, second_key = range or "90d", compare or "all"
    firsts, seconds = best_of(reader, athlete_id, kind, [first_key, second_key], now)
    first = {p.key: p for p in firsts}
    second = {p.key: p for p in seconds}
    by_duration = kind in BY_DURATION
    swim = kind == SWIM_PACE
    keys = sorted(set(first) | set(second))
    lines = [CurveLine(key_label(k, by_duration), k, first.get(k), second.get(k)) for k in keys]

    def shown(point: BestPoint | None) -> float | None:
        if point is None:
            return None
        return round(point.value, 1) if by_duration else per_km(point, swim)

    chart = {
        "x": keys,
        "first": [shown(first.get(k)) for k in keys],
        "second": [shown(second.get(k)) for k in keys],
        "labels": [RANGES[first_key], RANGES[second_key]],
        "unit": {"power": "W", "heart_rate": "bpm"}.get(chosen, "/100 m" if swim else "/km"),
        "pace": not by_duration,
    }
    return page(
        request,
        "curves.html",
        curve=chosen,
        sport=sport or "run",
        kind=kind,
        lines=lines,
        chart=chart,
        ranges=RANGES,
        curves=CURVES,
        first_key=first_key,
        second_key=second_key,
        by_duration=by_duration,
        swim=swim,
        nav="curves",
    )
