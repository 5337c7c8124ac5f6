"""The daily load history summed per day by the database, against the Python definition.

``daily_load_history`` buckets activities by ``(start_date_local or start_date).date()``
in SQL; these tests check that SQLite and PostgreSQL give exactly the days that Python
expression gives for the values the store hands back, and the same sums.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from fitcoach import migrations
from fitcoach.activities.queries import daily_load_history
from fitcoach.core.db import make_engine, session_factory, transaction
from fitcoach.models import Activity, Athlete, DailyLoad

ATHLETE = 11
OTHER = 12
SOURCES = ("strava_api", "file", "archive")


@pytest.fixture
def sessions(database_url: URL) -> Iterator[sessionmaker[Session]]:
    if database_url.get_backend_name() == "postgresql":
        # Far from UTC: the day must not depend on the connection's time zone.
        database_url = database_url.update_query_dict({"options": "-c TimeZone=Pacific/Kiritimati"})
    engine = make_engine(database_url)
    migrations.upgrade(engine)
    factory = session_factory(engine)
    with transaction(factory) as session:
        session.add_all([Athlete(id=ATHLETE, firstname="A"), Athlete(id=OTHER, firstname="B")])
    yield factory
    engine.dispose()


def activity(
    activity_id: int,
    start: datetime,
    local: datetime | None,
    load: float | None,
    source: str = "strava_api",
    athlete_id: int = ATHLETE,
) -> Activity:
    return Activity(
        id=activity_id,
        athlete_id=athlete_id,
        name=f"activity {activity_id}",
        sport_type="Ride",
        start_date=start,
        start_date_local=local,
        load=load,
        source=source,
        raw={},
    )


def edge_cases() -> list[Activity]:
    """Times at and around midnight, with and without a local time, in other zones."""
    plus_14 = timezone(timedelta(hours=14))
    minus_11 = timezone(timedelta(hours=-11))
    cases = [
        # Local wall clock on another day than the UTC start.
        (datetime(2025, 3, 1, 23, 30, tzinfo=UTC), datetime(2025, 3, 2, 9, 30, tzinfo=UTC)),
        (datetime(2025, 3, 2, 3, 0, tzinfo=UTC), datetime(2025, 3, 1, 19, 0, tzinfo=UTC)),
        # The last and the first instant of a day.
        (
            datetime(2025, 3, 3, 23, 59, 59, 999_999, tzinfo=UTC),
            datetime(2025, 3, 3, 23, 59, 59, 999_999, tzinfo=UTC),
        ),
        (datetime(2025, 3, 4, 0, 0, tzinfo=UTC), datetime(2025, 3, 4, 0, 0, tzinfo=UTC)),
        # No local time: the UTC start's day.
        (datetime(2025, 3, 4, 23, 59, 59, tzinfo=UTC), None),
        (datetime(2025, 3, 5, 0, 0, 0, 1, tzinfo=UTC), None),
        # Written with other offsets: stored as UTC, whose day counts.
        (datetime(2025, 3, 6, 8, 0, tzinfo=plus_14), datetime(2025, 3, 6, 8, 0, tzinfo=plus_14)),
        (datetime(2025, 3, 6, 20, 0, tzinfo=minus_11), None),
        # A leap day, a year's last day, long ago.
        (datetime(2024, 2, 29, 12, 0, tzinfo=UTC), datetime(2024, 2, 29, 23, 0, tzinfo=UTC)),
        (datetime(2019, 12, 31, 23, 0, tzinfo=UTC), datetime(2020, 1, 1, 0, 30, tzinfo=UTC)),
    ]
    loads = [55.5, 10.0, None, 0.1, 0.2, 0.3, 120.7, 33.3, 1.0, 2.5]
    return [
        activity(100 + i, start, local, load, SOURCES[i % 3])
        for i, ((start, local), load) in enumerate(zip(cases, loads, strict=True))
    ]


def random_activities(count: int, seed: int) -> list[Activity]:
    """Three years of activities at any time of day and UTC offset, several on some days."""
    rng = random.Random(seed)
    first = datetime(2023, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(count):
        start = first + timedelta(
            days=rng.randrange(3 * 365),
            seconds=rng.randrange(86_400),
            microseconds=rng.choice((0, rng.randrange(1_000_000))),
        )
        offset = timedelta(minutes=15 * rng.randint(-12 * 4, 14 * 4))
        local = (start + offset) if rng.random() < 0.9 else None
        load = round(rng.uniform(0, 250), 1) if rng.random() < 0.95 else None
        rows.append(activity(1_000 + i, start, local, load, rng.choice(SOURCES)))
    return rows


def python_days(
    session: Session, athlete_id: int, sources: Sequence[str] | None = None
) -> dict[date, float]:
    """The definition: each stored activity's ``(local or start).date()``, loads summed,
    plus the carried daily loads."""
    totals: dict[date, float] = defaultdict(float)
    rows = session.execute(
        select(Activity.start_date_local, Activity.start_date, Activity.load, Activity.source)
        .where(Activity.athlete_id == athlete_id)
        .order_by(Activity.start_date, Activity.id)
    )
    for local, start, load, source in rows:
        if sources is None or source in sources:
            totals[(local or start).date()] += load or 0.0
    carried = session.execute(
        select(DailyLoad.day, DailyLoad.load, DailyLoad.source).where(
            DailyLoad.athlete_id == athlete_id
        )
    )
    for day, load, source in carried:
        if sources is None or source in sources:
            totals[day] += load
    return dict(totals)


def database_days(
    session: Session, athlete_id: int, sources: Sequence[str] | None = None
) -> dict[date, float]:
    totals: dict[date, float] = defaultdict(float)
    for day, load in daily_load_history(session, athlete_id, sources).dated():
        assert type(day) is date and isinstance(load, float)
        totals[day] += load
    return dict(totals)


def assert_same(got: dict[date, float], want: dict[date, float]) -> None:
    assert sorted(got) == sorted(want)  # exactly the same days
    for day, load in want.items():
        assert got[day] == pytest.approx(load, abs=1e-9), day


def test_days_are_the_local_dates_python_gives(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        session.add_all(edge_cases())
        session.add(
            activity(99, datetime(2025, 3, 1, 12, tzinfo=UTC), None, 500.0, athlete_id=OTHER)
        )
    with sessions() as session:
        want = python_days(session, ATHLETE)
        assert_same(database_days(session, ATHLETE), want)
    assert sorted(want) == [
        date(2020, 1, 1),
        date(2024, 2, 29),
        date(2025, 3, 1),
        date(2025, 3, 2),
        date(2025, 3, 3),
        date(2025, 3, 4),
        date(2025, 3, 5),  # 08:00 at UTC+14 is the 5th at 18:00 UTC
        date(2025, 3, 7),  # 20:00 at UTC-11 is the 7th at 07:00 UTC
    ]
    # The other athlete's activity is not counted; a missing load counts as none.
    assert want[date(2025, 3, 1)] == pytest.approx(10.0)
    assert want[date(2025, 3, 3)] == 0.0


def test_random_history_with_carried_loads_and_sources(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        session.add_all(random_activities(600, seed=5))
        for i, day in enumerate((date(2022, 6, 1), date(2023, 6, 1), date(2024, 1, 15))):
            session.add(DailyLoad(athlete_id=ATHLETE, day=day, source="strava_api", load=40.0 + i))
    with sessions() as session:
        everything = python_days(session, ATHLETE)
        assert_same(database_days(session, ATHLETE), everything)
        own = ("file", "archive")
        assert_same(database_days(session, ATHLETE, own), python_days(session, ATHLETE, own))
        api = ("strava_api",)
        assert_same(database_days(session, ATHLETE, api), python_days(session, ATHLETE, api))
    # The carried loads are in the history, on days without activities too.
    assert everything[date(2022, 6, 1)] == 40.0
    assert len(everything) > 400


def test_a_lone_load_comes_back_exactly_and_no_history_is_empty(
    sessions: sessionmaker[Session],
) -> None:
    # Both databases hand the history over as text: every load must survive it bit for bit.
    awkward = [0.1 + 0.2, 1 / 3, 2.675, 1e-7 / 3, 123.0, 9_876.543_210_987_6]
    with transaction(sessions) as session:
        session.add_all(
            activity(500 + i, datetime(2025, 1, 1 + i, 9, tzinfo=UTC), None, load)
            for i, load in enumerate(awkward)
        )
        session.add(DailyLoad(athlete_id=ATHLETE, day=date(2024, 12, 1), source="file", load=0.7))
    with sessions() as session:
        history = sorted(daily_load_history(session, ATHLETE).dated())
        assert history == [
            (date(2024, 12, 1), 0.7),
            *((date(2025, 1, 1 + i), load) for i, load in enumerate(awkward)),
        ]
        empty = daily_load_history(session, OTHER)
        assert empty.days.size == empty.loads.size == 0
        assert daily_load_history(session, ATHLETE, ("archive",)).first() is None
