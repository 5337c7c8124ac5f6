"""Thresholds over time (``/settings/thresholds``): critical power and W′ fitted to the
2–20-minute part of the last 90 days' power curve, critical speed and D′ from the running
pace curve, and an FTP estimate per month, each with what it was estimated from; all from
the stored curves (``activities.curves``), none from a stream."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from fitcoach.activities.curves import HEART_RATE, POWER, RUN_PACE
from fitcoach.activities.queries import (
    CurveRow,
    HeartAndPaceSettings,
    curve_rows,
    ftp_setting,
    heart_and_pace_settings,
    threshold_entry_rows,
)
from fitcoach.athletes.local_day import athlete_now
from fitcoach.athletes.service import decide_ftp, decide_threshold
from fitcoach.coach import CriticalFit, MonthlyFtp, critical_power, critical_speed, ftp_by_month
from fitcoach.coach.curves import CurvePoint, merge_best
from fitcoach.core.errors import BadInput
from fitcoach.core.queue import TaskQueue
from fitcoach.dashboard.curves import since_of
from fitcoach.web.deps import Now, OptionalAthlete, PageReads, Queue, Sessions
from fitcoach.web.page_common import login_required
from fitcoach.web.security import check_csrf
from fitcoach.web.templating import page

router = APIRouter()

# An estimate this far from the athlete's own setting is worth telling them about.
PROPOSE_FROM = 0.03
DECIDED = "ftp_decided"


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
    # Threshold heart rate and run pace estimates that moved as far from the setting.
    others: tuple[Proposal, ...] = ()


@dataclass(frozen=True)
class Proposal:
    """An estimate of a threshold heart rate or run pace (``kind``) proposed in place of the
    athlete's setting, with what it was estimated from."""

    kind: str
    value: float
    setting: float
    source: str

    def text(self, value: float) -> str:
        if self.kind == THRESHOLD_HR:
            return f"{value:.0f} bpm"
        whole = round(value)
        return f"{whole // 60}:{whole % 60:02d} /km"

    @property
    def name(self) -> str:
        return "threshold heart rate" if self.kind == THRESHOLD_HR else "threshold run pace"


THRESHOLD_HR, THRESHOLD_PACE = "threshold_hr", "threshold_pace"
TWENTY_MIN_S = 1200.0


def _moved(estimate: float, setting: float | None, declined: float | None) -> bool:
    """Whether an estimate is worth proposing: more than PROPOSE_FROM from the setting, and
    from the value the athlete last declined."""
    if not setting:
        return False
    moved = abs(estimate - setting) / setting > PROPOSE_FROM
    return moved and (declined is None or abs(estimate - declined) / declined > PROPOSE_FROM)


def other_proposals(
    heart_rows: Sequence[CurveRow], speed: CriticalFit | None, settings: HeartAndPaceSettings
) -> tuple[Proposal, ...]:
    """Threshold heart rate as 95 % of the best 20-minute heart rate of these (recent)
    curves (Friel), threshold run pace as the critical speed; each proposed when it moved."""
    found = []
    twenty = [value for row in heart_rows for key, value in row.points if key == TWENTY_MIN_S]
    if twenty:
        best = max(twenty)
        lthr = float(round(best * 0.95))
        if _moved(lthr, settings.threshold_hr, settings.declined.get(THRESHOLD_HR)):
            source = f"95 % of your best 20-minute heart rate, {best:.0f} bpm, in 90 days"
            found.append(Proposal(THRESHOLD_HR, lthr, settings.threshold_hr or 0.0, source))
    if speed is not None and speed.critical > 0:
        pace = float(round(1000.0 / speed.critical))
        if _moved(pace, settings.threshold_pace, settings.declined.get(THRESHOLD_PACE)):
            source = f"your critical speed from {speed.points} best times in 90 days"
            found.append(Proposal(THRESHOLD_PACE, pace, settings.threshold_pace or 0.0, source))
    return tuple(found)


def threshold_history(
    power_rows: Sequence[CurveRow],
    pace_rows: Sequence[CurveRow],
    recent_since: datetime | None,
    ftp_setting: float | None,
    declined: float | None = None,
) -> ThresholdHistory:
    recent = [row for row in power_rows if recent_since is None or row.start_date >= recent_since]
    recent_pace = [
        row for row in pace_rows if recent_since is None or row.start_date >= recent_since
    ]
    months = monthly_ftp(power_rows)
    proposal = None
    if months and ftp_setting:
        newest = months[-1]
        moved = abs(newest.watts - ftp_setting) / ftp_setting > PROPOSE_FROM
        # A declined estimate is not proposed again until the estimate moves on from it.
        again = declined is None or abs(newest.watts - declined) / declined > PROPOSE_FROM
        if moved and again:
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
    history, setting = _history(reader, athlete_id, now)
    with reader.turn() as connection:
        dated = threshold_entry_rows(connection, athlete_id)
    chart = {
        "x": [int(datetime(m.month.year, m.month.month, 15).timestamp()) for m in history.months],
        "ftp": [round(m.watts, 1) for m in history.months],
    }
    note = request.session.pop(DECIDED, None)
    return page(
        request,
        "thresholds.html",
        history=history,
        chart=chart,
        setting=setting,
        dated=dated,
        note=note if isinstance(note, str) else None,
        nav="settings",
    )


def _history(
    reader: PageReads, athlete_id: int, now: datetime
) -> tuple[ThresholdHistory, float | None]:
    with reader.turn() as connection:
        since = since_of("90d", athlete_now(connection, athlete_id, now))
        power = curve_rows(connection, athlete_id, POWER, None)
        pace = curve_rows(connection, athlete_id, RUN_PACE, None)
        heart = curve_rows(connection, athlete_id, HEART_RATE, since)
        setting, declined = ftp_setting(connection, athlete_id)
        others = heart_and_pace_settings(connection, athlete_id)
    history = threshold_history(power, pace, since, setting, declined)
    proposals = other_proposals(heart, history.critical_speed, others)
    return replace(history, others=proposals), setting


@router.post("/settings/thresholds/ftp", response_class=HTMLResponse)
def decide(
    request: Request,
    athlete_id: OptionalAthlete,
    reader: PageReads,
    sessions: Sessions,
    queue: Queue,
    now: Now,
    csrf: Annotated[str, Form()] = "",
    decision: Annotated[str, Form()] = "",
) -> Response:
    """Accept or decline the proposed FTP. The estimate is the server's own, computed again
    here: the form names only the decision."""
    check_csrf(request, csrf)
    if athlete_id is None:
        return login_required(request)
    accept = accepts(decision)
    history, _ = _history(reader, athlete_id, now)
    if history.proposal is None:
        raise BadInput("there is no FTP proposal to decide on any more; nothing was changed")
    watts = round(history.proposal[0].watts)
    if not decide_ftp(sessions, athlete_id, watts, accept, now):
        request.session.clear()
        return login_required(request)
    return decided(
        request,
        queue,
        athlete_id,
        accept,
        f"Your FTP is now {watts} W, from today: the loads from today on are being "
        "recomputed with it, and earlier ones keep the FTP in force on their day.",
        f"Kept your FTP; {watts} W will not be proposed again.",
    )


def accepts(decision: str) -> bool:
    """A proposal's form decision: True to accept, False to decline; anything else is
    ``BadInput``."""
    if decision not in ("accept", "decline"):
        raise BadInput(f"'decision' must be accept or decline, not {decision!r}")
    return decision == "accept"


def decided(
    request: Request,
    queue: TaskQueue,
    athlete_id: int,
    accept: bool,
    accepted: str,
    declined: str,
) -> Response:
    """After a proposal's decision: an accepted value recomputes the loads from today on;
    the page says what happened."""
    if accept:
        queue.recompute_loads(athlete_id)
    request.session[DECIDED] = accepted if accept else declined
    return RedirectResponse("/settings/thresholds", 303)


@router.post("/settings/thresholds/{kind}", response_class=HTMLResponse)
def decide_other(
    kind: str,
    request: Request,
    athlete_id: OptionalAthlete,
    reader: PageReads,
    sessions: Sessions,
    queue: Queue,
    now: Now,
    csrf: Annotated[str, Form()] = "",
    decision: Annotated[str, Form()] = "",
) -> Response:
    """Accept or decline a proposed threshold heart rate or run pace, as for FTP: the value
    is the server's own estimate, computed again here."""
    check_csrf(request, csrf)
    if athlete_id is None:
        return login_required(request)
    if kind not in (THRESHOLD_HR, THRESHOLD_PACE):
        raise BadInput(f"there are no proposals of {kind!r}; nothing was changed")
    accept = accepts(decision)
    history, _ = _history(reader, athlete_id, now)
    proposal = next((p for p in history.others if p.kind == kind), None)
    if proposal is None:
        raise BadInput(f"there is no {kind} proposal to decide on any more; nothing was changed")
    if not decide_threshold(sessions, athlete_id, kind, proposal.value, accept, now):
        request.session.clear()
        return login_required(request)
    shown = proposal.text(proposal.value)
    return decided(
        request,
        queue,
        athlete_id,
        accept,
        f"Your {proposal.name} is now {shown}, from today: the loads from today on are "
        "being recomputed with it.",
        f"Kept your {proposal.name}; {shown} will not be proposed again.",
    )
