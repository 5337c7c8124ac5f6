"""Best efforts and thresholds over MCP, through the SDK's client over HTTP: the curves
stored with the athlete's own activities, the bests of a period with the activity each came
from, and the estimates of the Thresholds page; a Strava activity's curve stays out unless
the operator's policy lets it in."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from mcp import Client
from sqlalchemy import select
from sqlalchemy.engine import URL

from fitcoach.activities.repository import replace_curves
from fitcoach.athletes.thresholds import athlete_settings, coach_activity, entries_of, resolved_on
from fitcoach.core.db import transaction
from fitcoach.mcp.effort_tools import LOOKBACK_DAYS, lookback_start, months_back
from fitcoach.models import Activity, ActivityCurve, Athlete
from tests.assistant.support import NOW, World, connected, run_async, serve
from tests.conftest import MovableClock, RunningServer

# A Strava ride's power, far above anything in the athlete's own files.
STRAVA_WATTS = 999.0


def _give_a_strava_ride_a_curve(world: World) -> int:
    with transaction(world.store.sessions) as session:
        ride = session.scalars(
            select(Activity).where(
                Activity.athlete_id == world.own, Activity.source == "strava_api"
            )
        ).first()
        assert ride is not None
        points = [[5.0, STRAVA_WATTS], [60.0, STRAVA_WATTS - 100], [300.0, STRAVA_WATTS - 300]]
        replace_curves(session, ride.id, world.own, ride.start_date, {"power": points})
        return ride.id


def _own_bests(world: World, kind: str, higher: bool) -> dict[float, tuple[float, int]]:
    """The best value at each key over the athlete's own stored curves, and its activity."""
    best: dict[float, tuple[float, int]] = {}
    with world.store.sessions() as session:
        rows = session.execute(
            select(ActivityCurve.activity_id, ActivityCurve.points)
            .join(Activity, Activity.id == ActivityCurve.activity_id)
            .where(
                ActivityCurve.athlete_id == world.own,
                ActivityCurve.kind == kind,
                Activity.source == "archive",
            )
        ).all()
    for activity_id, points in rows:
        for key, value in points:
            known = best.get(key)
            if known is None or (value > known[0] if higher else value < known[0]):
                best[key] = (value, activity_id)
    return best


OLD_MAX_HR = 205.0


def _an_old_run_with_the_highest_heart_rate(world: World) -> None:
    """A run of the athlete's own files ten months ago, before the estimates' look-back:
    the maximum heart rate is estimated from the whole history, so it still counts."""
    start = NOW - timedelta(days=300)
    with transaction(world.store.sessions) as session:
        session.add(
            Activity(
                athlete_id=world.own,
                name="Old hill run",
                sport_type="Run",
                start_date=start,
                start_date_local=start,
                moving_time_s=1800,
                elapsed_time_s=1800,
                distance_m=5000.0,
                max_heartrate=OLD_MAX_HR,
                average_heartrate=150.0,
                source="file",
                raw={},
            )
        )


def _full_history_thresholds(world: World) -> dict[str, float | None]:
    """Today's thresholds resolved from every own activity, as the pages resolve them."""
    with world.store.sessions() as session:
        athlete = session.get(Athlete, world.own)
        assert athlete is not None
        rows = session.scalars(
            select(Activity).where(
                Activity.athlete_id == world.own, Activity.source.in_(("file", "archive"))
            )
        ).all()
        # With the dated thresholds in force today, as the settings page shows them.
        resolved = resolved_on(
            athlete_settings(athlete),
            entries_of(session, athlete),
            [coach_activity(row) for row in rows],
            NOW.date(),
        )
    return {
        "ftp": resolved.ftp.value,
        "threshold_hr": resolved.threshold_hr.value,
        "threshold_pace": resolved.threshold_pace_s_per_km.value,
        "max_hr": resolved.max_hr.value,
    }


async def _efforts(client: Client) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for name, arguments in {
        "power": {"curve": "power", "period": "all"},
        "heart": {"curve": "heart_rate", "period": "90d"},
        "run": {"curve": "pace", "sport": "run", "period": "1y"},
        "thresholds": {},
    }.items():
        tool = "get_thresholds" if name == "thresholds" else "get_best_efforts"
        result = await client.call_tool(tool, arguments)
        assert not result.is_error, result.content
        answers[name] = result.structured_content
    for name, arguments in {
        "sport_on_power": {"curve": "power", "sport": "run"},
        "unknown_period": {"curve": "power", "period": "week"},
    }.items():
        answers[name] = await client.call_tool("get_best_efforts", arguments)
    return answers


def test_best_efforts_and_threshold_estimates_from_the_athletes_own_curves(
    world: World,
    world_url: URL,
    served: RunningServer,
    monkeypatch: pytest.MonkeyPatch,
    clock: MovableClock,
) -> None:
    strava_ride = _give_a_strava_ride_a_curve(world)
    _an_old_run_with_the_highest_heart_rate(world)
    token = world.token(world.own)

    async def session(server: RunningServer) -> dict[str, Any]:
        async with connected(server, token) as client:
            return await _efforts(client)

    answers = run_async(session, served)

    power = answers["power"]
    expected = _own_bests(world, "power", higher=True)
    assert expected, "the archive's rides have stored power curves"
    assert [e["duration_s"] for e in power["efforts"]] == sorted(expected)
    for effort in power["efforts"]:
        value, activity_id = expected[effort["duration_s"]]
        assert effort["value"] == round(value, 1) and effort["activity_id"] == activity_id
    assert STRAVA_WATTS not in {e["value"] for e in power["efforts"]}
    assert "Strava" in power["withheld"] and power["since"] is None
    assert next(e for e in power["efforts"] if e["duration_s"] == 60)["label"] == "1 min"

    heart = answers["heart"]
    assert heart["since"] == str(NOW.date() - timedelta(days=89)) and heart["efforts"]

    run = answers["run"]
    run_bests = _own_bests(world, "run_pace", higher=False)
    assert [e["distance_m"] for e in run["efforts"]] == sorted(run_bests)
    for effort in run["efforts"]:
        seconds = run_bests[effort["distance_m"]][0]
        assert effort["pace"] == pytest.approx(seconds / effort["distance_m"] * 1000, abs=0.06)

    thresholds = answers["thresholds"]
    months = {
        day.replace(day=1).isoformat()
        for day in (NOW.date() - timedelta(days=n) for n in range(11))
    }
    assert thresholds["ftp_by_month"] and {m["month"] for m in thresholds["ftp_by_month"]} <= months
    cp = thresholds["critical_power"]
    assert cp is not None and cp["efforts"] >= 3
    # CP lies below the best 2-minute power and above the best 20-minute's share of it.
    assert cp["critical"] < expected[120.0][0]
    assert "history" not in thresholds
    # Today's estimates read only the look-back's rows and the highest heart rate of all:
    # the same values as from every activity.
    today = {t["name"]: t["value"] for t in thresholds["today"]["thresholds"]}
    full = _full_history_thresholds(world)
    assert today["max_hr"] == OLD_MAX_HR
    for name, value in full.items():
        assert today[name] == (None if value is None else round(value, 1)), name

    assert answers["sport_on_power"].is_error
    assert "run and swim" in answers["sport_on_power"].content[0].text
    assert answers["unknown_period"].is_error

    # An operator whose agreement allows it lets Strava's data in: its ride is the best.
    allowed = serve(world_url, monkeypatch, clock, COACH_LLM_ALLOW_STRAVA_DATA="true")
    try:
        opened = run_async(session, allowed)
    finally:
        allowed.stop()
    five = next(e for e in opened["power"]["efforts"] if e["duration_s"] == 5)
    assert five["value"] == STRAVA_WATTS and five["activity_id"] == strava_ride
    assert opened["power"]["withheld"] is None


def test_the_look_back_starts_at_midnight_where_the_athlete_is() -> None:
    # Sydney, 30 November: the estimates look back to 3 June, local days. A run at 06:00
    # on 3 June there started at 20:00 UTC on 2 June, before UTC's midnight of 3 June.
    sydney = ZoneInfo("Australia/Sydney")
    today = date(2026, 11, 30)
    early_run = datetime(2026, 6, 3, 6, tzinfo=sydney)
    assert early_run.date() - today == timedelta(days=-LOOKBACK_DAYS)
    assert early_run.astimezone(UTC) >= lookback_start(today, sydney)
    assert early_run.astimezone(UTC) < lookback_start(today, UTC)
    # The months of FTP estimates begin on the 1st where the athlete is, too.
    first_of_june = datetime(2026, 6, 1, 7, tzinfo=sydney)
    assert months_back(today, sydney) <= first_of_june < months_back(today, UTC)
