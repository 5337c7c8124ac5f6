"""Disconnecting Strava at a small scale of the 838 Strava activities and 50 own files the
issue names (bench/disconnect.py runs that scale): exactly the own files stay, with their
streams and ledger, the settings and the goal; every Strava activity and stream, the
tokens and the connection go; the fitness history, recomputed from what remains and the
loads carried per day, is the one before."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from fitcoach.models import Deletion
from fitcoach.sync.connection import forget_strava
from tests.accounts.disconnect_support import connect, fill, held
from tests.stores import Store

TODAY = date(2026, 6, 1)
STRAVA, OWN = 60, 6


def test_disconnect_leaves_exactly_the_own_files_and_the_history(
    any_store: Store, tmp_path: Path
) -> None:
    connect(any_store)
    fill(any_store, STRAVA, OWN, TODAY, tmp_path / "own")
    before = held(any_store, TODAY)
    assert before.by_source == {"strava_api": STRAVA, "file": OWN}
    assert before.streams == STRAVA // 4 + OWN and len(before.files) == OWN
    assert before.connected and before.carried == 0 and before.api_load > 0

    deleted = forget_strava(any_store.sessions, any_store.athlete_id, TODAY, reason="test")
    after = held(any_store, TODAY)
    assert deleted == STRAVA
    assert after.by_source == {"file": OWN} and after.own_ids == before.own_ids
    assert (after.streams, after.files) == (OWN, before.files)
    assert after.settings == before.settings and after.settings[2] == "Marmotte"
    assert not after.connected
    # Every Strava day's load is carried (each day had one activity), and the chart keeps
    # the same numbers from the first day to today.
    assert after.carried == STRAVA
    assert after.carried_load == pytest.approx(before.api_load)
    assert after.ctl == pytest.approx(before.ctl) and after.atl == pytest.approx(before.atl)
    with any_store.sessions() as session:
        record = session.scalars(select(Deletion)).one()
    assert (record.athlete_id, record.activities_deleted) == (any_store.athlete_id, STRAVA)
