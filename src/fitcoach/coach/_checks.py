"""Argument checks shared by the maths, each raising CoachError that names the argument."""

import math

from fitcoach.coach.errors import CoachError


def require_positive(name: str, value: float | None) -> None:
    """Refuse a value that is not a finite number above zero (None passes: unknown)."""
    if value is not None and not (math.isfinite(value) and value > 0):
        raise CoachError(f"{name} must be a finite number > 0, got {value!r}")


def require_non_negative(name: str, value: float | None) -> None:
    """Refuse a value that is not a finite number at or above zero (None passes: unknown)."""
    if value is not None and not (math.isfinite(value) and value >= 0):
        raise CoachError(f"{name} must be a finite number >= 0, got {value!r}")
