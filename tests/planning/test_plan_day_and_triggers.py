"""A plan's "today" is the athlete's own date (their newest activity says where they are),
and a finished import or sync re-plans at once instead of at the next view or hour: through
the import page's queue, and through the worker's hook on huey's finished tasks."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from fitcoach.athletes.local_day import zone_of
from fitcoach.core.db import transaction
from fitcoach.models import Activity, PlanVersion
from fitcoach.planning import service
from fitcoach.planning.tasks import replan_all
from tests.imports.builders import fit_file, ride
from tests.planning.plan_support import (
    ATHLETE,
    GOAL_FORM,
    TODAY,
    PlanSite,
    add_ride,
    morning,
    plan_site,
)
from tests.planning.test_plan_service import SETTINGS

SYDNEY = "(GMT+10:00) Australia/Sydney"


@pytest.fixture
def site(sqlite_url: URL) -> Iterator[PlanSite]:
    yield from plan_site(sqlite_url)


def _recorded_in(sessions: sessionmaker[Session], label: str | None, offset_h: float) -> None:
    """The athlete's newest activity: yesterday evening (UTC), recorded ``offset_h`` from UTC."""
    start = datetime.combine(TODAY - timedelta(days=1), time(18), UTC)
    with transaction(sessions) as session:
        add_ride(session, ATHLETE, TODAY - timedelta(days=1), 50.0, 8001)
        session.flush()
        row = session.get(Activity, 8001)
        assert row is not None
        row.start_date = start
        row.start_date_local = start + timedelta(hours=offset_h)
        row.timezone = label


def _causes(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(PlanVersion.cause).order_by(PlanVersion.version)))


def test_the_zone_comes_from_the_label_else_the_offset_else_utc() -> None:
    start = datetime(2026, 7, 1, 8, tzinfo=UTC)
    assert zone_of(SYDNEY, start, None) == ZoneInfo("Australia/Sydney")
    # An unknown name: the recorded offset still places the athlete (India, +5:30).
    local = start + timedelta(hours=5, minutes=30)
    assert zone_of("(GMT+05:30) Nowhere/Atlantis", start, local) == timezone(
        timedelta(hours=5, minutes=30)
    )
    assert zone_of(None, start, start - timedelta(hours=7)) == timezone(timedelta(hours=-7))
    assert zone_of(None, start, None) is UTC
    assert zone_of(None, start, start + timedelta(hours=30)) is UTC  # no such place


@pytest.mark.parametrize(("label", "offset_h"), [(SYDNEY, 11), (None, 11)], ids=["zone", "offset"])
def test_today_is_the_athletes_date_for_the_plan_and_the_hourly_check(
    site: PlanSite, label: str | None, offset_h: float
) -> None:
    _recorded_in(site.sessions, label, offset_h)
    # 22:00 UTC on the day before TODAY: already 09:00 on TODAY in Sydney (summer time).
    evening = datetime.combine(TODAY - timedelta(days=1), time(22), UTC)
    with transaction(site.sessions) as session:
        made = service.set_goal(session, ATHLETE, SETTINGS, now=evening)
        checked = service.repository.plan_of(session, ATHLETE)
        assert checked is not None and checked.checked_on == TODAY
    assert made.start == made.as_of == TODAY
    # The next evening in UTC is the next morning in Sydney: the hourly task re-plans it
    # though UTC's date is still the one the plan was checked on.
    assert replan_all(site.sessions, evening + timedelta(days=1)) == 1
    with site.sessions() as session:
        plan = service.current_plan(session, ATHLETE)
    assert plan.as_of == TODAY + timedelta(days=1)
    assert replan_all(site.sessions, evening + timedelta(days=1, hours=1)) == 0


def test_an_import_replans_at_once_even_after_todays_check(site: PlanSite) -> None:
    assert site.post("/plan/goal", sports="ride", **GOAL_FORM).status_code == 303
    # Three days on, the plan page was seen this morning: the plan was checked today.
    site.clock.now = morning(TODAY + timedelta(days=3))
    assert site.client.get("/plan").status_code == 200
    before = _causes(site.sessions)
    # Then the athlete imports Tuesday's ride, recorded on a watch and synced late.
    tuesday = TODAY + timedelta(days=1)
    content = fit_file(ride(datetime.combine(tuesday, time(7), UTC), 3600))
    csrf = site.csrf()
    answer = site.client.post(
        "/import", data={"csrf": csrf}, files={"file": ("tuesday.fit", content)}
    )
    assert answer.status_code < 400
    after = _causes(site.sessions)
    assert after == [*before, "replan"]
    with site.sessions() as session:
        plan = service.current_plan(session, ATHLETE)
        load = session.scalar(
            select(Activity.load).where(Activity.athlete_id == ATHLETE, Activity.source == "file")
        )
    assert load and plan.day(tuesday).done_load == pytest.approx(load)


def test_the_worker_queues_a_replan_when_a_sync_or_an_import_finished(
    site: PlanSite, sqlite_url: URL, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hook on huey's finished tasks: a sync of the athlete, or an import that added
    activities, queues ``replan_athlete`` for them; an import that added none, or any other
    task, queues nothing. (What the re-plan does is the test above's.)"""
    from fitcoach import worker
    from fitcoach.imports import tasks as import_tasks
    from fitcoach.imports.repository import create_job
    from fitcoach.models import ImportJob
    from fitcoach.sync import tasks as sync_tasks
    from fitcoach.sync.context import process_context
    from fitcoach.sync.webhooks import tasks as webhook_tasks

    monkeypatch.setenv("DATABASE_URL", sqlite_url.render_as_string(hide_password=False))
    process_context.cache_clear()  # the tasks' store is this test's
    added = create_job(site.sessions, ATHLETE, "ride.fit")
    nothing_new = create_job(site.sessions, ATHLETE, "again.fit")
    with transaction(site.sessions) as session:
        job = session.get(ImportJob, added)
        assert job is not None
        job.imported = 1
    finished = [
        sync_tasks.sync_athlete.s(ATHLETE),
        sync_tasks.manual_refresh.s(ATHLETE, True),
        import_tasks.import_upload.s(added),
        import_tasks.import_upload.s(nothing_new),
        webhook_tasks.handle_webhook_event.s(12),
    ]
    queue = worker.huey
    queue.flush()
    try:
        for task in finished:
            worker.replan_after(task, None, None)
        queued = [(type(task).__name__, task.args) for task in queue.pending()]
    finally:
        queue.flush()
        process_context.cache_clear()
    assert queued == [("replan_athlete", (ATHLETE,))] * 3


def test_an_inbox_scan_replans_each_athlete_it_added_activities_to_once(
    site: PlanSite, sqlite_url: URL, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker's periodic scan is an import too: the athletes it added activities to
    get one re-plan each (not one per file); a scan that added none queues nothing."""
    from fitcoach import worker
    from fitcoach.imports import inbox
    from fitcoach.imports import tasks as import_tasks
    from fitcoach.sync.context import process_context

    root = tmp_path / "inbox"
    monkeypatch.setenv("DATABASE_URL", sqlite_url.render_as_string(hide_password=False))
    monkeypatch.setenv("IMPORT_INBOX_DIR", str(root))
    process_context.cache_clear()  # the tasks' store is this test's
    folder = inbox.athlete_inbox(root, ATHLETE)
    for day in (1, 2):
        path = folder / f"ride-{day}.fit"
        path.write_bytes(
            fit_file(ride(datetime.combine(TODAY - timedelta(days=day), time(7), UTC), 1800))
        )
        settled_at = datetime.now(UTC) - timedelta(minutes=5)
        os.utime(path, (settled_at.timestamp(), settled_at.timestamp()))
    queue = worker.huey
    queue.flush()
    try:
        added = import_tasks.scan_inbox.call_local()
        worker.replan_after(import_tasks.scan_inbox.s(), added, None)
        nothing_new = import_tasks.scan_inbox.call_local()
        worker.replan_after(import_tasks.scan_inbox.s(), nothing_new, None)
        queued = [(type(task).__name__, task.args) for task in queue.pending()]
    finally:
        queue.flush()
        process_context.cache_clear()
    assert sorted(p.name for p in (folder / "done").iterdir()) == ["ride-1.fit", "ride-2.fit"]
    assert (added, nothing_new) == ([ATHLETE], [])
    assert queued == [("replan_athlete", (ATHLETE,))]
