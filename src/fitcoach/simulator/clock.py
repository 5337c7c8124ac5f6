"""The simulator's sense of time: a source clock plus a settable offset, or a frozen instant."""

from __future__ import annotations

import time
from collections.abc import Callable


class SimClock:
    """Reads epoch seconds from `source`, shifted by `offset`; `freeze` pins it to one instant.

    Tests inject a fake `source`; the control API moves time forward without sleeping, so
    rate-limit windows and token expiry can be crossed in milliseconds.
    """

    def __init__(self, source: Callable[[], float] = time.time) -> None:
        self._source = source
        self.offset = 0.0
        self.frozen_at: float | None = None

    def now(self) -> float:
        if self.frozen_at is not None:
            return self.frozen_at
        return self._source() + self.offset

    def advance(self, seconds: float) -> float:
        if self.frozen_at is not None:
            self.frozen_at += seconds
        else:
            self.offset += seconds
        return self.now()

    def set(self, epoch: float) -> float:
        if self.frozen_at is not None:
            self.frozen_at = epoch
        else:
            self.offset = epoch - self._source()
        return self.now()

    def freeze(self) -> None:
        self.frozen_at = self.now()

    def unfreeze(self) -> None:
        if self.frozen_at is not None:
            # Resume from the frozen instant rather than jumping to wall time.
            self.offset = self.frozen_at - self._source()
            self.frozen_at = None

    def snapshot(self) -> dict[str, float | None]:
        return {"now": self.now(), "offset": self.offset, "frozen_at": self.frozen_at}

    def restore(self, offset: float, frozen_at: float | None) -> None:
        self.offset = offset
        self.frozen_at = frozen_at
