"""The activity list (``/activities`` and ``GET /api/strava/activities``): keyset pages in
every sort agree with the stored rows sorted in Python, filters narrow them, bad input is
refused by name; the calendar's month adds up to its days."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import URL

from fitcoach.core.db import transaction
from fitcoach.models import Activity, Source
from tests.conftest import RunningServer
from tests.dashboard.dashboard_support import HTML, Site, logged_in_site

KEYS = {
    "date": lambda a: a.start_date,
    "load": lambda a: -1.0 if a.load is None else a.load,
    "duration": lambda a: a.moving_time_s,
    "distance": lambda a: a.distance_m,
}
ODD_NAME = "100% effort_test"


@pytest.fixture
def site(database_url: URL, simulator: RunningServer) -> Iterator[Site]:
    yield from logged_in_site(database_url, simulator)


def stored(site: Site) -> list[Activity]:
    with site.state.sessions() as session:
        query = select(Activity).where(Activity.athlete_id == site.athlete_id)
        return list(session.scalars(query))


def add_file_activity(site: Site, name: str, start: datetime) -> int:
    """An activity from the athlete's own file, with no load computed."""
    with transaction(site.state.sessions) as session:
        activity = Activity(
            athlete_id=site.athlete_id,
            name=name,
            sport_type="Run",
            start_date=start,
            start_date_local=start,
            moving_time_s=1800,
            elapsed_time_s=1800,
            distance_m=6000.0,
            source=Source.FILE,
            raw={},
        )
        session.add(activity)
        session.flush()
        return activity.id


def walk(site: Site, limit: int = 37, **params: Any) -> list[int]:
    """Every page of the API's list, following next_cursor; the ids in order."""
    seen: list[int] = []
    cursor = None
    while True:
        asked = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        answer = site.client.get("/api/strava/activities", params=asked)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert len(body["activities"]) <= limit
        seen += [activity["id"] for activity in body["activities"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return seen


def test_every_sort_pages_through_all_activities_in_order(site: Site) -> None:
    add_file_activity(site, ODD_NAME, datetime.now(UTC) - timedelta(days=3))
    rows = stored(site)
    assert len(rows) > 100  # several pages of 37
    for sort, key in KEYS.items():
        for order in ("desc", "asc"):
            expected = sorted(rows, key=lambda a: (key(a), a.id), reverse=order == "desc")
            assert walk(site, sort=sort, order=order) == [a.id for a in expected], (sort, order)


def test_filters_narrow_the_list(site: Site) -> None:
    odd = add_file_activity(site, ODD_NAME, datetime(2026, 1, 15, 7, tzinfo=UTC))
    add_file_activity(site, "100 effort test", datetime(2026, 1, 16, 7, tzinfo=UTC))
    rows = stored(site)
    sport = max({a.sport_type for a in rows}, key=lambda s: sum(a.sport_type == s for a in rows))
    assert walk(site, sport=sport) == [
        a.id
        for a in sorted(rows, key=lambda a: (a.start_date, a.id), reverse=True)
        if a.sport_type == sport
    ]
    days = sorted({a.start_day for a in rows})
    since, until = days[len(days) // 3], days[2 * len(days) // 3]
    in_range = walk(site, since=since.isoformat(), until=until.isoformat(), sort="distance")
    assert set(in_range) == {a.id for a in rows if since <= a.start_day <= until}
    # "%" and "_" are the athlete's characters, not patterns; case does not matter.
    assert walk(site, q="100% EFFORT_") == [odd]
    word = rows[0].name.split()[0]
    assert set(walk(site, q=word.lower())) == {a.id for a in rows if word.lower() in a.name.lower()}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"sort": "speed"}, "'sort'"),
        ({"order": "up"}, "'order'"),
        ({"since": "2026-02-30"}, "'since'"),
        ({"since": "2026-03-02", "until": "2026-03-01"}, "after 'until'"),
        ({"cursor": "not-a-cursor"}, "'cursor'"),
        ({"q": "x" * 101}, "'q'"),
    ],
)
def test_bad_list_input_is_refused_by_name(site: Site, params: dict[str, str], named: str) -> None:
    answer = site.client.get("/api/strava/activities", params=params)
    assert answer.status_code == 400
    assert named in answer.json()["error"]["reason"]
    page = site.client.get("/activities", params=params, headers=HTML)
    assert page.status_code == 400
    assert named.replace("'", "&#39;") in page.text or named in page.text


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_cursor_of_another_sort_is_refused(site: Site) -> None:
    cursor = site.client.get("/api/strava/activities", params={"limit": 5}).json()["next_cursor"]
    answer = site.client.get("/api/strava/activities", params={"cursor": cursor, "sort": "load"})
    assert answer.status_code == 400
    assert "another order" in answer.json()["error"]["reason"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_page_lists_fifty_with_provenance_and_a_next_page(site: Site) -> None:
    own = add_file_activity(site, ODD_NAME, datetime.now(UTC) + timedelta(minutes=1))
    first = site.client.get("/activities", headers=HTML)
    assert first.status_code == 200
    assert first.text.count('<tr>\n      <td data-label="Date">') == 50
    assert f'href="/activities/{own}">100% effort_test</a>' in first.text
    assert ">your file</td>" in first.text  # provenance of an own file
    assert "View on Strava" in first.text
    # How a load was computed opens by touch too: a disclosure, not a tooltip.
    assert (
        '<details class="explain"><summary>pending</summary>The load is computed shortly '
        "after the activity arrives</details>" in first.text
    )
    next_link = first.text.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    second = site.client.get(next_link.replace("&amp;", "&"), headers=HTML)
    assert second.status_code == 200
    assert f'/activities/{own}"' not in second.text
    assert "First page" in second.text
