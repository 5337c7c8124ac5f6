"""The MCP tools over the athlete's best efforts: thresholds today and how the estimates
from their curves moved, and the curves themselves (power, heart rate, pace), all read from
the curves stored with each activity (``activities.curves``): no call parses a stream.

The estimates are those of the Thresholds settings page (``threshold_history``), over the
activities the language-model policy allows.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
from typing import Literal

from fitcoach.activities.curves import BY_DURATION, POWER, RUN_PACE, SWIM_PACE, merge_sourced
from fitcoach.athletes.repository import get_athlete
from fitcoach.athletes.thresholds import (
    athlete_settings,
    coach_activity,
    entries_of,
    resolved_on,
)
from fitcoach.coach import CriticalFit, ResolvedThresholds
from fitcoach.dashboard.curves import key_label, per_km, since_of, stored_kind
from fitcoach.dashboard.threshold_history import threshold_history
from fitcoach.mcp import queries
from fitcoach.mcp.context import ToolContext, ToolSpec
from fitcoach.mcp.errors import ToolRefused
from fitcoach.mcp.schemas import (
    BestEffort,
    BestEfforts,
    CriticalFitOut,
    DatedThreshold,
    MonthlyEstimate,
    Threshold,
    Thresholds,
    ThresholdsAt,
)

# The span the page fits CP and CS over.
FIT_RANGE = "90d"
# The days the estimates of today's thresholds look back over (``resolve_thresholds``'s
# default, passed explicitly so the rows read and the estimate agree).
LOOKBACK_DAYS = 180
# Months of FTP estimates in an answer: the work of a call stays bounded however long the
# athlete's history (the settings page shows all of it).
ESTIMATE_MONTHS = 6


def lookback_start(today: date, zone: tzinfo) -> datetime:
    """The first moment of the days today's estimates look back over: midnight where the
    athlete is (the estimates pick activities by their local day; from UTC's midnight, an
    athlete east of UTC would lose the first local day's early hours)."""
    return datetime.combine(today - timedelta(days=LOOKBACK_DAYS), time(), zone)


def _threshold_list(resolved: ResolvedThresholds) -> list[Threshold]:
    named = (
        ("ftp", resolved.ftp),
        ("threshold_hr", resolved.threshold_hr),
        ("threshold_pace", resolved.threshold_pace_s_per_km),
        ("swim_threshold_pace", resolved.swim_threshold_pace_s_per_100m),
        ("max_hr", resolved.max_hr),
        ("resting_hr", resolved.resting_hr),
    )
    return [
        Threshold(
            name=name,
            value=None if estimate.value is None else round(estimate.value, 1),
            source=estimate.source,
        )
        for name, estimate in named
    ]


def _fit(fit: CriticalFit | None, speed: bool) -> CriticalFitOut | None:
    if fit is None:
        return None
    return CriticalFitOut(
        critical=round(fit.critical, 2 if speed else 1),
        capacity=round(fit.capacity),
        pace_s_per_km=round(1000 / fit.critical, 1) if speed and fit.critical > 0 else None,
        r_squared=round(fit.r_squared, 3),
        efforts=fit.points,
    )


def thresholds(context: ToolContext) -> Thresholds:
    fit_since = since_of(FIT_RANGE, context.local_now)
    with context.sessions() as session:
        athlete = get_athlete(session, context.athlete_id)
        if athlete is None:
            raise ToolRefused("this athlete no longer exists")
        settings = athlete_settings(athlete)
        entries = sorted(entries_of(session, athlete), key=lambda e: (e.effective_from, e.kind))
        rows = queries.threshold_summaries(
            session,
            context.athlete_id,
            context.sources,
            lookback_start(context.today, context.zone),
        )
        power = queries.curves_from(
            session,
            context.athlete_id,
            POWER,
            context.sources,
            months_back(context.today, context.zone),
        )
        # Pace curves serve only the critical-speed fit: those of its range.
        pace = queries.curves_from(
            session, context.athlete_id, RUN_PACE, context.sources, fit_since
        )
        provenance = context.provenance(session)
    # resolved_on estimates over resolve_thresholds' default look-back, LOOKBACK_DAYS.
    resolved = resolved_on(settings, entries, [coach_activity(row) for row in rows], context.today)
    # No FTP setting passed: the page's proposal to adopt an estimate is the page's.
    history = threshold_history(power, pace, fit_since, None)
    return Thresholds(
        today=ThresholdsAt(day=context.today, thresholds=_threshold_list(resolved)),
        dated=[
            DatedThreshold(
                name=e.kind, value=e.value, effective_from=e.effective_from, source=e.source
            )
            for e in entries
        ],
        ftp_by_month=[
            MonthlyEstimate(month=m.month, ftp_w=round(m.watts, 1), source=m.source)
            for m in history.months
        ],
        critical_power=_fit(history.critical_power, speed=False),
        critical_speed=_fit(history.critical_speed, speed=True),
        **provenance,
    )


def months_back(today: date, zone: tzinfo) -> datetime:
    """The first moment, where the athlete is, of the month ``ESTIMATE_MONTHS - 1`` months
    before today's."""
    month = today.year * 12 + today.month - 1 - (ESTIMATE_MONTHS - 1)
    return datetime(month // 12, month % 12 + 1, 1, tzinfo=zone)


def best_efforts(
    context: ToolContext,
    curve: Literal["power", "heart_rate", "pace"] = "power",
    sport: Literal["run", "swim"] | None = None,
    period: Literal["90d", "ytd", "1y", "all"] = "90d",
) -> BestEfforts:
    if sport is not None and curve != "pace":
        raise ToolRefused(f"sport chooses between run and swim paces; the {curve} curve has none")
    kind = stored_kind(curve, sport)
    since = since_of(period, context.local_now)
    with context.sessions() as session:
        rows = queries.curves_from(session, context.athlete_id, kind, context.sources, since)
        provenance = context.provenance(session)
    by_duration = kind in BY_DURATION
    efforts = [
        BestEffort(
            duration_s=int(point.key) if by_duration else None,
            distance_m=None if by_duration else point.key,
            label=key_label(point.key, by_duration),
            value=round(point.value, 1),
            pace=None if by_duration else _pace(per_km(point, kind == SWIM_PACE)),
            activity_id=point.activity_id,
            day=point.start_date.date(),
        )
        for point in merge_sourced(rows, kind)
    ]
    return BestEfforts(
        curve=curve,
        sport=(sport or "run") if curve == "pace" else None,
        since=None if since is None else since.date(),
        efforts=efforts,
        **provenance,
    )


def _pace(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


EFFORT_TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(
        "get_thresholds",
        thresholds,
        "The thresholds the athlete's loads and zones are computed with today (FTP, "
        "threshold and maximum heart rate, threshold run and swim pace, resting heart rate), "
        "each with its source (the athlete's setting or how it was estimated); and how the "
        "estimates from their best efforts moved: an FTP estimate per month (the last 6), "
        "critical power "
        "and W' and running critical speed and D' over the last 90 days. Use it for 'has my "
        "FTP gone up' or to turn zones into watts and paces.",
    ),
    ToolSpec(
        "get_best_efforts",
        best_efforts,
        "The athlete's best efforts over a period (90d, ytd, 1y or all): curve 'power' "
        "(best mean watts per duration, 1 s to hours), 'heart_rate' (best mean bpm per "
        "duration) or 'pace' (fastest time per standard distance; sport run or swim, default "
        "run), each with the activity and day it came from. Use it for personal bests, "
        "'what is my best 20 minutes', or comparing periods by calling it twice.",
    ),
)
