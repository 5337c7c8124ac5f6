"""An athlete with Strava connected and files of their own, for the disconnect test and
bench/disconnect.py: ``strava`` activities as Strava's API gives them (every fourth with
streams), ``own`` FIT files imported from a folder on days without a Strava activity,
their settings and goal; and what is left of them after a disconnect."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from cryptography.fernet import Fernet, MultiFernet
from sqlalchemy import func, select

from fitcoach.activities.loads import compute_loads
from fitcoach.activities.queries import daily_load_history
from fitcoach.activities.repository import by_strava_ids, upsert_api_activities
from fitcoach.activities.rows import row_from_strava
from fitcoach.coach import performance_series
from fitcoach.core.db import transaction
from fitcoach.imports.parsing.limits import Limits
from fitcoach.imports.service import import_path
from fitcoach.models import (
    Activity,
    ActivityStreams,
    Athlete,
    DailyLoad,
    ImportedFile,
    OAuthToken,
    StravaConnection,
)
from fitcoach.strava.repository import Tokens, save_connection, save_tokens
from fitcoach.sync.repository import sync_state_for_update
from tests.imports.builders import ArchiveItem, fit_file, ride, run
from tests.stores import Store

STRAVA_ATHLETE = 555_000


def connect(store: Store) -> None:
    """The account's Strava connection, with (encrypted) tokens and a sync state."""
    ring = MultiFernet([Fernet(Fernet.generate_key())])
    with transaction(store.sessions) as session:
        save_connection(session, store.athlete_id, {"id": STRAVA_ATHLETE, "firstname": "Ada"})
        expires = datetime(2030, 1, 1, tzinfo=UTC)
        save_tokens(session, ring, store.athlete_id, Tokens("a", "r", expires, "read"))
        sync_state_for_update(session, store.athlete_id)
        athlete = session.get(Athlete, store.athlete_id)
        assert athlete is not None
        athlete.goal_event_name, athlete.goal_event_date = "Marmotte", date(2026, 7, 5)


def fill(store: Store, strava: int, own: int, today: date, folder: Path) -> None:
    """``strava`` API activities and ``own`` imported files on separate days before ``today``."""
    days = [today - timedelta(days=back) for back in range(strava + own, 0, -1)]
    own_days = days[:: max(1, len(days) // max(1, own))][:own]
    api_days = [day for day in days if day not in set(own_days)][:strava]
    assert len(own_days) == own and len(api_days) == strava
    rows = []
    for index, day in enumerate(api_days):
        start = datetime(day.year, day.month, day.day, 7, tzinfo=UTC)
        item = ArchiveItem(8_000_000_000 + index, ride(start, 60, seed=index), "", "Morning Ride")
        document = item.strava_document(STRAVA_ATHLETE)
        minutes = 40 + index % 80
        document.update(
            moving_time=minutes * 60,
            elapsed_time=minutes * 60 + 120,
            weighted_average_watts=170.0 + index % 60,
        )
        rows.append(row_from_strava(document, store.athlete_id))
    with transaction(store.sessions) as session:
        upsert_api_activities(session, rows)
        held = by_strava_ids(session, [row["strava_id"] for row in rows[::4]])
        for activity in held.values():
            session.add(ActivityStreams(activity_id=activity.id, streams={"time": [0, 1]}))
    folder.mkdir(parents=True, exist_ok=True)
    for index, day in enumerate(own_days):
        start = datetime(day.year, day.month, day.day, 17, tzinfo=UTC)
        workout = run(start, 600, seed=index) if index % 2 else ride(start, 600, seed=index)
        (folder / f"{day.isoformat()}-evening.fit").write_bytes(fit_file(workout))
    import_path(store.sessions, store.athlete_id, folder, Limits())
    compute_loads(store.sessions, store.athlete_id, today)


@dataclass(frozen=True)
class Held:
    """What the store holds of the athlete, and their fitness history."""

    by_source: dict[str, int]
    own_ids: frozenset[int]
    streams: int
    files: frozenset[str]
    carried: int
    carried_load: float
    api_load: float
    connected: bool
    settings: tuple[object, ...]
    ctl: list[float]
    atl: list[float]


def held(store: Store, today: date) -> Held:
    athlete_id = store.athlete_id
    with store.sessions() as session:
        counts = session.execute(
            select(Activity.source, func.count())
            .where(Activity.athlete_id == athlete_id)
            .group_by(Activity.source)
        ).all()
        own = session.scalars(
            select(Activity.id).where(
                Activity.athlete_id == athlete_id, Activity.source != "strava_api"
            )
        ).all()
        api_load = session.scalar(
            select(func.sum(Activity.load)).where(
                Activity.athlete_id == athlete_id, Activity.source == "strava_api"
            )
        )
        streams = session.scalar(select(func.count()).select_from(ActivityStreams))
        files = session.scalars(select(ImportedFile.sha256)).all()
        carried = session.scalars(select(DailyLoad.load)).all()
        connected = any(
            session.get(model, athlete_id) is not None for model in (OAuthToken, StravaConnection)
        )
        athlete = session.get(Athlete, athlete_id)
        assert athlete is not None
        settings = (
            athlete.ftp_watts,
            athlete.threshold_hr,
            athlete.goal_event_name,
            athlete.goal_event_date,
        )
        history = daily_load_history(session, athlete_id)
    first = history.first()
    assert first is not None
    series = performance_series(history.totals(first, today), first)
    return Held(
        by_source={str(source): int(count) for source, count in counts},
        own_ids=frozenset(own),
        streams=int(streams or 0),
        files=frozenset(files),
        carried=len(carried),
        carried_load=float(sum(carried)),
        api_load=float(api_load or 0.0),
        connected=connected,
        settings=settings,
        ctl=[float(value) for value in series.ctl],
        atl=[float(value) for value in series.atl],
    )
