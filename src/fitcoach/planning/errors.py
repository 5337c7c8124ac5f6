"""The planning domain's errors: each names what is missing or wrong and what to do."""

from __future__ import annotations

from fitcoach.core.errors import BadInput, NotFoundError


class NoPlan(NotFoundError):
    """The athlete has no plan yet."""

    what_to_do = "Set a goal (or just your weekly hours) on the plan page to get a plan."


class WorkoutNotFound(NotFoundError):
    """No session with this id in the athlete's current plan."""

    what_to_do = "Open the plan page again: the plan may have changed since."


class FeedNotFound(NotFoundError):
    """No plan has this calendar feed secret (it may have been rotated)."""

    what_to_do = "Copy the feed address again from the plan page and subscribe to it."


class PlanInputError(BadInput):
    """A goal, availability or change the plan cannot take; the message says which."""


class NotExportable(BadInput):
    """The session has no file of this kind (a swim as a Zwift workout)."""
