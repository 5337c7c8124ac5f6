"""The body Strava POSTs to the webhook callback."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class PushEvent(BaseModel):
    """One push event, as Strava's webhook documentation describes it."""

    model_config = ConfigDict(extra="ignore")
    object_type: Literal["activity", "athlete"]
    object_id: int
    aspect_type: Literal["create", "update", "delete"]
    owner_id: int
    subscription_id: int
    event_time: int
    updates: dict[str, Any] = Field(default_factory=dict)
