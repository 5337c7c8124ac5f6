"""What the language-model narrator may be given, under Strava's 2026 API policy.

Section 5.3 forbids using Strava Data in the operation of an AI application, including
"ingestion into a context window". So by default the narrator's numbers and the rule
findings it explains are computed only from the athlete's own files and archive (and
the loads fitcoach derived from them); ``COACH_LLM_ALLOW_STRAVA_DATA=true`` widens that
to everything stored. The rule engine on the pages keeps using everything either way.

The athlete's own assistant, connected through the MCP server (``fitcoach.mcp``), is a
language model too: it asks ``allowed_sources`` and ``withheld_note`` here, so the rule is
written once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session, sessionmaker

from fitcoach.activities.queries import Reader, daily_load_history, holds_api_data, week_rows
from fitcoach.athletes.repository import get_athlete
from fitcoach.athletes.views import goal_of
from fitcoach.coach import Recommendation, recommend
from fitcoach.coach.recommendations import Number
from fitcoach.dashboard.queries import compared_since
from fitcoach.dashboard.views import week_summary
from fitcoach.models import OWN_SOURCES, Source
from fitcoach.narrator.client import grounding_numbers


def allowed_sources(*, allow_strava_data: bool) -> tuple[Source, ...]:
    """The activity sources a language model may be given numbers from."""
    return (*OWN_SOURCES, Source.STRAVA_API) if allow_strava_data else OWN_SOURCES


def strava_data_withheld(reader: Reader, athlete_id: int, *, allow_strava_data: bool) -> bool:
    """Whether the policy kept some of this athlete's stored data from the model."""
    return not allow_strava_data and holds_api_data(reader, athlete_id)


# What a model's answer says when it was computed without the athlete's Strava data.
WITHHELD = (
    "Strava's API terms do not allow Strava data to be sent to a language model, so "
    "activities that came from Strava's API were left out; only the athlete's own files "
    "and archive were used."
)


@dataclass(frozen=True)
class NarratorInput:
    """The numbers and findings to hand to ``narrate_week``/``answer_question``.

    ``sources`` says which data they were computed from; ``note`` tells the athlete when
    the narrator sees less than the pages show.
    """

    numbers: dict[str, Number]
    recommendations: tuple[Recommendation, ...]
    sources: tuple[str, ...]
    note: str | None


def narrator_input(
    sessions: sessionmaker[Session], athlete_id: int, today: date, *, allow_strava_data: bool
) -> NarratorInput | None:
    """The narrator's grounding for this athlete, from the sources policy allows; None for
    an unknown athlete."""
    sources = allowed_sources(allow_strava_data=allow_strava_data)
    with sessions() as session:
        athlete = get_athlete(session, athlete_id)
        if athlete is None:
            return None
        goal = goal_of(athlete)
        series = daily_load_history(session, athlete_id, sources).series_until(today)
        week = week_summary(week_rows(session, athlete_id, compared_since(today), sources), today)
        withheld = strava_data_withheld(session, athlete_id, allow_strava_data=allow_strava_data)
    numbers = grounding_numbers(series, today=today, week=week)
    findings = recommend(series, today=today, goal=goal)
    note = (
        "The written advice uses only the activities from your own files: Strava's API "
        "terms do not allow Strava data to be sent to a language model."
        if withheld
        else None
    )
    return NarratorInput(numbers, findings, tuple(str(source) for source in sources), note)
