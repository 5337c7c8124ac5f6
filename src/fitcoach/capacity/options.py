"""What a capacity run simulates: the population, the limits and the strategies to compare.

Defaults are CAPACITY.md's, so that a run without options measures the documented case.
Every check raises CapacityError with one line that names the option and what it expects.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from fitcoach.core.errors import FitcoachError

USER_TYPES = ("light", "moderate", "heavy")
STRATEGIES = ("seed-current", "seed-daily", "seed-webhooks", "fitcoach")
DEFAULT_MIX = {"light": 0.5, "moderate": 0.35, "heavy": 0.15}
# CAPACITY.md: new athletes join at 2 % of N a day unless told otherwise.
NEW_ATHLETE_SHARE = 0.02
# Strava's default limits (overall and read, per 15 minutes and per day): --limits-scale
# multiplies them, as a limit increase would (the seed's Phase 4: 2x, 5x, 10x).
DEFAULT_LIMITS = {
    "short_limit": 200,
    "long_limit": 2000,
    "read_short_limit": 100,
    "read_long_limit": 1000,
}


class CapacityError(FitcoachError):
    """A capacity option is not usable; the message names the option and the fix."""


@dataclass(frozen=True)
class CapacityOptions:
    athletes: int = 200
    days: int = 2
    mix: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_MIX))
    uploads_per_day: float = 0.8
    edit_rate: float = 0.3
    delete_rate: float = 0.01
    # None: NEW_ATHLETE_SHARE of `athletes`, so it scales with N in --find-max.
    new_athletes_per_day: float | None = None
    history_days: int = 730
    seed: int = 1
    short_limit: int = 200
    long_limit: int = 2000
    read_short_limit: int = 100
    read_long_limit: int = 1000
    strategies: tuple[str, ...] = STRATEGIES
    # What the default limits were multiplied by (reported; the four limits above rule).
    limits_scale: float = 1.0
    # fitcoach's worker fetches streams for loads from averages in spare budget.
    stream_upgrades: bool = True

    def __post_init__(self) -> None:
        _whole("--athletes", self.athletes, 1)
        _whole("--days", self.days, 1)
        _whole("--history-days", self.history_days, 1)
        for name, value in (
            ("--short-limit", self.short_limit),
            ("--long-limit", self.long_limit),
            ("--read-short-limit", self.read_short_limit),
            ("--read-long-limit", self.read_long_limit),
        ):
            _whole(name, value, 1)
        _number("--limits-scale", self.limits_scale, 0.01, 10_000.0)
        _number("--uploads-per-day", self.uploads_per_day, 0.0, 20.0)
        _number("--edit-rate", self.edit_rate, 0.0, 1.0)
        _number("--delete-rate", self.delete_rate, 0.0, 1.0)
        if self.new_athletes_per_day is not None:
            _number("--new-athletes-per-day", self.new_athletes_per_day, 0.0, 1e6)
        check_mix(self.mix)
        if not self.strategies:
            raise CapacityError("--strategies: name at least one strategy")
        for name in self.strategies:
            if name not in STRATEGIES:
                raise CapacityError(
                    f"--strategies: unknown strategy {name!r} (choose from {', '.join(STRATEGIES)})"
                )

    @property
    def joins_per_day(self) -> float:
        if self.new_athletes_per_day is not None:
            return self.new_athletes_per_day
        return self.athletes * NEW_ATHLETE_SHARE

    def with_athletes(self, athletes: int) -> CapacityOptions:
        return replace(self, athletes=athletes)


def scaled_limits(scale: float, **given: int | None) -> dict[str, int]:
    """The four Strava limits: each one given explicitly, else its default times `scale`.

    `given` holds the limit options by name (``short_limit=None`` when not given).
    """
    _number("--limits-scale", scale, 0.01, 10_000.0)
    unknown = set(given) - set(DEFAULT_LIMITS)
    if unknown:
        raise CapacityError(f"unknown limits: {', '.join(sorted(unknown))}")
    return {
        name: value if (value := given.get(name)) is not None else max(1, round(default * scale))
        for name, default in DEFAULT_LIMITS.items()
    }


def _whole(name: str, value: object, least: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise CapacityError(f"{name} must be a whole number >= {least}, not {value!r}")


def _number(name: str, value: object, low: float, high: float) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not low <= value <= high
    ):
        raise CapacityError(f"{name} must be a number from {low:g} to {high:g}, not {value!r}")


def check_mix(mix: dict[str, float]) -> None:
    for name, share in mix.items():
        if name not in USER_TYPES:
            raise CapacityError(f"--mix: unknown user type {name!r} (use {', '.join(USER_TYPES)})")
        _number(f"--mix {name}", share, 0.0, 1.0)
    total = sum(mix.values())
    if abs(total - 1.0) > 1e-6:
        raise CapacityError(f"--mix: the shares must add up to 1, not {total:g}")


def parse_mix(text: str) -> dict[str, float]:
    """``light=0.5,moderate=0.35,heavy=0.15``; a type left out has share 0."""
    mix = dict.fromkeys(USER_TYPES, 0.0)
    seen: set[str] = set()
    for part in (p.strip() for p in text.split(",")):
        name, equals, value = part.partition("=")
        name = name.strip()
        if not equals or not name:
            raise CapacityError(f"--mix: expected type=share, not {part!r}")
        if name not in USER_TYPES:
            raise CapacityError(f"--mix: unknown user type {name!r} (use {', '.join(USER_TYPES)})")
        if name in seen:
            raise CapacityError(f"--mix: {name} is given twice")
        seen.add(name)
        try:
            mix[name] = float(value)
        except ValueError:
            raise CapacityError(
                f"--mix: {name}'s share {value.strip()!r} is not a number"
            ) from None
    check_mix(mix)
    return mix


def parse_strategies(text: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    if not names:
        raise CapacityError(f"--strategies: name one or more of {', '.join(STRATEGIES)}")
    for name in names:
        if name not in STRATEGIES:
            raise CapacityError(
                f"--strategies: unknown strategy {name!r} (choose from {', '.join(STRATEGIES)})"
            )
    return names
