"""Reading Strava's rate-limit headers: ``X-RateLimit-Limit: 200,2000`` and friends."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from fitcoach.strava.budget.errors import BadRateHeaders

OVERALL_LIMIT = "x-ratelimit-limit"
OVERALL_USAGE = "x-ratelimit-usage"
READ_LIMIT = "x-readratelimit-limit"
READ_USAGE = "x-readratelimit-usage"

_PAIR = re.compile(r"\s*(\d{1,12})\s*,\s*(\d{1,12})\s*", re.ASCII)


@dataclass(frozen=True, slots=True)
class LimitReport:
    """One of Strava's limits as a response reported it: limits and usage, 15-minute and daily."""

    short_limit: int
    daily_limit: int
    short_usage: int
    daily_usage: int


@dataclass(frozen=True, slots=True)
class RateReport:
    """What one response said; a limit is None when its headers were absent (e.g. /oauth)."""

    overall: LimitReport | None
    read: LimitReport | None


def parse_rate_headers(headers: Mapping[str, str]) -> RateReport:
    """Read the X-RateLimit-* and X-ReadRateLimit-* pairs; raise BadRateHeaders when malformed.

    Header names are matched case-insensitively, so a plain dict works as well as
    ``httpx.Headers``.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    return RateReport(
        overall=_limit(lowered, OVERALL_LIMIT, OVERALL_USAGE),
        read=_limit(lowered, READ_LIMIT, READ_USAGE),
    )


def _limit(headers: Mapping[str, str], limit_name: str, usage_name: str) -> LimitReport | None:
    limit_value, usage_value = headers.get(limit_name), headers.get(usage_name)
    if limit_value is None and usage_value is None:
        return None
    if limit_value is None or usage_value is None:
        present, missing = (
            (limit_name, usage_name) if usage_value is None else (usage_name, limit_name)
        )
        raise BadRateHeaders(f"{_title(present)} came without {_title(missing)}")
    short_limit, daily_limit = _pair(limit_name, limit_value)
    short_usage, daily_usage = _pair(usage_name, usage_value)
    if short_limit < 1 or daily_limit < 1:
        raise BadRateHeaders(f"{_title(limit_name)}: limits must be >= 1, got {limit_value!r}")
    return LimitReport(short_limit, daily_limit, short_usage, daily_usage)


def _pair(name: str, value: str) -> tuple[int, int]:
    match = _PAIR.fullmatch(value)
    if match is None:
        raise BadRateHeaders(
            f"{_title(name)}: expected '<15-minute>,<daily>' whole numbers, got {value!r}"
        )
    return int(match[1]), int(match[2])


def _title(name: str) -> str:
    return _CANONICAL[name]


_CANONICAL = {
    OVERALL_LIMIT: "X-RateLimit-Limit",
    OVERALL_USAGE: "X-RateLimit-Usage",
    READ_LIMIT: "X-ReadRateLimit-Limit",
    READ_USAGE: "X-ReadRateLimit-Usage",
}
