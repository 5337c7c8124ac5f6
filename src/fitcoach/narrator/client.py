"""Optional prose from a language model, grounded only in the computed numbers.

Any OpenAI-compatible ``/v1/chat/completions`` endpoint will do. The model sees the
athlete's derived numbers and the rule engine's findings, nothing else: no tokens, no names,
no ids. When there is no endpoint, or it is slow, failing or answers nonsense, the caller
gets the rule engine's own text and a note saying why; these functions never raise.
"""

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import httpx

from fitcoach.coach.performance import PerformanceSeries, daily_numbers
from fitcoach.coach.recommendations import Number, Recommendation
from fitcoach.coach.summaries import PeriodSummary

DEFAULT_TIMEOUT_S = 20.0
MAX_QUESTION_CHARS = 1000

# Keys that could carry an identity or a secret never reach the model, whatever the caller
# puts in the numbers.
_BLOCKED_KEY_PARTS = (
    "token",
    "secret",
    "password",
    "api_key",
    "apikey",
    "email",
    "name",
    "athlete",
    "user",
    "owner",
    "cookie",
    "session",
)

_SYSTEM_PROMPT = (
    "You are fitcoach, a concise endurance-sport coach. Use only the numbers and findings in "
    "the JSON you are given; never invent a number, a workout history or a fact that is not "
    "there, and say so when the data cannot answer. Meanings: load is on the TSS scale (one "
    "hour at threshold = 100); ctl is fitness (42-day exponential average of daily load), "
    "atl is fatigue (7-day), tsb is form on the morning of the day (yesterday's ctl − atl); "
    "ramp_rate is the change in ctl over 7 days. The findings come from a rule engine and "
    "are correct: explain and prioritise them, do not contradict them. Write plain language "
    "for an amateur athlete, no tables, at most 200 words."
)


@dataclass(frozen=True)
class Narration:
    """Advice or an answer; ``source`` says who wrote it, ``note`` why the rules stood in,
    ``grounding`` is exactly the data the model was (or would have been) given."""

    text: str
    source: Literal["narrator", "rules"]
    note: str | None
    grounding: Mapping[str, Any]


def grounding_numbers(
    series: PerformanceSeries, *, today: date, week: PeriodSummary | None = None
) -> dict[str, Number]:
    """The compact set of derived numbers the narrator is given about the athlete."""
    day = daily_numbers(series).on(today)  # the morning's numbers, as the pages show them
    numbers: dict[str, Number] = {
        "date": today.isoformat(),
        "ctl": round(day.ctl, 1),
        "atl": round(day.atl, 1),
        "tsb": round(day.tsb, 1),
        "ramp_rate": round(day.ramp, 1),
        "load_today": round(day.load, 1),
    }
    if week is not None:
        numbers["week_start"] = week.start.isoformat()
        for summary in (week.total, *week.sports):
            prefix = f"week_{summary.sport}"
            numbers[f"{prefix}_count"] = round(summary.current.count)
            numbers[f"{prefix}_hours"] = round(summary.current.moving_time_s / 3600, 1)
            numbers[f"{prefix}_km"] = round(summary.current.distance_m / 1000, 1)
            numbers[f"{prefix}_load"] = round(summary.current.load, 1)
            numbers[f"{prefix}_avg_load_prev_{week.compared_periods}w"] = round(
                summary.recent_average.load, 1
            )
    return numbers


def narrate_week(
    numbers: Mapping[str, Number],
    recommendations: Sequence[Recommendation],
    *,
    base_url: str | None,
    model: str,
    api_key: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> Narration:
    """This week's advice in prose, or the rule engine's text with a note why."""
    task = (
        "Write this week's coaching advice: what the numbers say about fitness, fatigue and "
        "form, and what to do over the next days, following the findings in order."
    )
    return _narrate(task, numbers, recommendations, base_url, model, api_key, timeout_s)


def answer_question(
    question: str,
    numbers: Mapping[str, Number],
    recommendations: Sequence[Recommendation],
    *,
    base_url: str | None,
    model: str,
    api_key: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> Narration:
    """The athlete's question answered from the numbers, or the rule engine's text instead."""
    question = question.strip()
    if not question:
        grounding = _grounding(numbers, recommendations)
        return _rules(recommendations, grounding, "the question was empty")
    task = f"Answer the athlete's question: {question[:MAX_QUESTION_CHARS]}"
    return _narrate(task, numbers, recommendations, base_url, model, api_key, timeout_s)


def _narrate(
    task: str,
    numbers: Mapping[str, Number],
    recommendations: Sequence[Recommendation],
    base_url: str | None,
    model: str,
    api_key: str | None,
    timeout_s: float,
) -> Narration:
    grounding = _grounding(numbers, recommendations)
    if not base_url:
        return _rules(recommendations, grounding, "no language model is configured")
    body = {
        "model": model,
        "temperature": 0.2,
        "messages": [
            {"role": "system", "content": _SYSTEM_PROMPT},
            {
                "role": "user",
                "content": f"Data:\n{json.dumps(grounding, ensure_ascii=False)}\n\n{task}",
            },
        ],
    }
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        response = httpx.post(_endpoint(base_url), json=body, headers=headers, timeout=timeout_s)
        response.raise_for_status()
        text = _content(response.json())
    except httpx.TimeoutException:
        return _rules(recommendations, grounding, f"the narrator timed out after {timeout_s:g} s")
    except httpx.HTTPStatusError as exc:
        status = exc.response.status_code
        return _rules(recommendations, grounding, f"the narrator answered HTTP {status}")
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        note = f"the narrator could not be reached ({type(exc).__name__})"
        return _rules(recommendations, grounding, note)
    except ValueError as exc:
        return _rules(recommendations, grounding, f"the narrator's answer was malformed: {exc}")
    return Narration(text, "narrator", None, grounding)


def _endpoint(base_url: str) -> str:
    base = base_url.rstrip("/")
    return f"{base}/chat/completions" if base.endswith("/v1") else f"{base}/v1/chat/completions"


def _content(payload: object) -> str:
    # Everything that can be missing is checked: a ValueError here becomes the note.
    choices = payload.get("choices") if isinstance(payload, dict) else None
    if not isinstance(choices, list) or not choices:
        raise ValueError("no choices")
    message = choices[0].get("message") if isinstance(choices[0], dict) else None
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, str) or not content.strip():
        raise ValueError("no message content")
    return content.strip()


def _grounding(
    numbers: Mapping[str, Number], recommendations: Sequence[Recommendation]
) -> dict[str, Any]:
    return {
        "numbers": _clean(numbers),
        "findings": [
            {
                "kind": r.kind.value,
                "severity": r.severity.value,
                "title": r.title,
                "text": r.text,
                "numbers": _clean(r.numbers),
            }
            for r in recommendations
        ],
    }


def _clean(numbers: Mapping[str, Number]) -> dict[str, Number]:
    clean: dict[str, Number] = {}
    for key, value in numbers.items():
        lowered = key.lower()
        if (
            lowered == "id"
            or lowered.endswith("_id")
            or any(part in lowered for part in _BLOCKED_KEY_PARTS)
        ):
            continue
        if isinstance(value, float) and not math.isfinite(value):
            continue
        if isinstance(value, bool | int | float | str):
            clean[key] = value
    return clean


def rules_narration(
    numbers: Mapping[str, Number], recommendations: Sequence[Recommendation], why: str
) -> Narration:
    """The rule engine's own advice, from these numbers and findings, with why it stands in."""
    return _rules(recommendations, _grounding(numbers, recommendations), why)


def _rules(
    recommendations: Sequence[Recommendation], grounding: Mapping[str, Any], why: str
) -> Narration:
    if recommendations:
        text = "\n\n".join(f"{r.title}. {r.text}" for r in recommendations)
    else:
        text = "No findings: there is not enough data for advice yet."
    note = f"Written by the rule engine: {why}."
    return Narration(text, "rules", note, grounding)
