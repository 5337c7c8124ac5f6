"""Thresholds over time (``/settings/thresholds``): critical power and W′ fitted to the
2–20-minute part of the last 90 days' power curve, critical speed and D′ from the running
pace curve, and an FTP estimate per month, each with what it was estimated from; all from
the stored curves (``activities.curves``), none from a stream."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from fitcoach.activities.curves import POWER, RUN_PACE
from fitcoach.activities.queries import CurveRow, curve_rows, ftp_setting
from fitcoach.coach import CriticalFit, MonthlyFtp, critical_power, critical_speed, ftp_by_month
from fitcoach.coach.curves import CurvePoint, merge_best
from fitcoach.dashboard.curves import since_of
from fitcoach.web.deps import Now, OptionalAthlete, PageReads
from fitcoach.web.page_common import login_required
from fitcoach.web.templating import page

router = APIRouter()

# An estimate this far from the athlete's own setting is worth telling them about.
PROPOSE_FROM = 0.03


def _curve(rows: Sequence[CurveRow], higher_is_better: bool) -> list[CurvePoint]:
    return merge_best(
        ([CurvePoint(key, value) for key, value in row.points] for row in rows),
        higher_is_better=higher_is_better,
    )


def monthly_ftp(rows: Sequence[CurveRow]) -> list[MonthlyFtp]:
    """An FTP estimate for each month with power curves, oldest first."""
    by_month: dict[date, list[CurveRow]] = defaultdict(list)
    for row in rows:
        by_month[row.start_date.date().replace(day=1)].append(row)
    return ftp_by_month((month, _curve(by_month[month], True)) for month in sorted(by_month))


@dataclass(frozen=True)
class ThresholdHistory:
    critical_power: CriticalFit | None
    critical_speed: CriticalFit | None
    months: list[MonthlyFtp]
    # The newest month's estimate against the athlete's FTP setting, when they differ by
    # more than PROPOSE_FROM: (estimate, setting).
    proposal: tuple[MonthlyFtp, float] | None


def threshold_history(
    power_rows: Sequence[CurveRow],
    pace_rows: Sequence[CurveRow],
    recent_since: datetime | None,
    ftp_setting: float | None,
) -> ThresholdHistory:
    recent = [row for row in power_rows if recent_since is None or row.start_date >= recent_since]
    recent_pace = [
        row for row in pace_rows if recent_since is None or row.start_date >= recent_since
    ]
    months = monthly_ftp(power_rows)
    proposal = None
    if months and ftp_setting:
        newest = months[-1]
        if abs(newest.watts - ftp_setting) / ftp_setting > PROPOSE_FROM:
            proposal = (newest, ftp_setting)
    return ThresholdHistory(
        critical_power(_curve(recent, True)),
        critical_speed(_curve(recent_pace, False)),
        months,
        proposal,
    )


@router.get("/settings/thresholds", response_class=HTMLResponse)
def thresholds_page(
    request: Request, athlete_id: OptionalAthlete, reader: PageReads, now: Now
) -> HTMLResponse:
    if athlete_id is None:
        return login_required(request)
    with reader.turn() as connection:
        power = curve_rows(connection, athlete_id, POWER, None)
        pace = curve_rows(connection, athlete_id, RUN_PACE, None)
        setting = ftp_setting(connection, athlete_id)
    history = threshold_history(power, pace, since_of("90d", now.date()), setting)
    chart = {
        "x": [int(datetime(m.month.year, m.month.month, 15).timestamp()) for m in history.months],
        "ftp": [round(m.watts, 1) for m in history.months],
    }
    return page(
        request, "thresholds.html", history=history, chart=chart, setting=setting, nav="settings"
    )
