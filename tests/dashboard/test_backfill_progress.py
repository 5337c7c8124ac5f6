"""The import's progress on the dashboard: the count, the date reached, and from the pace
so far the activities and the time left until the Strava account's first day; and a load
recompute's progress after a threshold change."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from fitcoach.dashboard.views import (
    RecomputeProgress,
    SyncSummary,
    backfill_progress,
    recompute_progress,
)

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
NEWEST = datetime(2026, 3, 3, tzinfo=UTC)


def importing(
    fetched: int, reached: datetime | None, started: datetime | None, begun: datetime | None
) -> SyncSummary:
    return SyncSummary(NOW, False, fetched, reached, fetched, 0, None, None, started, NEWEST, begun)


def test_time_left_at_the_pace_so_far() -> None:
    # A year of history (300 activities) in 10 minutes; two more years to go.
    reached = NEWEST - timedelta(days=365)
    begun = reached - timedelta(days=730)
    progress = backfill_progress(importing(300, reached, NOW - timedelta(minutes=10), begun), NOW)
    assert progress is not None
    assert progress.more == 600
    assert progress.seconds_left is not None and abs(progress.seconds_left - 1200) < 1e-6
    assert progress.share_done is not None and abs(progress.share_done - 1 / 3) < 1e-9


def test_no_estimate_without_what_it_needs() -> None:
    reached = NEWEST - timedelta(days=30)
    begun = reached - timedelta(days=100)
    # The first half minute: the count, the share, the activities left, but no pace yet.
    early = backfill_progress(importing(200, reached, NOW - timedelta(seconds=30), begun), NOW)
    assert early is not None and early.seconds_left is None and early.more is not None
    # Strava did not say when the account began: the count and the date only.
    unknown = backfill_progress(importing(200, reached, NOW - timedelta(hours=1), None), NOW)
    assert unknown is not None and (unknown.more, unknown.seconds_left) == (None, None)
    # Past the account's first day (an activity dated before it): nothing left, not less.
    past = backfill_progress(importing(200, begun - timedelta(days=1), NOW, begun), NOW)
    assert past is not None and past.more == 0
    done = SyncSummary(NOW, True, 200, reached, 200, 0, None, None)
    assert backfill_progress(done, NOW) is None


def test_a_recompute_under_way_and_its_time_left() -> None:
    asked = NOW - timedelta(minutes=2)
    running = SyncSummary(
        NOW, True, 0, None, 900, 0, None, None,
        recompute_total=900, recompute_done=300, recompute_requested_at=asked,
    )  # fmt: skip
    progress = recompute_progress(running, NOW)
    assert progress is not None and (progress.done, progress.total) == (300, 900)
    assert progress.seconds_left is not None and abs(progress.seconds_left - 240) < 1e-6
    counting = replace(running, recompute_total=None, recompute_done=0)
    assert recompute_progress(counting, NOW) == RecomputeProgress(0, None, None)
    assert recompute_progress(replace(running, recompute_finished_at=NOW), NOW) is None
    assert recompute_progress(replace(running, recompute_requested_at=None), NOW) is None
