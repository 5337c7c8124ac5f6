"""The Strava simulator as a process of its own, sized for the production smoke test.

`fitcoach simulator` retries webhooks after two minutes, as Strava does; the smoke test
needs retries within its run, so it starts the simulator from here:

    python -m tests.production.simulator_process --port 8001 --athletes 200
"""

from __future__ import annotations

import argparse

import uvicorn

from fitcoach.simulator import SimulatorConfig, create_app


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
    uvicorn.run(create_app(config), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
