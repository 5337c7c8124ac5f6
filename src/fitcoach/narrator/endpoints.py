"""Ask the coach: the week in prose and answers to questions from a language model when one
is configured (COACH_LLM_BASE_URL), otherwise the rule engine's own advice."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from fitcoach.activities.queries import week_rows
from fitcoach.core.settings import Settings
from fitcoach.dashboard.queries import compared_since, read_goal_history
from fitcoach.dashboard.views import CoachInputs, coach_inputs
from fitcoach.narrator.client import (
    MAX_QUESTION_CHARS,
    Narration,
    answer_question,
    grounding_numbers,
    narrate_week,
)
from fitcoach.narrator.policy import NarratorInput, narrator_input
from fitcoach.web.deps import AppSettings, Now, OptionalAthlete, PageReads, Sessions
from fitcoach.web.page_common import login_required
from fitcoach.web.security import check_csrf
from fitcoach.web.templating import page

router = APIRouter()


def _page(
    request: Request,
    settings: Settings,
    inputs: CoachInputs,
    narration: Narration,
    question: str = "",
    status_code: int = 200,
    policy_note: str | None = None,
) -> HTMLResponse:
    return page(
        request,
        "coach.html",
        status_code=status_code,
        inputs=inputs,
        narration=narration,
        question=question,
        configured=bool(settings.coach_llm_base_url),
        max_question=MAX_QUESTION_CHARS,
        nav="coach",
        policy_note=policy_note,
    )


def _grounding(
    sessions: Sessions, settings: Settings, athlete_id: int, inputs: CoachInputs
) -> NarratorInput:
    """What the language model may see: by default numbers from the athlete's own files
    only (Strava's API policy, 5.3); the pages themselves show everything."""
    found = narrator_input(
        sessions,
        athlete_id,
        inputs.today,
        allow_strava_data=settings.coach_llm_allow_strava_data,
    )
    if found is not None:
        return found
    numbers = grounding_numbers(inputs.series, today=inputs.today, week=inputs.week)
    return NarratorInput(numbers, inputs.recommendations, (), None)


def _inputs(reader: PageReads, athlete_id: int, now: datetime) -> CoachInputs | None:
    today = now.date()
    with reader.turn() as connection:
        reads = read_goal_history(connection, athlete_id)
        week = week_rows(connection, athlete_id, compared_since(today)) if reads else []
    return None if reads is None else coach_inputs(reads, week, today)  # after the turn


@router.get("/coach", response_class=HTMLResponse)
def coach(
    request: Request,
    athlete_id: OptionalAthlete,
    reader: PageReads,
    sessions: Sessions,
    settings: AppSettings,
    now: Now,
) -> Response:
    inputs = None if athlete_id is None else _inputs(reader, athlete_id, now)
    if athlete_id is None or inputs is None:
        return login_required(request)
    grounding = _grounding(sessions, settings, athlete_id, inputs)
    narration = narrate_week(
        grounding.numbers,
        grounding.recommendations,
        base_url=settings.coach_llm_base_url or None,
        model=settings.coach_llm_model,
        api_key=settings.coach_llm_api_key or None,
    )
    return _page(request, settings, inputs, narration, policy_note=grounding.note)


@router.post("/coach", response_class=HTMLResponse)
def ask(
    request: Request,
    athlete_id: OptionalAthlete,
    reader: PageReads,
    sessions: Sessions,
    settings: AppSettings,
    now: Now,
    csrf: Annotated[str, Form()] = "",
    question: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    inputs = None if athlete_id is None else _inputs(reader, athlete_id, now)
    if athlete_id is None or inputs is None:
        return login_required(request)
    grounding = _grounding(sessions, settings, athlete_id, inputs)
    narration = answer_question(
        question,
        grounding.numbers,
        grounding.recommendations,
        base_url=settings.coach_llm_base_url or None,
        model=settings.coach_llm_model,
        api_key=settings.coach_llm_api_key or None,
    )
    return _page(
        request,
        settings,
        inputs,
        narration,
        question=question[:MAX_QUESTION_CHARS],
        policy_note=grounding.note,
    )
