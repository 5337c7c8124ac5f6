"""The reads the MCP tools make beyond the pages' own: typed rows, filtered by the sources
the language-model policy allows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from fitcoach.activities.queries import CurveRow
from fitcoach.models import Activity, ActivityCurve, ActivityStreams
from fitcoach.models.types import UTCDateTime


class ActivityItemRow(NamedTuple):
    id: int
    name: str
    sport_type: str
    start_date: datetime
    start_date_local: datetime | None
    moving_time_s: int
    distance_m: float
    elevation_gain_m: float
    load: float | None
    load_method: str | None
    source: str


_ITEM = (
    Activity.id,
    Activity.name,
    Activity.sport_type,
    Activity.start_date,
    Activity.start_date_local,
    Activity.moving_time_s,
    Activity.distance_m,
    Activity.elevation_gain_m,
    Activity.load,
    Activity.load_method,
    Activity.source,
)


def filtered_activities(
    session: Session,
    athlete_id: int,
    sources: Sequence[str],
    *,
    after: datetime | None,
    before: datetime | None,
    sport_types: Sequence[str] | None,
    min_distance_m: float | None,
    limit: int,
) -> list[ActivityItemRow]:
    """The athlete's activities from ``sources`` matching the filters, newest first;
    ``after`` and ``before`` are on the clock where each activity was recorded."""
    query = select(*_ITEM).where(Activity.athlete_id == athlete_id, Activity.source.in_(sources))
    # The local start is the wall clock stored as UTC: the athlete's own days compare on it.
    local = func.coalesce(Activity.start_date_local, Activity.start_date, type_=UTCDateTime)
    if after is not None:
        query = query.where(local >= after)
    if before is not None:
        query = query.where(local < before)
    if sport_types:
        query = query.where(Activity.sport_type.in_(sport_types))
    if min_distance_m is not None:
        query = query.where(Activity.distance_m >= min_distance_m)
    query = query.order_by(Activity.start_date.desc(), Activity.id.desc()).limit(limit)
    return [ActivityItemRow._make(row) for row in session.execute(query)]


def activity_of(session: Session, athlete_id: int, activity_id: int) -> Activity | None:
    """The athlete's activity (another athlete's is not found), without its raw document."""
    query = (
        select(Activity)
        .options(defer(Activity.raw))
        .where(Activity.id == activity_id, Activity.athlete_id == athlete_id)
    )
    return session.execute(query).scalar_one_or_none()


class SummaryRow(NamedTuple):
    """What the threshold estimates read of an activity (``athletes.thresholds.SummaryFields``)."""

    sport_type: str
    start_date: datetime
    start_date_local: datetime | None
    moving_time_s: int
    elapsed_time_s: int
    distance_m: float
    elevation_gain_m: float
    average_watts: float | None
    weighted_average_watts: float | None
    device_watts: bool
    kilojoules: float | None
    average_heartrate: float | None
    max_heartrate: float | None
    trainer: bool
    manual: bool


_SUMMARY = tuple(getattr(Activity, name) for name in SummaryRow._fields)


def threshold_summaries(
    session: Session, athlete_id: int, sources: Sequence[str], since: datetime
) -> list[SummaryRow]:
    """What ``coach.resolve_thresholds`` reads to estimate today's thresholds, and no more:
    the activities from ``sources`` started (on their local clock) since ``since``, the
    estimates' look-back, and the one with the highest recorded heart rate of all (the
    maximum heart rate is estimated from the whole history). The same estimates as from
    every activity, from a number of rows bounded by the look-back."""
    local = func.coalesce(Activity.start_date_local, Activity.start_date, type_=UTCDateTime)
    own = select(*_SUMMARY).where(Activity.athlete_id == athlete_id, Activity.source.in_(sources))
    rows = [SummaryRow._make(row) for row in session.execute(own.where(local >= since))]
    highest = session.execute(
        own.where(Activity.max_heartrate.is_not(None), local < since)
        .order_by(Activity.max_heartrate.desc())
        .limit(1)
    ).first()
    if highest is not None:
        rows.append(SummaryRow._make(highest))
    return rows


def streams_for(session: Session, activity_id: int) -> dict[str, Any] | None:
    """The activity's stored streams, None when none are stored."""
    query = select(ActivityStreams.streams).where(ActivityStreams.activity_id == activity_id)
    found = session.execute(query).scalar_one_or_none()
    return None if found is None else dict(found)


def curves_from(
    session: Session,
    athlete_id: int,
    kind: str,
    sources: Sequence[str],
    since: datetime | None = None,
) -> list[CurveRow]:
    """The athlete's stored curves of ``kind`` (``activities.curves``) of activities from
    ``sources``, started since ``since``: the pages' ``curve_rows`` with the policy's filter."""
    query = (
        select(ActivityCurve.activity_id, ActivityCurve.start_date, ActivityCurve.points)
        .join(Activity, Activity.id == ActivityCurve.activity_id)
        .where(
            ActivityCurve.athlete_id == athlete_id,
            ActivityCurve.kind == kind,
            Activity.source.in_(sources),
        )
    )
    if since is not None:
        query = query.where(ActivityCurve.start_date >= since)
    return [CurveRow._make(row) for row in session.execute(query)]
