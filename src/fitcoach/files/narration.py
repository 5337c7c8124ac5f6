"""What the language-model narrator may be given, under Strava's 2026 API policy.

Section 5.3 forbids using Strava Data in the operation of an AI application, including
"ingestion into a context window". So by default the narrator's numbers and the rule
findings it explains are computed only from the athlete's own files and archive (and
the loads fitcoach derived from them); ``COACH_LLM_ALLOW_STRAVA_DATA=true`` widens that
to everything stored. The rule engine on the pages keeps using everything either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from fitcoach.coach import (
    Recommendation,
    grounding_numbers,
    recommend,
    weekly_summary,
)
from fitcoach.coach.recommendations import Number
from fitcoach.store.models import Activity, Athlete
from fitcoach.sync.loads import coach_activity
from fitcoach.sync.overview import COMPARE_WEEKS, compared_since, goal_of
from fitcoach.sync.retention import API, OWN_SOURCES, daily_load_history


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
    sources = (*OWN_SOURCES, API) if allow_strava_data else OWN_SOURCES
    with sessions() as session:
        athlete = session.get(Athlete, athlete_id)
        if athlete is None:
            return None
        series = daily_load_history(session, athlete_id, sources).series_until(today)
        rows = session.scalars(
            select(Activity).where(
                Activity.athlete_id == athlete_id,
                Activity.start_date >= compared_since(today),
                Activity.source.in_(sources),
            )
        ).all()
        week = weekly_summary(
            [coach_activity(row) for row in rows],
            [row.load or 0.0 for row in rows],
            week_of=today,
            compare_weeks=COMPARE_WEEKS,
        )
        withheld = not allow_strava_data and (
            session.scalar(
                select(Activity.id)
                .where(Activity.athlete_id == athlete_id, Activity.source == API)
                .limit(1)
            )
            is not None
        )
        goal = goal_of(athlete)
    numbers = grounding_numbers(series, today=today, week=week)
    findings = recommend(series, today=today, goal=goal)
    note = (
        "The written advice uses only the activities from your own files: Strava's API "
        "terms do not allow Strava data to be sent to a language model."
        if withheld
        else None
    )
    return NarratorInput(numbers, findings, tuple(sources), note)
