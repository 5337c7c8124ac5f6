"""The body Strava POSTs to the webhook callback, bounded field by field.

Every number is a strict JSON integer (no "123", no true, no 1.0) within what the
database and the clock can hold, and ``updates`` carries only the keys Strava's
documentation lists, so a hostile body is refused with a 400 that names the field
instead of failing deeper in.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Strava's ids are positive and fit the BIGINT columns they are stored in.
MAX_ID = 2**63 - 1
StravaId = Annotated[int, Field(strict=True, gt=0, le=MAX_ID)]
# Seconds since 1970 before the year 10000: what datetime can hold. The endpoint then
# wants it within a day of its own clock (``check_event_time``).
EventTime = Annotated[int, Field(strict=True, gt=0, lt=253_402_300_800)]

# What Strava's webhook documentation says ``updates`` may hold: an activity's new title,
# type or privacy, and a deauthorization's ``authorized: "false"``.
UPDATE_KEYS = frozenset({"title", "type", "private", "authorized"})
MAX_UPDATE_CHARS = 1024
UpdateValue = (
    Annotated[str, Field(strict=True, max_length=MAX_UPDATE_CHARS)]
    | Annotated[bool, Field(strict=True)]
)


class PushEvent(BaseModel):
    """One push event, as Strava's webhook documentation describes it."""

    model_config = ConfigDict(extra="ignore", strict=True)
    object_type: Literal["activity", "athlete"]
    object_id: StravaId
    aspect_type: Literal["create", "update", "delete"]
    owner_id: StravaId
    subscription_id: StravaId
    event_time: EventTime
    updates: dict[str, UpdateValue] = Field(default_factory=dict)

    @field_validator("updates")
    @classmethod
    def _strava_keys_only(cls, value: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(value) - UPDATE_KEYS)
        if unknown:
            shown = ", ".join(repr(key[:40]) for key in unknown[:3])
            raise ValueError(f"updates may hold only {', '.join(sorted(UPDATE_KEYS))}; got {shown}")
        return value

    @property
    def is_deauthorization(self) -> bool:
        """The athlete revoked fitcoach's access on Strava (Strava says so; unchecked)."""
        return (
            self.object_type == "athlete"
            and self.aspect_type == "update"
            and is_revoked(self.updates.get("authorized"))
        )


def is_revoked(authorized: object) -> bool:
    """Strava writes ``"authorized": "false"``; a JSON false says the same."""
    return str(authorized).lower() == "false"
