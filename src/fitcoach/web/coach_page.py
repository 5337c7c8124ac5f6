"""Ask the coach: the week in prose and answers to questions from a language model when one
is configured (COACH_LLM_BASE_URL), otherwise the rule engine's own advice."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from fitcoach.coach import Narration, answer_question, grounding_numbers, narrate_week
from fitcoach.coach.narrator import MAX_QUESTION_CHARS
from fitcoach.sync.overview import CoachInputs, coach_inputs
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
    )


def _inputs(request: Request, athlete_id: int) -> CoachInputs | None:
    state = app_state(request)
    return coach_inputs(state.sessions, athlete_id, state.clock().date())


@router.get("/coach", response_class=HTMLResponse)
def coach(request: Request) -> Response:
    athlete_id = session_athlete(request)
    inputs = None if athlete_id is None else _inputs(request, athlete_id)
    if inputs is None:
        return login_required(request)
    settings = app_state(request).settings
    numbers = grounding_numbers(inputs.series, today=inputs.today, week=inputs.week)
    narration = narrate_week(
        numbers,
        inputs.recommendations,
        base_url=settings.coach_llm_base_url or None,
        model=settings.coach_llm_model,
        api_key=settings.coach_llm_api_key or None,
    )
    return _page(request, inputs, narration)


@router.post("/coach", response_class=HTMLResponse)
def ask(request: Request, csrf: str = Form(""), question: str = Form("")) -> Response:
    check_csrf(request, csrf)
    athlete_id = session_athlete(request)
    inputs = None if athlete_id is None else _inputs(request, athlete_id)
    if inputs is None:
        return login_required(request)
    settings = app_state(request).settings
    numbers = grounding_numbers(inputs.series, today=inputs.today, week=inputs.week)
    narration = answer_question(
        question,
        numbers,
        inputs.recommendations,
        base_url=settings.coach_llm_base_url or None,
        model=settings.coach_llm_model,
        api_key=settings.coach_llm_api_key or None,
    )
    return _page(request, inputs, narration, question=question[:MAX_QUESTION_CHARS])
