"""What the settings page shows: the form as last saved, and the thresholds in use with
their unit and source."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal, Protocol

from fitcoach.coach import GoalEvent, ResolvedThresholds
from fitcoach.coach.thresholds import SETTING
from fitcoach.models import Athlete, LoadRecompute


class GoalFields(Protocol):
    """What ``goal_of`` reads: an ``Athlete``, or a row with these columns."""

    @property
    def goal_event_name(self) -> str | None: ...
    @property
    def goal_event_date(self) -> date | None: ...
    @property
    def goal_event_priority(self) -> str | None: ...


@dataclass(frozen=True)
class ThresholdLine:
    key: str
    label: str
    value: str
    source: str
    is_setting: bool


def threshold_lines(resolved: ResolvedThresholds) -> tuple[ThresholdLine, ...]:
    """Each threshold formatted with its unit and where the value came from."""

    def pace(seconds: float | None, unit: str) -> str:
        if seconds is None:
            return "unknown"
        whole = round(seconds)
        return f"{whole // 60}:{whole % 60:02d} {unit}"

    def number(value: float | None, unit: str) -> str:
        return "unknown" if value is None else f"{value:.0f} {unit}"

    items = (
        ("ftp", "FTP", number(resolved.ftp.value, "W"), resolved.ftp.source),
        (
            "threshold_hr",
            "Threshold heart rate",
            number(resolved.threshold_hr.value, "bpm"),
            resolved.threshold_hr.source,
        ),
        (
            "threshold_pace",
            "Threshold run pace",
            pace(resolved.threshold_pace_s_per_km.value, "/km"),
            resolved.threshold_pace_s_per_km.source,
        ),
        (
            "swim_pace",
            "Threshold swim pace",
            pace(resolved.swim_threshold_pace_s_per_100m.value, "/100 m"),
            resolved.swim_threshold_pace_s_per_100m.source,
        ),
        (
            "max_hr",
            "Maximum heart rate",
            number(resolved.max_hr.value, "bpm"),
            resolved.max_hr.source,
        ),
        (
            "resting_hr",
            "Resting heart rate",
            number(resolved.resting_hr.value, "bpm"),
            resolved.resting_hr.source,
        ),
    )
    return tuple(ThresholdLine(k, label, v, s, s == SETTING) for k, label, v, s in items)


def _pace_text(seconds: float | None) -> str:
    if seconds is None:
        return ""
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def _text(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def settings_form(athlete: Athlete) -> dict[str, str]:
    """The form's fields as the athlete last saved them."""
    return {
        "ftp_watts": _text(athlete.ftp_watts),
        "threshold_hr": _text(athlete.threshold_hr),
        "threshold_pace": _pace_text(athlete.threshold_pace_s_per_km),
        "max_hr": _text(athlete.max_hr),
        "resting_hr": _text(athlete.resting_hr),
        "sex": athlete.sex or "",
        "weight_kg": _text(athlete.weight_kg),
        "goal_event_name": athlete.goal_event_name or "",
        "goal_event_date": athlete.goal_event_date.isoformat() if athlete.goal_event_date else "",
        "goal_event_priority": athlete.goal_event_priority or "A",
    }


def goal_of(athlete: GoalFields) -> GoalEvent | None:
    """The athlete's goal event, when they set one."""
    if not (athlete.goal_event_name and athlete.goal_event_date):
        return None
    priority: Literal["A", "B", "C"] = "A"
    if athlete.goal_event_priority == "B":
        priority = "B"
    elif athlete.goal_event_priority == "C":
        priority = "C"
    return GoalEvent(athlete.goal_event_name, athlete.goal_event_date, priority)


@dataclass(frozen=True)
class RecomputeView:
    """A load recompute as the settings page shows it, in words and in numbers."""

    since: date | None
    total: int | None
    done: int
    finished: bool
    text: str

    def as_json(self) -> dict[str, object]:
        return {
            "since": None if self.since is None else self.since.isoformat(),
            "total": self.total,
            "done": self.done,
            "finished": self.finished,
            "text": self.text,
        }


def recompute_view(row: LoadRecompute | None) -> RecomputeView | None:
    """The athlete's latest recompute in words (None: there was none)."""
    if row is None:
        return None
    since = row.since
    scope = "every activity" if since is None else f"activities from {since.day} {since:%B %Y} on"
    if row.finished_at is not None:
        text = (
            f"Loads recomputed for {scope}: {row.done} of {row.total or 0} done "
            f"at {row.finished_at:%H:%M} UTC."
        )
    elif row.total is None:
        text = f"Recomputing loads for {scope}: waiting for the worker to start…"
    else:
        text = f"Recomputing loads for {scope}: {row.done} of {row.total} done…"
    return RecomputeView(row.since, row.total, row.done, row.finished_at is not None, text)
