"""The coach's one error class: bad input to the training maths."""

from fitcoach.core.errors import FitcoachError


class CoachError(FitcoachError, ValueError):
    """Input the training maths cannot use; the message names the field and the problem."""
