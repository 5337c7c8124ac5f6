"""Typed views of the Strava documents fitcoach uses, after Strava's API v3 spec.

Unknown fields are kept (``extra="allow"``) and each activity carries the document it
was parsed from in ``raw``, because the store keeps the raw document beside its columns.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class MetaAthlete(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: int


class SummaryAthlete(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: int
    firstname: str | None = None
    lastname: str | None = None
    city: str | None = None
    country: str | None = None
    sex: str | None = None
    profile_medium: str | None = None
    weight: float | None = None


class TokenResponse(BaseModel):
    """The answer of ``POST /oauth/token`` for both grants."""

    model_config = ConfigDict(extra="allow")
    token_type: str = "Bearer"
    access_token: str
    refresh_token: str
    expires_at: int
    expires_in: int | None = None
    athlete: SummaryAthlete | None = None

    @property
    def expires(self) -> datetime:
        return datetime.fromtimestamp(self.expires_at, UTC)


class SummaryActivity(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: int
    athlete: MetaAthlete
    name: str = ""
    sport_type: str | None = None
    type: str | None = None
    start_date: datetime
    start_date_local: datetime | None = None
    timezone: str | None = None
    moving_time: int = 0
    elapsed_time: int = 0
    distance: float = 0.0
    total_elevation_gain: float = 0.0
    average_watts: float | None = None
    weighted_average_watts: float | None = None
    device_watts: bool | None = None
    kilojoules: float | None = None
    average_heartrate: float | None = None
    max_heartrate: float | None = None
    has_heartrate: bool | None = None
    trainer: bool | None = None
    commute: bool | None = None
    manual: bool | None = None
    private: bool | None = None
    raw: dict[str, Any] = Field(default_factory=dict, exclude=True)


class Stream(BaseModel):
    model_config = ConfigDict(extra="allow")
    data: list[Any]
    series_type: str | None = None
    original_size: int | None = None
    resolution: str | None = None


class PushSubscription(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: int
    callback_url: str | None = None
