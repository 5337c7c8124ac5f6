"""What every budget backend does: shared counters with all-or-nothing updates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from fitcoach.strava.budget.policy import Slot


@dataclass(frozen=True, slots=True)
class Count:
    """A counter's value and its limit in force (learnt from Strava, or configured)."""

    used: int
    limit: int


@dataclass(frozen=True, slots=True)
class Take:
    """The outcome of one attempt: after it when granted, as found when refused."""

    granted: bool
    counts: list[Count]


class Backend(Protocol):
    """Counters shared by every process of an installation.

    Each method is one atomic step: no other process sees half of it.
    """

    def take(self, slots: Sequence[Slot], share_bp: int, now: datetime) -> Take:
        """Add one to every slot if each is below its cap (limit x share); otherwise none."""
        ...

    def correct(
        self,
        slots: Sequence[Slot],
        used: Sequence[int | None],
        limits: Mapping[str, int],
        now: datetime,
    ) -> None:
        """Store learnt `limits` (by ``Slot.limit_key``), then raise each slot to its `used`.

        A counter never goes down; ``None`` raises it to its limit in force (gate closed).
        """
        ...

    def read(self, slots: Sequence[Slot]) -> list[Count]:
        """The slots' counters (0 when never used) with their limits in force."""
        ...

    def scope_counts(self, prefix: str, window: str, start: datetime) -> dict[str, int]:
        """Every counter of one window whose scope starts with ``prefix``, by scope (for
        the operators' view of who used what; the budget itself reads slot by slot)."""
        ...

    def dispose(self) -> None:
        """Release connections; the counters stay."""
        ...
