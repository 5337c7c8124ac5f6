"""Ask the coach: the week in prose and answers to questions from a language model when one
is configured (COACH_LLM_BASE_URL), otherwise the rule engine's own advice."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from fitcoach.coach import Narration, answer_question, grounding_numbers, narrate_week
from fitcoach.coach.narrator import MAX_QUESTION_CHARS
from fitcoach.files.narration import NarratorInput, narrator_input
from fitcoach.sync.overview import CoachInputs, coach_inputs, read_goal_history, week_rows
from fitcoach.web.page_common import app_state, login_required
from fitcoach.web.security import check_csrf, session_athlete
from fitcoach.web.templating import page

router = APIRouter()


def _page(
    request: Request,
    inputs: CoachInputs,
    narration: Narration,
    question: str = "",
    status_code: int = 200,
    policy_note: str | None = None,
) -> HTMLResponse:
    settings = app_state(request).settings
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


def _grounding(request: Request, athlete_id: int | None, inputs: CoachInputs) -> NarratorInput:
    """What the language model may see: by default numbers from the athlete's own files
    only (Strava's API policy, 5.3); the pages themselves show everything."""
    state = app_state(request)
    found = (
        None
        if athlete_id is None
        else narrator_input(
            state.sessions,
            athlete_id,
            inputs.today,
            allow_strava_data=state.settings.coach_llm_allow_strava_data,
        )
    )
    if found is not None:
        return found
    numbers = grounding_numbers(inputs.series, today=inputs.today, week=inputs.week)
    return NarratorInput(numbers, inputs.recommendations, (), None)


def _inputs(request: Request, athlete_id: int) -> CoachInputs | None:
    state = app_state(request)
    today = state.clock().date()
    with state.page_read() as connection:
        reads = read_goal_history(connection, athlete_id)
        week = week_rows(connection, athlete_id, today) if reads else []
    return None if reads is None else coach_inputs(reads, week, today)  # after the turn


@router.get("/coach", response_class=HTMLResponse)
def coach(request: Request) -> Response:
    athlete_id = session_athlete(request)
    inputs = None if athlete_id is None else _inputs(request, athlete_id)
    if inputs is None:
        return login_required(request)
    settings = app_state(request).settings
    grounding = _grounding(request, athlete_id, inputs)
    narration = narrate_week(
        grounding.numbers,
        grounding.recommendations,
        base_url=settings.coach_llm_base_url or None,
        model=settings.coach_llm_model,
        api_key=settings.coach_llm_api_key or None,
    )
    return _page(request, inputs, narration, policy_note=grounding.note)


@router.post("/coach", response_class=HTMLResponse)
def ask(request: Request, csrf: str = Form(""), question: str = Form("")) -> Response:
    check_csrf(request, csrf)
    athlete_id = session_athlete(request)
    inputs = None if athlete_id is None else _inputs(request, athlete_id)
    if inputs is None:
        return login_required(request)
    settings = app_state(request).settings
    grounding = _grounding(request, athlete_id, inputs)
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
        inputs,
        narration,
        question=question[:MAX_QUESTION_CHARS],
        policy_note=grounding.note,
    )
