"""The plan over HTTP: the goal form (errors named per field, nothing saved), the plan
page, a session's page, its .fit (read back with fitdecode) and .zwo files, the calendar
feed (one event per planned session, a secret that rotates), GET /api/plan, and the CLI."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import fitdecode
import icalendar
import pytest
from sqlalchemy.engine import URL

from fitcoach.coach import Repeat
from fitcoach.planning import service
from tests.planning.plan_support import ATHLETE, GOAL_FORM, TODAY, PlanSite, plan_site


@pytest.fixture
def site(sqlite_url: URL) -> Iterator[PlanSite]:
    yield from plan_site(sqlite_url)


def fit_steps(data: bytes) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    file_id: dict[str, Any] = {}
    steps: list[dict[str, Any]] = []
    with fitdecode.FitReader(io.BytesIO(data)) as reader:
        for frame in reader:
            if isinstance(frame, fitdecode.FitDataMessage):
                fields = {f.name: f.value for f in frame.fields}
                if frame.name == "file_id":
                    file_id = fields
                elif frame.name == "workout_step":
                    steps.append(fields)
    return file_id, steps


def test_the_goal_form_names_bad_fields_and_saves_nothing(site: PlanSite) -> None:
    page = site.client.get("/plan")
    assert page.status_code == 200 and "Make my plan" in page.text
    bad = {**GOAL_FORM, "goal_date": "2026-02-30", "hours_sat": "30", "goal_priority": "Z"}
    answer = site.post("/plan/goal", sports="ride", **bad)
    assert answer.status_code == 400
    for message in ("YYYY-MM-DD", "Saturday: hours from 0 to 24", "A, B or C"):
        assert message in answer.text
    none = site.post("/plan/goal", **GOAL_FORM)  # no sport chosen
    assert none.status_code == 400 and "Choose one or more" in none.text
    with site.sessions() as session:
        assert service.repository.plan_of(session, ATHLETE) is None
    assert site.client.get("/api/plan").status_code == 404


def test_a_goal_gives_a_plan_page_files_a_feed_and_the_api(site: PlanSite) -> None:
    made = site.post("/plan/goal", sports="ride", **GOAL_FORM)
    assert made.status_code == 303 and made.headers["location"] == "/plan"
    page = site.client.get("/plan").text
    assert "Toward Spring 100" in page and "Plan version 1 made" in page
    assert "Race-day form (TSB) planned at" in page and "Target load" in page

    document = site.client.get(
        "/api/plan",
        params={"from": TODAY.isoformat(), "to": (TODAY + timedelta(days=13)).isoformat()},
    ).json()
    assert document["days"][0]["date"] == TODAY.isoformat()
    assert len(document["days"]) == 14
    workouts = [w for d in document["days"] for w in d["workouts"]]
    assert workouts and all(w["status"] == "upcoming" for w in workouts)
    first = workouts[0]
    assert set(first) >= {
        "id",
        "sport",
        "name",
        "steps",
        "planned_load",
        "planned_duration_s",
        "status",
        "compliance",
    }
    assert first["why"] and first["planned_load"] > 0

    # The session's page, its files.
    assert site.client.get(f"/plan/workouts/{first['id']}").status_code == 200
    with site.sessions() as session:
        detail = service.workout_detail(session, ATHLETE, first["id"])
    fit = site.client.get(f"/plan/workouts/{first['id']}.fit")
    assert fit.status_code == 200 and "attachment" in fit.headers["content-disposition"]
    file_id, steps = fit_steps(fit.content)
    assert file_id["type"] == "workout"
    expected = sum(
        len(b.steps) + 1 if isinstance(b, Repeat) else 1 for b in detail.day.workout.blocks
    )
    assert len(steps) == expected
    names = [
        s.get("wkt_step_name")
        for s in steps
        if s.get("duration_type") != "repeat_until_steps_cmplt"
    ]
    flat = [
        step.name[:40]
        for b in detail.day.workout.blocks
        for step in (b.steps if isinstance(b, Repeat) else (b,))
    ]
    assert names == flat
    zwo = site.client.get(f"/plan/workouts/{first['id']}.zwo")
    assert zwo.status_code == 200
    root = ET.fromstring(zwo.text)
    assert root.tag == "workout_file" and len(root.find("workout") or []) > 0

    # The feed: the address on the page, one event per planned session, then rotated.
    with site.sessions() as session:
        token = service.feed_token(session, ATHLETE)
        planned = len(service.repository.workouts_of(session, ATHLETE))
    assert f"http://testserver/calendar/{token}.ics" in page
    site.client.cookies.clear()  # a calendar app carries no login
    feed = site.client.get(f"/calendar/{token}.ics")
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    events = icalendar.Calendar.from_ical(feed.content).walk("VEVENT")
    assert len(events) == planned
    assert site.client.get(f"/plan/workouts/{first['id']}.fit").status_code == 401
    assert site.client.get("/api/plan").status_code == 401
    assert site.client.get("/calendar/not-a-token.ics").status_code == 404


def test_skip_and_move_from_the_page_replan_and_refuse_bad_days(site: PlanSite) -> None:
    site.post("/plan/goal", sports="ride", **GOAL_FORM)
    document = site.client.get("/api/plan").json()
    sessions = [w for d in document["days"] for w in d["workouts"]]
    skipped = site.post(f"/plan/workouts/{sessions[0]['id']}/skip")
    assert skipped.status_code == 303
    page = site.client.get("/plan").text
    assert "Skipped. Plan version 2" in page and "you skipped the" in page
    bad = site.post(f"/plan/workouts/{sessions[1]['id']}/move", to_day="yesterday")
    assert bad.status_code == 400
    past = site.post(
        f"/plan/workouts/{sessions[1]['id']}/move", to_day=(TODAY - timedelta(days=3)).isoformat()
    )
    assert past.status_code == 400
    assert site.client.get("/api/plan").json()["version"] == 2
    moved = site.post(
        f"/plan/workouts/{sessions[1]['id']}/move", to_day=(TODAY + timedelta(days=4)).isoformat()
    )
    assert moved.status_code == 303
    after = site.client.get("/api/plan").json()
    friday = next(d for d in after["days"] if d["date"] == (TODAY + timedelta(days=4)).isoformat())
    assert friday["workouts"] and friday["workouts"][0]["locked"]
    assert site.post("/plan/workouts/999999/skip").status_code == 404


def test_the_cli_sets_a_goal_and_shows_the_api_document(
    site: PlanSite,
    sqlite_url: URL,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from fitcoach.cli import main

    monkeypatch.setenv("DATABASE_URL", sqlite_url.render_as_string(hide_password=False))
    # The CLI plans from the real today: the goal lies ahead of it.
    day = (datetime.now(UTC).date() + timedelta(weeks=20)).isoformat()
    code = main(
        [
            "plan",
            "set-goal",
            "--athlete",
            str(ATHLETE),
            "--date",
            day,
            "--priority",
            "B",
            "--hours",
            "8",
            "--sport",
            "Run",
        ]
    )
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "plan version 1" in out.out
    assert main(["plan", "show", "--athlete", str(ATHLETE), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["goal"]["date"] == day and document["goal"]["priority"] == "B"
    assert document["goal"]["sport"] == "run"
    assert document["days"][-1]["date"] == day
    assert (
        main(["plan", "set-goal", "--athlete", str(ATHLETE), "--date", "someday", "--hours", "8"])
        == 1
    )
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_the_calendar_shows_the_planned_sessions_beside_what_was_done(site: PlanSite) -> None:
    site.post("/plan/goal", sports="ride", **GOAL_FORM)
    page = site.client.get("/calendar", params={"month": f"{TODAY:%Y-%m}"})
    assert page.status_code == 200
    document = site.client.get(
        "/api/plan", params={"from": TODAY.isoformat(), "to": "2026-04-05"}
    ).json()  # the month's grid ends on Sunday 5 April
    ids = [w["id"] for d in document["days"] for w in d["workouts"]]
    assert ids
    for workout_id in ids:
        assert f'href="/plan/workouts/{workout_id}"' in page.text
    assert page.text.count('class="cal-planned"') == len(document["days"]) - sum(
        1 for d in document["days"] if not d["workouts"]
    )
    assert "Planned load" in page.text  # weeks still to come show their planned load


def test_replace_and_swap_from_the_session_page(site: PlanSite) -> None:
    site.post("/plan/goal", sports="ride", **GOAL_FORM)
    document = site.client.get("/api/plan").json()
    first, second = [w for d in document["days"] for w in d["workouts"]][:2]
    page = site.client.get(f"/plan/workouts/{first['id']}").text
    assert "Replace with" in page and f'<option value="{second["id"]}">' in page
    for bad in (
        {"workout_type": "juggling", "minutes": "60"},
        {"workout_type": "endurance", "minutes": "sixty"},
        {"workout_type": "endurance", "minutes": "7"},
    ):
        assert site.post(f"/plan/workouts/{first['id']}/replace", **bad).status_code == 400
    assert site.post(f"/plan/workouts/{first['id']}/swap", other="x").status_code == 400
    assert site.client.get("/api/plan").json()["version"] == 1
    swapped = site.post(f"/plan/workouts/{first['id']}/swap", other=str(second["id"]))
    assert swapped.status_code == 303
    days = {d["date"]: d["workouts"] for d in site.client.get("/api/plan").json()["days"]}
    first_day = next(d["date"] for d in document["days"] if first in d["workouts"])
    second_day = next(d["date"] for d in document["days"] if second in d["workouts"])
    assert days[first_day][0]["name"] == second["name"] and days[first_day][0]["locked"]
    assert days[second_day][0]["name"] == first["name"]
    target = days[first_day][0]["id"]
    replaced = site.post(f"/plan/workouts/{target}/replace", workout_type="recovery", minutes="30")
    assert replaced.status_code == 303
    after = site.client.get("/api/plan").json()
    shown = next(d for d in after["days"] if d["date"] == first_day)["workouts"][0]
    assert shown["type"] == "recovery" and shown["planned_duration_s"] == 1800
    assert after["version"] == 3
