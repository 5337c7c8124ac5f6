"""The Strava HTTP client: every call fitcoach makes to Strava, typed and bounded.

Each API request first asks the gate (the shared budget) for permission and reports the
answer's rate-limit headers back to it; OAuth calls are not counted by Strava and skip
the gate. Transient failures (connection errors, time-outs, 5xx, 503 with Retry-After,
malformed JSON) are retried a bounded number of times with jittered backoff, each retry
passing the gate again, then surface as typed errors.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

import httpx
from pydantic import TypeAdapter, ValidationError
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from fitcoach.core import metrics
from fitcoach.strava.budget.policy import priority_metric_label
from fitcoach.strava.cache import ResponseCache
from fitcoach.strava.errors import (
    BadRequest,
    BadResponse,
    MissingScope,
    NotFound,
    RateLimited,
    StravaError,
    Unauthorized,
    Unavailable,
)
from fitcoach.strava.models import (
    PushSubscription,
    Stream,
    SummaryActivity,
    SummaryAthlete,
    TokenResponse,
)

log = logging.getLogger("fitcoach.strava")
T = TypeVar("T")

MAX_PER_PAGE = 200
# A Retry-After longer than this is not worth holding a worker for; fail and reschedule.
MAX_RETRY_AFTER_S = 30.0


class Gate(Protocol):
    """What the client needs from the budget: permission before, headers after."""

    def before(self, priority: int, athlete_id: int | None, endpoint: str) -> None:
        """Raise BudgetExhausted when the request may not go now."""

    def after(
        self, priority: int, athlete_id: int | None, endpoint: str, response: httpx.Response
    ) -> None:
        """Learn from the response (usage headers, 429)."""


class _Transient(StravaError):
    """A failure worth retrying; ``wait`` is Strava's Retry-After when it sent one."""

    def __init__(self, message: str, wait: float | None = None) -> None:
        super().__init__(message)
        self.wait = wait


class StravaClient:
    """A client for one Strava application (client id and secret) at ``base_url``."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        gate: Gate | None = None,
        cache: ResponseCache | None = None,
        http: httpx.Client | None = None,
        timeout_s: float = 10.0,
        attempts: int = 3,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.gate = gate
        self.cache = cache
        self.http = http or httpx.Client(timeout=timeout_s)
        self.timeout = httpx.Timeout(timeout_s)
        self.attempts = attempts
        self.sleep = sleep

    def close(self) -> None:
        self.http.close()

    # OAuth ----------------------------------------------------------------------------

    def authorize_url(self, redirect_uri: str, state: str, scope: str) -> str:
        params = {
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "approval_prompt": "auto",
            "scope": scope,
            "state": state,
        }
        return str(httpx.URL(f"{self.base_url}/oauth/authorize", params=params))

    def exchange_code(self, code: str) -> TokenResponse:
        body = self._oauth("token", {"code": code, "grant_type": "authorization_code"})
        return _parse(TokenResponse, body, "token exchange")

    def refresh(self, refresh_token: str) -> TokenResponse:
        body = self._oauth("token", {"refresh_token": refresh_token, "grant_type": "refresh_token"})
        return _parse(TokenResponse, body, "token refresh")

    def deauthorize(self, access_token: str) -> None:
        self._request(
            "POST",
            "/oauth/deauthorize",
            endpoint="deauthorize",
            data={"access_token": access_token},
            counted=False,
        )

    # API v3 ---------------------------------------------------------------------------

    def athlete(
        self, token: str, *, priority: int, athlete_id: int | None, fresh: bool = False
    ) -> SummaryAthlete:
        """The token's athlete; ``fresh`` skips the cache (Strava itself must answer)."""
        body = self._cached(
            f"athlete:{athlete_id}",
            fresh or athlete_id is None,
            lambda: self._api("GET", "/athlete", token, priority, athlete_id, "athlete"),
        )
        return _parse(SummaryAthlete, body, "athlete")

    def activities(
        self,
        token: str,
        *,
        priority: int,
        athlete_id: int | None,
        after: datetime | None = None,
        before: datetime | None = None,
        page: int = 1,
        per_page: int = MAX_PER_PAGE,
    ) -> list[SummaryActivity]:
        """One page of the athlete's activities (one request against the budget)."""
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be 1..{MAX_PER_PAGE}, not {per_page}")
        params: dict[str, int] = {"page": page, "per_page": per_page}
        if after is not None:
            params["after"] = int(after.timestamp())
        if before is not None:
            params["before"] = int(before.timestamp())
        body = self._api(
            "GET", "/athlete/activities", token, priority, athlete_id, "activities", params
        )
        if not isinstance(body, list):
            raise BadResponse("activity list: expected a JSON array")
        return [_activity(document) for document in body]

    def activity(
        self,
        token: str,
        activity_id: int,
        *,
        priority: int,
        athlete_id: int | None,
        fresh: bool = False,
    ) -> SummaryActivity:
        """One activity; ``fresh`` skips the cache (the activity is known to have changed)."""
        body = self._cached(
            f"activity:{athlete_id}:{activity_id}",
            fresh,
            lambda: self._api(
                "GET", f"/activities/{activity_id}", token, priority, athlete_id, "activity"
            ),
        )
        return _activity(body)

    def streams(
        self,
        token: str,
        activity_id: int,
        keys: Sequence[str],
        *,
        priority: int,
        athlete_id: int | None,
    ) -> dict[str, Stream]:
        params = {"keys": ",".join(keys), "key_by_type": "true"}
        body = self._cached(
            f"streams:{athlete_id}:{activity_id}:{params['keys']}",
            False,
            lambda: self._api(
                "GET",
                f"/activities/{activity_id}/streams",
                token,
                priority,
                athlete_id,
                "streams",
                params,
            ),
        )
        return _parse(_STREAMS, body, "streams")

    # Push subscriptions (application credentials, no athlete token) -------------------

    def create_subscription(self, callback_url: str, verify_token: str) -> PushSubscription:
        body = self._request(
            "POST",
            "/api/v3/push_subscriptions",
            endpoint="push_subscriptions",
            data={
                **self._credentials(),
                "callback_url": callback_url,
                "verify_token": verify_token,
            },
            counted=False,
            timeout=httpx.Timeout(15.0),  # Strava validates the callback before answering
        )
        return _parse(PushSubscription, body, "push subscription")

    def subscriptions(self) -> list[PushSubscription]:
        body = self._request(
            "GET",
            "/api/v3/push_subscriptions",
            endpoint="push_subscriptions",
            params=self._credentials(),
            counted=False,
        )
        return _parse(_SUBSCRIPTIONS, body, "push subscriptions")

    def delete_subscription(self, subscription_id: int) -> None:
        self._request(
            "DELETE",
            f"/api/v3/push_subscriptions/{subscription_id}",
            endpoint="push_subscriptions",
            params=self._credentials(),
            counted=False,
        )

    # Plumbing -------------------------------------------------------------------------

    def _cached(self, key: str, fresh: bool, fetch: Callable[[], Any]) -> Any:
        """A repeated identical read within the cache's lifetime costs no request."""
        if self.cache is None:
            return fetch()
        if not fresh:
            hit = self.cache.get(key)
            if hit is not None:
                return hit
        body = fetch()
        self.cache.put(key, body)
        return body

    def _credentials(self) -> dict[str, str]:
        return {"client_id": self.client_id, "client_secret": self.client_secret}

    def _oauth(self, path: str, data: dict[str, str]) -> Any:
        return self._request(
            "POST",
            f"/oauth/{path}",
            endpoint=f"oauth_{path}",
            data={**self._credentials(), **data},
            counted=False,
        )

    def _api(
        self,
        method: str,
        path: str,
        token: str,
        priority: int,
        athlete_id: int | None,
        endpoint: str,
        params: Mapping[str, Any] | None = None,
    ) -> Any:
        return self._request(
            method,
            f"/api/v3{path}",
            endpoint=endpoint,
            params=params,
            headers={"Authorization": f"Bearer {token}"},
            priority=priority,
            athlete_id=athlete_id,
        )

    def _request(
        self,
        method: str,
        path: str,
        *,
        endpoint: str,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        priority: int = 0,
        athlete_id: int | None = None,
        counted: bool = True,
        timeout: httpx.Timeout | None = None,
    ) -> Any:
        def attempt() -> Any:
            if counted and self.gate is not None:
                self.gate.before(priority, athlete_id, endpoint)
            call = _Call(endpoint, priority, counted, athlete_id)
            try:
                response = self.http.request(
                    method,
                    f"{self.base_url}{path}",
                    params=params,
                    data=data,
                    headers=headers,
                    timeout=timeout or self.timeout,
                )
            except httpx.TimeoutException as error:
                call.done(None)
                raise _Transient(f"{endpoint}: Strava did not answer in time") from error
            except httpx.TransportError as error:
                call.done(None)
                raise _Transient(f"{endpoint}: cannot reach Strava ({error})") from error
            call.done(response)  # before the gate, which raises on a 429
            if counted and self.gate is not None:
                self.gate.after(priority, athlete_id, endpoint, response)
            return _interpret(endpoint, response)

        retrying = Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=_wait_for(wait_exponential_jitter(multiplier=0.5, max=8.0)),
            retry=retry_if_exception_type(_Transient),
            sleep=self.sleep,
            reraise=True,
        )
        try:
            return retrying(attempt)
        except _Transient as error:
            raise Unavailable(f"{error} (after {self.attempts} attempts)") from error


class _Call:
    """One request on its way out: logged and counted when it ends, whatever the outcome."""

    def __init__(self, endpoint: str, priority: int, counted: bool, athlete_id: int | None) -> None:
        self.endpoint, self.priority, self.counted = endpoint, priority, counted
        self.athlete_id = athlete_id
        self.started = time.perf_counter()

    def done(self, response: httpx.Response | None) -> None:
        seconds = time.perf_counter() - self.started
        status = None if response is None else response.status_code
        label = priority_metric_label(self.priority, self.counted)
        metrics.strava_request(self.endpoint, label, status, seconds)
        headers = httpx.Headers() if response is None else response.headers
        log.info(
            "strava call",
            extra={
                "endpoint": self.endpoint,
                "priority": label,
                "status": status,
                "athlete_id": self.athlete_id,
                "duration_ms": round(seconds * 1000, 1),
                # The budget after the call as Strava counts it: "<15-minute>,<daily>".
                "usage": headers.get("x-ratelimit-usage"),
                "limit": headers.get("x-ratelimit-limit"),
                "read_usage": headers.get("x-readratelimit-usage"),
                "read_limit": headers.get("x-readratelimit-limit"),
            },
        )


def _wait_for(
    backoff: Callable[[RetryCallState], float],
) -> Callable[[RetryCallState], float]:
    """Honour Strava's Retry-After when it sent one, else back off with jitter."""

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, _Transient) and error.wait is not None:
            return min(error.wait, MAX_RETRY_AFTER_S)
        return backoff(state)

    return wait


def _interpret(endpoint: str, response: httpx.Response) -> Any:
    status = response.status_code
    if status == 429:
        raise RateLimited(f"{endpoint}: Strava's rate limit is reached", _next_quarter_hour())
    if status >= 500:
        retry_after = _retry_after(response)
        if retry_after is not None and retry_after > MAX_RETRY_AFTER_S:
            raise Unavailable(f"{endpoint}: Strava is unavailable for {retry_after:.0f} s")
        raise _Transient(f"{endpoint}: Strava answered {status}", retry_after)
    if status == 401:
        if _missing_permission(response):
            raise MissingScope(f"{endpoint}: the token lacks a permission ({_message(response)})")
        raise Unauthorized(f"{endpoint}: Strava refused the token ({_message(response)})")
    if status == 404:
        raise NotFound(f"{endpoint}: not found or not visible ({_message(response)})")
    if status >= 400:
        raise BadRequest(f"{endpoint}: Strava answered {status}: {_message(response)}")
    if status == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError as error:
        raise _Transient(f"{endpoint}: Strava's answer is not valid JSON") from error


def _missing_permission(response: httpx.Response) -> bool:
    """Whether a 401 says a permission is missing (Strava names the field
    ``activity:read_permission`` with code ``missing``) rather than a bad token."""
    try:
        body = response.json()
    except ValueError:
        return False
    errors = body.get("errors") if isinstance(body, dict) else None
    return any(
        isinstance(e, dict)
        and e.get("code") == "missing"
        and str(e.get("field", "")).endswith("_permission")
        for e in errors or []
    )


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if isinstance(body, dict):
        errors = body.get("errors") or []
        details = ", ".join(
            f"{e.get('resource')}.{e.get('field')} {e.get('code')}"
            for e in errors
            if isinstance(e, dict)
        )
        return f"{body.get('message', '')}" + (f" ({details})" if details else "")
    return str(body)[:200]


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _next_quarter_hour(now: datetime | None = None) -> datetime:
    now = now or datetime.now(UTC)
    start = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
    return start + timedelta(minutes=15)


_STREAMS: TypeAdapter[dict[str, Stream]] = TypeAdapter(dict[str, Stream])
_SUBSCRIPTIONS: TypeAdapter[list[PushSubscription]] = TypeAdapter(list[PushSubscription])


def _parse(model: type[T] | TypeAdapter[T], body: Any, what: str) -> T:
    adapter = model if isinstance(model, TypeAdapter) else TypeAdapter(model)
    try:
        return adapter.validate_python(body)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        problem = f"unexpected shape at {where or 'top'}: {first['msg']}"
        raise BadResponse(f"{what}: {problem}") from error


def _activity(document: Any) -> SummaryActivity:
    if not isinstance(document, dict):
        raise BadResponse("activity: expected a JSON object")
    return _parse(SummaryActivity, {**document, "raw": document}, "activity")
