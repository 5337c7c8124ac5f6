"""The Strava simulator as a process of its own, sized for the production smoke test.

`fitcoach simulator` generates three years of history per athlete and retries webhooks
after two minutes, as Strava does; the smoke test needs short histories (200 athletes
backfill in seconds) and retries within its run, so it starts the simulator from here:

    python -m tests.production.simulator_process --port 8001 --athletes 200
"""

from __future__ import annotations

import argparse
from types import SimpleNamespace, TracebackType

import httpx
import uvicorn

from fitcoach.simulator import SimulatorConfig, create_app
from fitcoach.simulator import webhooks as simulator_webhooks


class _Borrowed:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def __aenter__(self) -> httpx.AsyncClient:
        return self.client

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        return None  # kept open for the next delivery


class _ReusedClients:
    """Stands in for `httpx.AsyncClient` in the simulator's webhook module: one client per
    timeout, kept open.

    The simulator makes a new client for every delivery attempt, and each one builds a TLS
    context (tens of milliseconds of CPU) on the simulator's only event loop: a storm of
    1,300 deliveries stalled the API fitcoach calls for a minute on a busy machine. What
    Strava sends is unchanged: the same requests, with the same timeouts.
    """

    def __init__(self) -> None:
        self.clients: dict[float, httpx.AsyncClient] = {}

    def __call__(
        self, timeout: float, transport: httpx.AsyncBaseTransport | None = None
    ) -> _Borrowed:
        if transport is not None:  # not the network: nothing to keep open
            return _Borrowed(httpx.AsyncClient(timeout=timeout, transport=transport))
        client = self.clients.get(timeout)
        if client is None:
            # No pool limit: as before, every delivery goes out at once.
            limits = httpx.Limits(max_connections=None, max_keepalive_connections=20)
            client = self.clients[timeout] = httpx.AsyncClient(timeout=timeout, limits=limits)
        return _Borrowed(client)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--athletes", type=int, default=200)
    parser.add_argument("--history-days", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--limit", type=int, default=100_000, help="every window's limit")
    parser.add_argument("--webhook-retry-delay", type=float, default=1.0)
    parser.add_argument("--webhook-timeout", type=float, default=2.0)
    args = parser.parse_args(argv)
    config = SimulatorConfig(
        athletes=args.athletes,
        seed=args.seed,
        history_days=args.history_days,
        short_limit=args.limit,
        long_limit=args.limit,
        read_short_limit=args.limit,
        read_long_limit=args.limit,
        webhook_retry_delay=args.webhook_retry_delay,
        webhook_timeout=args.webhook_timeout,
    )
    simulator_webhooks.httpx = SimpleNamespace(  # type: ignore[attr-defined,assignment]
        AsyncClient=_ReusedClients(), HTTPError=httpx.HTTPError
    )
    uvicorn.run(create_app(config), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
