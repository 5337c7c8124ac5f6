"""The root of fitcoach's error hierarchy: each area derives its own errors from it.

An error that reaches the web app becomes an answer by its type alone (one handler in
``fitcoach.web.errors``): its ``status``, its message as the reason, and ``what_to_do``.
Callers decide on the type, never on the message's text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar


class FitcoachError(Exception):
    """Base class for every error fitcoach raises on purpose."""

    # The HTTP status an error of this kind answers with, when one reaches the web app.
    status: ClassVar[int] = 500
    # What the person (or program) should do about it; None: the status's usual advice.
    what_to_do: ClassVar[str | None] = None
    headers: ClassVar[Mapping[str, str] | None] = None

    def response_headers(self) -> Mapping[str, str] | None:
        """Headers the answer carries (e.g. Retry-After)."""
        return self.headers


class ConfigError(FitcoachError):
    """A setting is missing or malformed; the message names the setting and the fix."""


class NotLoggedIn(FitcoachError):
    """The request needs an athlete's session and has none."""

    status = 401


class NotFoundError(FitcoachError):
    """What was asked for does not exist, or is not the asking athlete's."""

    status = 404


class BadInput(FitcoachError):
    """A value the caller sent cannot be used; the message names it."""

    status = 400
