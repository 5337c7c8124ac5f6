"""The coaching settings form as a pydantic model: every field checked, every error in
plain words and named by its field, so a bad value saves nothing."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

PACE = re.compile(r"^\s*(\d{1,2}):([0-5]\d)\s*$")
FIELDS = (
    "ftp_watts",
    "threshold_hr",
    "threshold_pace",
    "max_hr",
    "resting_hr",
    "sex",
    "weight_kg",
    "goal_event_name",
    "goal_event_date",
    "goal_event_priority",
)
# Allowed ranges, and the unit the message names.
_RANGES = {
    "ftp_watts": (30.0, 2000.0, "watts"),
    "threshold_hr": (80.0, 230.0, "bpm"),
    "max_hr": (100.0, 240.0, "bpm"),
    "resting_hr": (25.0, 120.0, "bpm"),
    "weight_kg": (25.0, 300.0, "kg"),
}


def _refuse(message: str) -> PydanticCustomError:
    return PydanticCustomError("settings", message)


class SettingsForm(BaseModel):
    """Validated settings; None means "estimate it" (or no goal).

    Validate with ``context={"today": date}``: a goal must be today or later.
    """

    model_config = ConfigDict(frozen=True)

    ftp_watts: float | None = None
    threshold_hr: float | None = None
    threshold_pace: float | None = None  # seconds per km
    max_hr: float | None = None
    resting_hr: float | None = None
    sex: Literal["M", "F"] | None = None
    weight_kg: float | None = None
    goal_event_name: str | None = None
    goal_event_date: date | None = None
    goal_event_priority: Literal["A", "B", "C"] | None = None

    @field_validator(
        "ftp_watts", "threshold_hr", "max_hr", "resting_hr", "weight_kg", mode="before"
    )
    @classmethod
    def _number(cls, value: Any, info: ValidationInfo) -> float | None:
        raw = str(value or "").strip().replace(",", ".")
        if not raw:
            return None
        low, high, unit = _RANGES[str(info.field_name)]
        try:
            number = float(raw)
        except ValueError:
            raise _refuse(
                f"Enter a number in {unit}, or leave it empty to use the estimate."
            ) from None
        if not low <= number <= high:
            raise _refuse(f"Enter a value from {low:g} to {high:g} {unit}.")
        return number

    @field_validator("threshold_pace", mode="before")
    @classmethod
    def _pace(cls, value: Any) -> float | None:
        raw = str(value or "").strip()
        if not raw:
            return None
        match = PACE.match(raw)
        if match is None:
            raise _refuse("Write the pace as minutes:seconds per km, e.g. 4:30.")
        seconds = int(match.group(1)) * 60 + int(match.group(2))
        if not 120 <= seconds <= 900:
            raise _refuse("Enter a pace from 2:00 to 15:00 per km.")
        return float(seconds)

    @field_validator("sex", mode="before")
    @classmethod
    def _sex(cls, value: Any) -> str | None:
        raw = str(value or "").strip() or None
        if raw not in (None, "M", "F"):
            raise _refuse("Choose female, male, or not set.")
        return raw

    @field_validator("goal_event_name", mode="before")
    @classmethod
    def _name(cls, value: Any) -> str | None:
        raw = str(value or "").strip() or None
        if raw is not None and len(raw) > 255:
            raise _refuse("Keep the name under 255 characters.")
        return raw

    @field_validator("goal_event_priority", mode="before")
    @classmethod
    def _priority(cls, value: Any) -> str | None:
        raw = str(value or "").strip() or None
        if raw not in (None, "A", "B", "C"):
            raise _refuse("Choose A, B or C.")
        return raw

    @field_validator("goal_event_date", mode="before")
    @classmethod
    def _day(cls, value: Any, info: ValidationInfo) -> date | None:
        raw = str(value or "").strip()
        if not raw:
            return None
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            raise _refuse("Enter the date as YYYY-MM-DD, e.g. 2025-06-14.") from None
        today = (info.context or {}).get("today")
        if isinstance(today, date):
            if day < today:
                raise _refuse("Choose today or a later date.")
            if day > today + timedelta(days=3 * 365):
                raise _refuse("Choose a date within the next three years.")
        return day

    @model_validator(mode="after")
    def _consistent(self) -> SettingsForm:
        errors: dict[str, str] = {}
        max_hr, resting, lthr = self.max_hr, self.resting_hr, self.threshold_hr
        if max_hr is not None and resting is not None and resting >= max_hr:
            errors["resting_hr"] = "Resting heart rate must be below your maximum heart rate."
        if max_hr is not None and lthr is not None and lthr > max_hr:
            errors["threshold_hr"] = "Threshold heart rate cannot be above your maximum."
        if resting is not None and lthr is not None and lthr <= resting:
            errors["threshold_hr"] = "Threshold heart rate must be above your resting heart rate."
        if self.goal_event_name and self.goal_event_date is None:
            errors["goal_event_date"] = "Give the event's date, or clear its name."
        if self.goal_event_date is not None and not self.goal_event_name:
            errors["goal_event_name"] = "Give the event a name, or clear its date."
        if errors:
            # One error carrying each field's message: a rule across fields is reported on
            # the field the athlete should change.
            raise PydanticCustomError("settings_fields", "{fields}", {"fields": errors})
        if self.goal_event_name is None:
            return self.model_copy(update={"goal_event_date": None, "goal_event_priority": None})
        if self.goal_event_priority is None:
            return self.model_copy(update={"goal_event_priority": "A"})
        return self


def parse_settings(
    form: Mapping[str, str], today: date
) -> tuple[SettingsForm | None, dict[str, str]]:
    """The settings from a submitted form, or per-field errors in plain words."""
    try:
        return SettingsForm.model_validate(dict(form), context={"today": today}), {}
    except ValidationError as error:
        errors: dict[str, str] = {}
        for item in error.errors():
            if item["type"] == "settings_fields":
                errors.update(item["ctx"]["fields"])
            elif item["loc"]:
                errors.setdefault(str(item["loc"][0]), item["msg"])
        return None, errors


# When a changed threshold applies: from today, from a chosen day, or to every activity.
APPLIES = ("today", "date", "all")


def parse_applies(applies: str, day: str, today: date) -> tuple[date | None, dict[str, str]]:
    """The day a threshold change applies from (None: every activity), or the error named
    by its field. A day after today is refused: the change is what holds now."""
    choice = applies.strip() or "today"
    if choice not in APPLIES:
        return None, {"applies": "Choose from today, from a date, or all your activities."}
    if choice == "today":
        return today, {}
    if choice == "all":
        return None, {}
    try:
        chosen = date.fromisoformat(day.strip())
    except ValueError:
        return None, {"applies_date": "Enter the day the change applies from as YYYY-MM-DD."}
    if chosen > today:
        return None, {"applies_date": "Choose today or an earlier day."}
    return chosen, {}
