"""Ask the coach: the week in prose and answers to questions from a language model when one
is configured (COACH_LLM_BASE_URL), otherwise the rule engine's own advice.

The page works from everything the dashboard does (all the athlete's data). Only what is
sent to the language model follows the data policy (``narrator.policy``), and the page
says what the model saw and why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from fitcoach.activities.queries import week_rows
from fitcoach.athletes.local_day import athlete_today
from fitcoach.coach.recommendations import Number
from fitcoach.core.settings import Settings
from fitcoach.dashboard.queries import compared_since, read_goal_history
from fitcoach.dashboard.views import CoachInputs, coach_inputs
from fitcoach.narrator.client import (
    MAX_QUESTION_CHARS,
    Narration,
    answer_question,
    grounding_numbers,
    narrate_week,
    rules_narration,
)
from fitcoach.narrator.policy import NarratorInput, narrator_input
from fitcoach.web.deps import AppSettings, Now, OptionalAthlete, PageReads, Sessions
from fitcoach.web.page_common import login_required
from fitcoach.web.security import check_csrf
from fitcoach.web.templating import page

router = APIRouter()


@dataclass(frozen=True)
class CoachPage:
    """What the page shows: the numbers (all the athlete's data), the advice, and what a
    language model was given (None when none is configured)."""

    inputs: CoachInputs
    numbers: dict[str, Number]
    narration: Narration
    model_saw: NarratorInput | None


def _inputs(reader: PageReads, athlete_id: int, now: datetime) -> CoachInputs | None:
    with reader.turn() as connection:
        today = athlete_today(connection, athlete_id, now)
        reads = read_goal_history(connection, athlete_id)
        week = week_rows(connection, athlete_id, compared_since(today)) if reads else []
    return None if reads is None else coach_inputs(reads, week, today)  # after the turn


def _coach(
    sessions: Sessions,
    settings: Settings,
    athlete_id: int,
    inputs: CoachInputs,
    ask: Callable[[NarratorInput], Narration],
) -> CoachPage:
    """Ask the model with what policy lets it see; the rule engine answers from all the
    athlete's data when no model is configured or the model fails."""
    numbers = grounding_numbers(inputs.series, today=inputs.today, week=inputs.week)
    if not settings.coach_llm_base_url:
        why = "no language model is configured"
        return CoachPage(
            inputs, numbers, rules_narration(numbers, inputs.recommendations, why), None
        )
    allowed = narrator_input(
        sessions, athlete_id, inputs.today, allow_strava_data=settings.coach_llm_allow_strava_data
    )
    if allowed is None:  # deleted meanwhile
        allowed = NarratorInput(numbers, inputs.recommendations, (), None)
    narration = ask(allowed)
    if narration.source == "rules":
        why = (narration.note or "").removeprefix("Written by the rule engine: ").rstrip(".")
        narration = rules_narration(numbers, inputs.recommendations, why)
    return CoachPage(inputs, numbers, narration, allowed)


def _page(
    request: Request, settings: Settings, shown: CoachPage, question: str = ""
) -> HTMLResponse:
    return page(
        request,
        "coach.html",
        inputs=shown.inputs,
        numbers=shown.numbers,
        narration=shown.narration,
        model_saw=shown.model_saw,
        question=question,
        configured=bool(settings.coach_llm_base_url),
        max_question=MAX_QUESTION_CHARS,
        nav="coach",
    )


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

    def ask(seen: NarratorInput) -> Narration:
        return narrate_week(
            seen.numbers,
            seen.recommendations,
            base_url=settings.coach_llm_base_url or None,
            model=settings.coach_llm_model,
            api_key=settings.coach_llm_api_key or None,
        )

    return _page(request, settings, _coach(sessions, settings, athlete_id, inputs, ask))


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

    def answer(seen: NarratorInput) -> Narration:
        return answer_question(
            question,
            seen.numbers,
            seen.recommendations,
            base_url=settings.coach_llm_base_url or None,
            model=settings.coach_llm_model,
            api_key=settings.coach_llm_api_key or None,
        )

    shown = _coach(sessions, settings, athlete_id, inputs, answer)
    return _page(request, settings, shown, question=question[:MAX_QUESTION_CHARS])
