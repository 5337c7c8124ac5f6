"""Migration 0018 packs the stored plan versions' documents and unpacks them going back:
a version stored before it still loads as the same plan after it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from sqlalchemy import text
from sqlalchemy.engine import URL

from fitcoach import migrations
from fitcoach.coach import AthleteThresholds, Availability, GoalEvent, PlanRequest, plan_training
from fitcoach.core.db import make_engine, session_factory
from fitcoach.planning.codec import plan_json, plan_of, unpack
from fitcoach.planning.repository import latest_version

BEFORE = "0017_mcp_tokens"


def test_plan_documents_are_packed_and_unpacked(database_url: URL) -> None:
    plan = plan_training(
        PlanRequest(
            today=date(2026, 3, 2),
            ctl=40.0,
            atl=45.0,
            thresholds=AthleteThresholds(ftp=250.0, threshold_hr=165.0),
            availability=Availability.of({"tue": 1, "thu": 1, "sat": 3}),
            goal=GoalEvent("Race", date(2026, 5, 3), "B", "ride"),
        )
    )
    engine = make_engine(database_url)
    try:
        migrations.upgrade(engine, BEFORE)
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO athletes (id, firstname, lastname, session_version)"
                    " VALUES (7, '', '', 1)"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO plan_versions (athlete_id, version, as_of, made_at, cause, note,"
                    " changes, document) VALUES (7, 1, :as_of, :made, 'goal', '', :changes, :doc)"
                ),
                {
                    "as_of": plan.as_of,
                    "made": datetime(2026, 3, 2, 6, tzinfo=UTC),
                    "changes": "[]",
                    "doc": json.dumps(plan_json(plan)),
                },
            )
        migrations.upgrade(engine)
        with session_factory(engine)() as session:
            stored = latest_version(session, 7)
            assert stored is not None
            assert plan_of(unpack(stored.packed_document)) == plan
            assert len(stored.packed_document) < len(json.dumps(plan_json(plan))) / 5
        migrations.downgrade(engine, BEFORE)
        with engine.connect() as connection:
            document = connection.execute(text("SELECT document FROM plan_versions")).scalar_one()
        loaded = json.loads(document) if isinstance(document, str) else document
        assert plan_of(loaded) == plan
    finally:
        engine.dispose()
