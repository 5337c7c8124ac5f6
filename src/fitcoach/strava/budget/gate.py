"""The gate every Strava request passes: may it go out now, and if not, when?"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from fitcoach.strava.budget.backend import Backend, Count
from fitcoach.strava.budget.errors import BudgetConfigError
from fitcoach.strava.budget.headers import RateReport, parse_rate_headers
from fitcoach.strava.budget.policy import (
    APP,
    APP_READ,
    Limits,
    Priority,
    Shares,
    Slot,
    app_slots,
    athlete_slots,
    cap,
    request_slots,
)
from fitcoach.strava.budget.windows import (
    Clock,
    Window,
    as_utc,
    describe_time,
    utc_now,
    window_end,
)


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether a request may go out; when not, when it could and why, in words for a person."""

    allowed: bool
    priority: Priority
    at: datetime
    retry_at: datetime | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class WindowUsage:
    used: int
    limit: int
    start: datetime
    resets_at: datetime

    @property
    def fraction(self) -> float:
        return self.used / self.limit


@dataclass(frozen=True, slots=True)
class Usage:
    """The application's four windows at `at`: overall and read, 15-minute and daily."""

    at: datetime
    short: WindowUsage
    daily: WindowUsage
    read_short: WindowUsage
    read_daily: WindowUsage


@dataclass(frozen=True, slots=True)
class AthleteUsage:
    athlete_id: int
    at: datetime
    short: WindowUsage
    daily: WindowUsage


# A request granted this close to a window's end may be counted by Strava in the next
# window (network latency, clock skew); it is charged to both. See request_slots.
DEFAULT_GUARD = timedelta(milliseconds=500)
MAX_GUARD = timedelta(minutes=1)


class Budget:
    """Strava's request budget for one application, shared through `backend`.

    `limits` are the configured ones; limits that Strava reports in its headers replace
    them for every process sharing the backend. `guard`: see DEFAULT_GUARD.
    """

    def __init__(
        self,
        backend: Backend,
        limits: Limits | None = None,
        shares: Shares | None = None,
        *,
        clock: Clock = utc_now,
        guard: timedelta = DEFAULT_GUARD,
    ) -> None:
        self._backend = backend
        self._limits = Limits() if limits is None else limits
        self._shares = Shares() if shares is None else shares
        if not isinstance(self._limits, Limits) or not isinstance(self._shares, Shares):
            raise BudgetConfigError("limits must be a Limits and shares a Shares")
        self._clock = clock
        if not isinstance(guard, timedelta) or not timedelta(0) <= guard <= MAX_GUARD:
            raise BudgetConfigError(
                f"guard must be a timedelta between 0 and {MAX_GUARD.total_seconds():g} s, "
                f"not {guard!r}"
            )
        self._guard = guard

    @property
    def backend(self) -> Backend:
        return self._backend

    @property
    def limits(self) -> Limits:
        return self._limits

    @property
    def shares(self) -> Shares:
        return self._shares

    def now(self) -> datetime:
        return as_utc(self._clock())

    def acquire(self, priority: Priority, athlete_id: int | None = None) -> Decision:
        """Count one request if every window it draws on has room for `priority`.

        A refused request is not counted; its Decision says when the binding window resets.
        """
        priority = _priority(priority)
        _check_athlete_id(athlete_id)
        now = self.now()
        slots = request_slots(self._limits, athlete_id, now, self._guard)
        share_bp = self._shares.basis_points(priority)
        take = self._backend.take(slots, share_bp, now)
        if take.granted:
            return Decision(True, priority, now)
        return _refusal(priority, now, slots, take.counts, share_bp)

    def observe(self, headers: Mapping[str, str], *, sent_at: datetime | None = None) -> RateReport:
        """Correct the counters from a response's rate-limit headers; Strava's count is the truth.

        Usage is raised to Strava's (never lowered: requests of ours may still be in flight)
        in the windows that held `sent_at` (default: now), so a response that crosses a
        window boundary cannot charge the new window with the old one's usage. Limits that
        differ from ours are adopted. Malformed headers raise BadRateHeaders and change
        nothing.
        """
        report = parse_rate_headers(headers)
        at = self.now() if sent_at is None else as_utc(sent_at)
        slots: list[Slot] = []
        used: list[int | None] = []
        limits: dict[str, int] = {}
        by_key = {(slot.scope, slot.window): slot for slot in app_slots(self._limits, at)}
        for scope, part in ((APP, report.overall), (APP_READ, report.read)):
            if part is None:
                continue
            for window, seen, limit in (
                (Window.SHORT, part.short_usage, part.short_limit),
                (Window.DAILY, part.daily_usage, part.daily_limit),
            ):
                slot = by_key[(scope, window)]
                slots.append(slot)
                used.append(seen)
                limits[slot.limit_key] = limit
        if slots:
            self._backend.correct(slots, used, limits, self.now())
        return report

    def close(self, retry_after: datetime | None = None) -> datetime:
        """Shut the gate after a 429 until the window resets; returns when it reopens.

        The application's 15-minute counters are set to their limits. A `retry_after`
        beyond the current 15-minute window means the daily limit was hit (Strava's 429s
        last until a window resets), so the daily counters are filled as well. Pass the
        429's headers to `observe` first: they show which limit and window are spent.
        """
        now = self.now()
        short_end = window_end(Window.SHORT, now)
        daily = retry_after is not None and as_utc(retry_after) > short_end
        slots = [
            slot for slot in app_slots(self._limits, now) if slot.window is Window.SHORT or daily
        ]
        self._backend.correct(slots, [None] * len(slots), {}, now)
        return window_end(Window.DAILY, now) if daily else short_end

    def usage(self) -> Usage:
        now = self.now()
        slots = app_slots(self._limits, now)
        views = [
            _view(slot, count) for slot, count in zip(slots, self._backend.read(slots), strict=True)
        ]
        return Usage(now, *views)

    def athlete_usage(self, athlete_id: int) -> AthleteUsage:
        _check_athlete_id(athlete_id)
        now = self.now()
        slots = athlete_slots(self._limits, athlete_id, now)
        short, daily = (_view(s, c) for s, c in zip(slots, self._backend.read(slots), strict=True))
        return AthleteUsage(athlete_id, now, short, daily)


def _refusal(
    priority: Priority, now: datetime, slots: list[Slot], counts: list[Count], share_bp: int
) -> Decision:
    full = [
        (slot, count)
        for slot, count in zip(slots, counts, strict=True)
        if count.used >= cap(count.limit, share_bp)
    ]
    if not full:
        # The backend refused on numbers that have changed since: the next window is safe.
        full = [(slots[0], counts[0])]
    # The window that resets last is the one that decides when the request can go.
    slot, count = max(full, key=lambda pair: pair[0].end)
    percent = count.used * 100 // count.limit
    when = describe_time(slot.end, now)
    reason = f"{slot.describe()} is {percent} % used; {priority.label} waits until {when}"
    return Decision(False, priority, now, slot.end, reason)


def _view(slot: Slot, count: Count) -> WindowUsage:
    return WindowUsage(count.used, count.limit, slot.start, slot.end)


def _priority(priority: Priority) -> Priority:
    try:
        return Priority(priority)
    except ValueError as error:
        raise BudgetConfigError(
            f"priority must be one of {', '.join(p.name for p in Priority)}, not {priority!r}"
        ) from error


def _check_athlete_id(athlete_id: int | None) -> None:
    if athlete_id is not None and (isinstance(athlete_id, bool) or not isinstance(athlete_id, int)):
        raise BudgetConfigError(f"athlete_id must be a Strava athlete id (int), not {athlete_id!r}")
