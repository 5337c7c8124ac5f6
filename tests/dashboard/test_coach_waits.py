"""The coach holds its advice while the history is arriving, and says why in words."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from fitcoach.dashboard.views import AthleteView, SyncSummary, coach_waits

TODAY = date(2026, 3, 4)


def athlete(has_strava: bool) -> AthleteView:
    return AthleteView(1, "Ada", "Byron", has_strava, has_strava, None, None)


def sync(done: bool, fetched: int, oldest: datetime | None) -> SyncSummary:
    return SyncSummary(None, done, fetched, oldest, fetched, 0, None, None)


def test_the_coach_waits_for_the_import_then_for_enough_history() -> None:
    importing = coach_waits(athlete(True), sync(False, 0, None), None, TODAY)
    assert importing is not None and "no activities yet" in importing
    partway = coach_waits(
        athlete(True), sync(False, 1234, datetime(2024, 5, 2, tzinfo=UTC)), TODAY, TODAY
    )
    assert partway is not None
    assert "1,234 activities so far, back to 02 May 2024" in partway
    assert "once the import is done" in partway
    short = coach_waits(athlete(True), sync(True, 10, None), TODAY - timedelta(days=9), TODAY)
    assert short is not None and "yours covers 10" in short
    # Own files only: no import to wait for, only the history's length.
    assert coach_waits(athlete(False), sync(False, 0, None), None, TODAY) is not None
    assert (
        coach_waits(athlete(False), sync(False, 0, None), TODAY - timedelta(days=60), TODAY) is None
    )
    assert (
        coach_waits(athlete(True), sync(True, 500, None), TODAY - timedelta(days=42), TODAY) is None
    )
