"""The population, the lower bound and the staleness rule, on small hand-checked cases."""

from __future__ import annotations

from fitcoach.capacity.accounting import is_stale, lower_bound
from fitcoach.capacity.options import CapacityOptions
from fitcoach.capacity.population import (
    DAY,
    Event,
    Kind,
    Person,
    Population,
    Upload,
    generate,
    title,
)


def test_population_is_reproducible_and_sorted() -> None:
    options = CapacityOptions(athletes=50, days=2, seed=3)
    first, second = generate(options), generate(options)
    assert first.events == second.events
    assert [e.at for e in first.events] == sorted(e.at for e in first.events)
    assert all(first.start <= e.at < first.end for e in first.events)
    assert sum(first.views_per_day) == sum(1 for e in first.events if e.kind is Kind.VIEW)
    joined = [p for p in first.people if p.joins_at is not None]
    assert len(joined) == 2  # 2 % of 50 a day, two days
    assert generate(CapacityOptions(athletes=50, days=2, seed=4)).events != first.events


def test_views_follow_the_user_types() -> None:
    heavy_only = {"light": 0.0, "moderate": 0.0, "heavy": 1.0}
    options = CapacityOptions(athletes=300, days=1, mix=heavy_only)
    population = generate(options)
    initial = [p.index for p in population.people if p.joins_at is None]
    views = [e for e in population.events if e.kind is Kind.VIEW and e.person in initial]
    # Heavy users look 10-15 times a local day; a UTC day cuts two local days.
    assert 10 * 300 * 0.8 < len(views) < 15 * 300 * 1.2


def _population(events: list[Event], days: int = 1) -> Population:
    people = [Person(0, "light", 0.0, "runner", None), Person(1, "light", 0.0, "runner", 5.0)]
    return Population(0.0, days, people, [], events, [0] * days)


def test_lower_bound_counts_first_views_after_news_and_backfill_pages() -> None:
    events = [
        Event(1.0, 0, Kind.VIEW, 0),  # nothing new yet: free
        Event(2.0, 1, Kind.UPLOAD, 0, 0),
        Event(3.0, 2, Kind.UPLOAD, 0, 1),
        Event(4.0, 3, Kind.VIEW, 0),  # first view after two uploads: one call
        Event(5.0, 4, Kind.VIEW, 0),  # nothing new since: free
        Event(5.0, 5, Kind.JOIN, 1),  # 401 activities: three pages
        Event(DAY + 1, 6, Kind.UPLOAD, 0, 2),
        Event(DAY + 2, 7, Kind.EDIT, 0, 2),  # edits add nothing
        Event(DAY + 3, 8, Kind.VIEW, 0),
    ]
    assert lower_bound(_population(events, 2), {1: 401}) == [1 + 3, 1]


def test_staleness_rule() -> None:
    upload = Upload(0, 0, 1000.0, 0, 600, [(1000.0, title(0)), (1200.0, title(0, edited=True))])
    ids = {0: 77}
    # Within five minutes of the upload nothing is owed.
    assert not is_stale([upload], ids, {}, 1299.0)
    assert is_stale([upload], ids, {}, 1301.0)
    # The edit was made less than five minutes before: either title is fine.
    assert not is_stale([upload], ids, {77: title(0)}, 1400.0)
    assert not is_stale([upload], ids, {77: title(0, edited=True)}, 1400.0)
    # More than five minutes after the edit, the old title is stale.
    assert is_stale([upload], ids, {77: title(0)}, 1501.0)
    assert not is_stale([upload], ids, {77: title(0, edited=True)}, 1501.0)
    # A deleted activity is owed no more.
    upload.deleted_at = 1600.0
    assert not is_stale([upload], ids, {}, 1700.0)
