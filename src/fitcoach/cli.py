"""The ``fitcoach`` command line."""

from __future__ import annotations

import secrets
import signal
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from cryptography.fernet import Fernet

from fitcoach import __version__, migrations
from fitcoach.core.db import check_reachable, make_engine, session_factory
from fitcoach.core.errors import FitcoachError
from fitcoach.core.logs import configure_logging
from fitcoach.core.settings import load_settings
from fitcoach.startup import prepare_database

app = typer.Typer(
    help="fitcoach: a self-hostable fitness coach for Strava athletes.",
    invoke_without_command=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
db_app = typer.Typer(help="Database schema commands.", invoke_without_command=True)
app.add_typer(db_app, name="db")
webhooks_app = typer.Typer(help="Strava push subscription commands.", invoke_without_command=True)
app.add_typer(webhooks_app, name="webhooks")
keys_app = typer.Typer(help="Token-encryption key commands.", invoke_without_command=True)
app.add_typer(keys_app, name="keys")
plan_app = typer.Typer(help="Training plan commands.", invoke_without_command=True)
app.add_typer(plan_app, name="plan")
mcp_app = typer.Typer(
    help="The MCP server for an athlete's own AI assistant (docs/assistant.md).",
    invoke_without_command=True,
)
app.add_typer(mcp_app, name="mcp")
curves_app = typer.Typer(help="Best-effort curve commands.", invoke_without_command=True)
app.add_typer(curves_app, name="curves")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"fitcoach {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    context: typer.Context,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """fitcoach: a self-hostable fitness coach for Strava athletes."""
    _help_without_command(context)


@db_app.callback()
def db_options(context: typer.Context) -> None:
    """Database schema commands."""
    _help_without_command(context)


@webhooks_app.callback()
def webhooks_options(context: typer.Context) -> None:
    """Strava push subscription commands."""
    _help_without_command(context)


@keys_app.callback()
def keys_options(context: typer.Context) -> None:
    """Token-encryption key commands."""
    _help_without_command(context)


@plan_app.callback()
def plan_options(context: typer.Context) -> None:
    """Training plan commands."""
    _help_without_command(context)


def _help_without_command(context: typer.Context) -> None:
    if context.invoked_subcommand is None:
        typer.echo(context.get_help())
        raise typer.Exit()


# Hosts give a process about 30 s between SIGTERM and SIGKILL (Heroku, Render; compose
# and Railway as configured here): drain within that.
SHUTDOWN_TIMEOUT_S = 20
STARTUP_PING_TIMEOUT_S = 60


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=1, max=65535, envvar="PORT", help="Port to listen on.")
    ] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, envvar="WEB_CONCURRENCY", help="Web processes.")
    ] = 1,
    shutdown_timeout: Annotated[
        int,
        typer.Option(min=0, help="Seconds in-flight requests get to finish after SIGTERM."),
    ] = SHUTDOWN_TIMEOUT_S,
) -> None:
    """Serve the web app (the embedded mode migrates its SQLite database first).

    On SIGTERM each process stops accepting connections and finishes the requests it has.
    """
    import uvicorn

    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    prepare_database(settings).dispose()
    proxies = [part.strip() for part in settings.forwarded_allow_ips.split(",") if part.strip()]
    # One command is enough in the embedded mode: it runs its own queue worker beside it.
    consumer = _start_worker_process() if settings.embedded else None
    if consumer is not None:
        _stop_with(consumer)
    try:
        uvicorn.run(
            "fitcoach.app:create_app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_config=None,
            # Client address and scheme from X-Forwarded-* only when sent by a proxy named
            # in FORWARDED_ALLOW_IPS; anyone else could claim to be anyone.
            proxy_headers=bool(proxies),
            forwarded_allow_ips=proxies or ["127.0.0.1"],
            timeout_graceful_shutdown=shutdown_timeout,
            # uvicorn kills a web process that does not answer its ping within this; a
            # fresh one is still importing fitcoach (seconds on a small, busy machine), and
            # with uvicorn's 5 s it was killed and replaced over and over, never serving.
            timeout_worker_healthcheck=STARTUP_PING_TIMEOUT_S,
        )
    finally:
        if consumer is not None:
            consumer.terminate()
            consumer.wait(timeout=30)


def _start_worker_process() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "fitcoach.cli", "worker"])


def _stop_with(consumer: subprocess.Popen[bytes]) -> None:
    """Stop the embedded worker when a signal stops the web server.

    uvicorn re-raises the SIGTERM or SIGINT it stopped on once it has drained, so the
    process dies of it and no ``finally`` runs: without this, the worker outlived it.
    """

    def stop_then_die(signum: int, _frame: object) -> None:
        if consumer.poll() is None:
            consumer.terminate()
            try:
                consumer.wait(timeout=30)
            except subprocess.TimeoutExpired:
                consumer.kill()
        signal.signal(signum, signal.SIG_DFL)
        signal.raise_signal(signum)

    signal.signal(signal.SIGTERM, stop_then_die)


@app.command()
def worker(
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency",
            "--workers",
            "-c",
            min=1,
            envvar="WORKER_CONCURRENCY",
            help="Tasks run at once (threads).",
        ),
    ] = 2,
    shutdown_timeout: Annotated[
        int,
        typer.Option(
            min=0,
            help="Seconds running tasks get to finish after SIGTERM; the rest are queued again.",
        ),
    ] = SHUTDOWN_TIMEOUT_S,
) -> None:
    """Run the task queue's worker (backfill pages, syncs, webhook events, schedules).

    SIGTERM stops taking tasks and lets running ones finish; SIGINT (or a second SIGTERM)
    stops at once. Tasks still running then go back to the queue. A worker killed outright
    (SIGKILL) loses its running tasks; the next worker to start queues their work again.
    """
    from huey.signals import SIGNAL_INTERRUPTED

    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    prepare_database(settings).dispose()
    from fitcoach.monitoring.exporter import configure_worker
    from fitcoach.worker import huey, resume_lost_work

    configure_worker(settings)  # before the first count: metrics shared with the web

    def requeue(_signal: str, task: Any, *_args: Any, **_kwargs: Any) -> None:
        # Every task is idempotent, so one cut short may simply run again elsewhere.
        huey.enqueue(task)

    huey.signal(SIGNAL_INTERRUPTED)(requeue)
    resume_lost_work()
    huey.create_consumer(
        workers=concurrency,
        worker_type="thread",
        periodic=True,
        graceful_signal="TERM",  # what hosts and `docker stop` send before SIGKILL
        shutdown_timeout=shutdown_timeout,
    ).run()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration the database has not had yet."""
    settings = load_settings()
    engine = make_engine(settings.database)
    check_reachable(engine)
    migrations.upgrade(engine)
    typer.echo(f"database at {migrations.current_revision(engine)} (head)")


@db_app.command("current")
def db_current() -> None:
    """Show the database's schema revision and whether it is at head."""
    settings = load_settings()
    engine = make_engine(settings.database)
    check_reachable(engine)
    current = migrations.current_revision(engine)
    head = migrations.head_revision()
    state = "at head" if current == head else f"behind head {head}: run `fitcoach db upgrade`"
    typer.echo(f"{current or 'empty'} ({state})")


@webhooks_app.command("register")
def webhooks_register(
    replace: Annotated[
        bool, typer.Option(help="Replace a subscription that points elsewhere.")
    ] = False,
) -> None:
    """Ask Strava to send push events to PUBLIC_URL/webhooks/strava/<secret>.

    Once per install, and again with --replace after STRAVA_WEBHOOK_CALLBACK_SECRET
    changes (docs/security.md, "Rotating the webhook secret").
    """
    from fitcoach.strava.client import StravaClient
    from fitcoach.sync.webhooks.subscription import (
        callback_url,
        redacted,
        register_subscription,
    )

    settings = load_settings()
    if not (settings.strava_client_id and settings.strava_client_secret):
        raise FitcoachError("STRAVA_CLIENT_ID and STRAVA_CLIENT_SECRET must be set to register")
    if not settings.strava_webhook_verify_token:
        # Strava's check calls a web process, which answers only with this same token.
        raise FitcoachError(
            "STRAVA_WEBHOOK_VERIFY_TOKEN must be set to register, to the same value on the "
            "web processes"
        )
    if not settings.callback_secrets:
        raise FitcoachError(
            "STRAVA_WEBHOOK_CALLBACK_SECRET must be set to register, to the same value on the "
            "web processes"
        )
    engine = prepare_database(settings)
    client = StravaClient(
        settings.strava_base_url, settings.strava_client_id, settings.strava_client_secret
    )
    subscription_id = register_subscription(
        session_factory(engine),
        client,
        settings.public_url,
        settings.strava_webhook_verify_token,
        settings.callback_secrets[0],
        replace=replace,
    )
    typer.echo(
        f"push subscription {subscription_id} sends events to "
        f"{redacted(callback_url(settings.public_url, settings.callback_secrets[0]))}"
    )


@app.command()
def simulator(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8001,
    athletes: Annotated[int, typer.Option(min=0, help="Simulated athletes.")] = 5,
    seed: Annotated[int, typer.Option(help="Seed of the generated data.")] = 1,
    short_limit: Annotated[int, typer.Option(min=1, help="Overall per 15 min.")] = 200,
    long_limit: Annotated[int, typer.Option(min=1, help="Overall per day.")] = 2000,
    read_short_limit: Annotated[int, typer.Option(min=1, help="Read per 15 min.")] = 100,
    read_long_limit: Annotated[int, typer.Option(min=1, help="Read per day.")] = 1000,
    state: Annotated[
        Path | None, typer.Option(help="Keep the simulator's state in this JSON file.")
    ] = None,
    history_days: Annotated[int, typer.Option(min=0, help="Days of history each athlete has.")] = 3
    * 365,
    log_level: Annotated[
        str | None,
        typer.Option(
            help="uvicorn's log level (warning: no line per request); default LOG_LEVEL or info."
        ),
    ] = None,
) -> None:
    """Run the local Strava simulator (OAuth, API v3, webhooks, rate limits)."""
    from fitcoach.simulator import serve as serve_simulator

    serve_simulator(
        host=host,
        port=port,
        athletes=athletes,
        seed=seed,
        short_limit=short_limit,
        long_limit=long_limit,
        read_short_limit=read_short_limit,
        read_long_limit=read_long_limit,
        state_file=state,
        history_days=history_days,
        log_level=log_level,
    )


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="Address of the web app.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port of the web app.")] = 8000,
    simulator_port: Annotated[int, typer.Option(min=1, max=65535)] = 8001,
    athletes: Annotated[int, typer.Option(min=1, help="Simulated athletes.")] = 5,
) -> None:
    """Run fitcoach against the local Strava simulator: no account, no servers."""
    from fitcoach.demo import run_demo

    run_demo(host, port, simulator_port, athletes)


@app.command("import")
def import_files(
    path: Annotated[
        Path,
        typer.Argument(
            help="A FIT/GPX/TCX file (gzipped or not), a zip "
            "(Strava's bulk export or files), or a folder."
        ),
    ],
    athlete: Annotated[int, typer.Option("--athlete", help="The athlete's Strava id.")],
) -> None:
    """Import the athlete's own activity files or Strava archive (no Strava requests)."""
    from fitcoach.imports.parsing.limits import limits_from
    from fitcoach.imports.pool import processes_for
    from fitcoach.imports.service import import_path

    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    engine = prepare_database(settings)
    if not path.exists():
        raise FitcoachError(f"{path}: no such file or folder")

    def progress(job: object) -> None:
        done, total = getattr(job, "done", 0), getattr(job, "total", 0)
        typer.echo(f"\rimporting {path.name}: {done}/{total}", nl=False, err=True)

    job = import_path(
        session_factory(engine),
        athlete,
        path,
        limits_from(settings),
        on_progress=progress,
        processes=processes_for(settings.import_processes),
    )
    typer.echo("", err=True)
    for problem in job.problems:
        typer.echo(f"skipped {problem['problem']}", err=True)
    typer.echo(
        f"{job.status}: {job.imported} imported, {job.merged} merged with Strava activities, "
        f"{job.duplicates} already there, {job.failed} skipped"
    )
    if job.status == "failed":
        raise FitcoachError(job.error or "the import failed")


@plan_app.command("set-goal")
def plan_set_goal(
    athlete: Annotated[int, typer.Option("--athlete", help="The athlete's fitcoach id.")],
    day: Annotated[str, typer.Option("--date", help="The goal event's day, YYYY-MM-DD.")],
    hours: Annotated[
        float, typer.Option("--hours", help="Hours a week to train, spread over the week.")
    ],
    priority: Annotated[str, typer.Option("--priority", help="A, B or C.")] = "A",
    sport: Annotated[
        str, typer.Option("--sport", help="The event's sport: Ride, Run or Swim.")
    ] = "Ride",
    name: Annotated[str, typer.Option("--name", help="The event's name.")] = "Goal event",
) -> None:
    """Set the athlete's goal and weekly hours, and make their plan."""
    from datetime import UTC, datetime

    from fitcoach.athletes.local_day import athlete_today
    from fitcoach.core.db import transaction
    from fitcoach.planning.schemas import cli_goal_settings
    from fitcoach.planning.service import set_goal

    settings = load_settings()
    engine = prepare_database(settings)
    now = datetime.now(UTC)
    with transaction(session_factory(engine)) as session:
        today = athlete_today(session, athlete, now)
        values = cli_goal_settings(name, day, priority, sport, hours, today)
        plan = set_goal(session, athlete, values, now=now)
    taper = plan.taper
    typer.echo(
        f"plan version {plan.version}: {plan.start} to {plan.end}, "
        f"{sum(1 for d in plan.days if d.workout.load > 0)} sessions"
        + (f", race-day form {taper.race_day_tsb:+.1f}" if taper else "")
    )


@plan_app.command("show")
def plan_show(
    athlete: Annotated[int, typer.Option("--athlete", help="The athlete's fitcoach id.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="The document GET /api/plan gives.")
    ] = False,
    first: Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD.")] = None,
    last: Annotated[str | None, typer.Option("--to", help="Last day, YYYY-MM-DD.")] = None,
) -> None:
    """Show the athlete's plan (re-planned first if it was not checked today)."""
    import json
    from datetime import UTC, datetime

    from fitcoach.athletes.local_day import athlete_today
    from fitcoach.core.db import transaction
    from fitcoach.planning.schemas import parse_day
    from fitcoach.planning.service import plan_document, replan_due

    settings = load_settings()
    engine = prepare_database(settings)
    now = datetime.now(UTC)
    start = parse_day(first, "from") if first else None
    end = parse_day(last, "to") if last else None
    with transaction(session_factory(engine)) as session:
        replan_due(session, athlete, now=now)
        today = athlete_today(session, athlete, now)
        document = plan_document(session, athlete, start, end, today=today)
    if as_json:
        typer.echo(json.dumps(document, indent=2))
        return
    for day in document["days"]:
        for w in day["workouts"]:
            minutes = round(w["planned_duration_s"] / 60)
            typer.echo(f"{day['date']}  {w['name']:<32} {minutes:>4} min  {w['status']}")


@app.command()
def capacity(
    athletes: Annotated[int, typer.Option(help="Registered athletes, all daily active.")] = 200,
    days: Annotated[int, typer.Option(help="Simulated days.")] = 2,
    mix: Annotated[
        str, typer.Option(help="Shares of light, moderate and heavy users.")
    ] = "light=0.5,moderate=0.35,heavy=0.15",
    uploads_per_day: Annotated[float, typer.Option(help="Mean uploads per athlete a day.")] = 0.8,
    edit_rate: Annotated[float, typer.Option(help="Share of uploads edited.")] = 0.3,
    delete_rate: Annotated[float, typer.Option(help="Share of uploads deleted.")] = 0.01,
    new_athletes_per_day: Annotated[
        float | None, typer.Option(help="Athletes joining a day [default: 2 % of --athletes].")
    ] = None,
    history_days: Annotated[int, typer.Option(help="History a new athlete brings.")] = 730,
    seed: Annotated[int, typer.Option(help="Seed of the population and its events.")] = 1,
    short_limit: Annotated[
        int | None, typer.Option(help="Overall requests per 15 min [default: 200 x scale].")
    ] = None,
    long_limit: Annotated[
        int | None, typer.Option(help="Overall requests per day [default: 2000 x scale].")
    ] = None,
    read_short_limit: Annotated[
        int | None, typer.Option(help="Read requests per 15 min [default: 100 x scale].")
    ] = None,
    read_long_limit: Annotated[
        int | None, typer.Option(help="Read requests per day [default: 1000 x scale].")
    ] = None,
    limits_scale: Annotated[
        float,
        typer.Option(help="Multiplies Strava's four default limits (a limit increase: 2, 5, 10)."),
    ] = 1.0,
    strategies: Annotated[
        str, typer.Option(help="Comma-separated subset of the strategies.")
    ] = "seed-current,seed-daily,seed-webhooks,fitcoach",
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Also write the figures to this JSON file.")
    ] = None,
    find_max: Annotated[
        bool, typer.Option("--find-max", help="Search for the most athletes each one serves.")
    ] = False,
    stream_upgrades: Annotated[
        bool,
        typer.Option(
            "--stream-upgrades/--no-stream-upgrades",
            help="fitcoach fetches streams for loads from averages in spare budget.",
        ),
    ] = True,
) -> None:
    """Measure how many athletes each strategy serves within Strava's limits (simulated)."""
    from fitcoach.capacity.command import capacity_command

    capacity_command(
        athletes=athletes,
        days=days,
        mix=mix,
        uploads_per_day=uploads_per_day,
        edit_rate=edit_rate,
        delete_rate=delete_rate,
        new_athletes_per_day=new_athletes_per_day,
        history_days=history_days,
        seed=seed,
        short_limit=short_limit,
        long_limit=long_limit,
        read_short_limit=read_short_limit,
        read_long_limit=read_long_limit,
        limits_scale=limits_scale,
        strategies=strategies,
        json_path=json_file,
        stream_upgrades=stream_upgrades,
        search=find_max,
        echo=typer.echo,
        progress=lambda line: typer.echo(line, err=True),
    )


@curves_app.command("fill")
def curves_fill() -> None:
    """Compute the best-effort curves of activities whose streams were stored before
    curves were kept (new ones get theirs when stored). Safe to stop and run again."""
    from fitcoach.activities.curves import fill_curves

    settings = load_settings()
    engine = prepare_database(settings)
    read, kept = fill_curves(session_factory(engine))
    typer.echo(f"{read} activities with streams read; {kept} curves stored")


@app.command()
def keygen(
    webhook: Annotated[
        bool,
        typer.Option(
            "--webhook", help="Print a webhook callback secret (STRAVA_WEBHOOK_CALLBACK_SECRET)."
        ),
    ] = False,
) -> None:
    """Print a new token-encryption key (put it first in TOKEN_ENCRYPTION_KEYS)."""
    if webhook:
        typer.echo(secrets.token_urlsafe(32))
        return
    typer.echo(Fernet.generate_key().decode())


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Re-encrypt every stored Strava token with the first TOKEN_ENCRYPTION_KEYS key, so
    the keys after it can be removed."""
    from fitcoach.core.crypto import key_ring
    from fitcoach.core.db import transaction
    from fitcoach.strava.repository import reencrypt_all

    settings = load_settings()
    engine = prepare_database(settings)
    with transaction(session_factory(engine)) as session:
        count = reencrypt_all(session, key_ring(settings.fernet_keys))
    typer.echo(
        f"{count} athletes' tokens re-encrypted with the newest key; the older keys in "
        "TOKEN_ENCRYPTION_KEYS can now be removed"
    )


@mcp_app.callback()
def mcp_serve(
    context: typer.Context,
    athlete: Annotated[
        int | None, typer.Option("--athlete", help="The fitcoach athlete id to answer for.")
    ] = None,
    scope: Annotated[
        str, typer.Option("--scope", help="read, or read-write to let the assistant plan.")
    ] = "read",
) -> None:
    """Serve the MCP server over stdio for one athlete (a desktop assistant starts this)."""
    if context.invoked_subcommand is not None:
        return
    if athlete is None:
        typer.echo(context.get_help())
        raise typer.Exit()
    from fitcoach.mcp.stdio import serve_stdio, stdio_setup
    from fitcoach.mcp.tokens import parse_scope

    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)  # to stderr: stdout is MCP's
    engine = prepare_database(settings)
    serve_stdio(stdio_setup(session_factory(engine), settings, athlete, parse_scope(scope)))


@mcp_app.command("token")
def mcp_token(
    athlete: Annotated[int, typer.Option("--athlete", help="The fitcoach athlete id.")],
    scope: Annotated[str, typer.Option("--scope", help="read or read-write.")] = "read",
    name: Annotated[str | None, typer.Option("--name", help="A name to tell it apart.")] = None,
    days: Annotated[
        int | None, typer.Option("--days", help="Expire after this many days (default never).")
    ] = None,
) -> None:
    """Print a new MCP token for the athlete (shown once; stored only as a hash)."""
    from fitcoach.core.clock import utc_now
    from fitcoach.mcp.tokens import create_token, parse_scope

    settings = load_settings()
    engine = prepare_database(settings)
    token = create_token(
        session_factory(engine), athlete, parse_scope(scope), name, utc_now(), days=days
    )
    typer.echo(token.secret)
    until = f", until {token.expires_at:%Y-%m-%d %H:%M} UTC" if token.expires_at else ""
    typer.echo(
        f"token {token.id} '{token.name}' ({token.scope}{until}) for athlete {athlete}; "
        f"send it as 'Authorization: Bearer <token>' to {settings.public_url.rstrip('/')}/mcp",
        err=True,
    )


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; every error becomes one line on stderr and a non-zero exit."""
    try:
        app(args=argv, prog_name="fitcoach", standalone_mode=False)
    except typer.Exit as done:
        return int(done.exit_code)
    except typer.Abort:
        typer.echo("fitcoach: aborted", err=True)
        return 130
    except typer.TyperException as error:
        # Usage errors: a bad option or command; typer's message already names it.
        format_message = getattr(error, "format_message", None)
        message = format_message() if callable(format_message) else str(error)
        typer.echo(f"fitcoach: error: {message} (see `fitcoach --help`)", err=True)
        return int(getattr(error, "exit_code", 2))
    except FitcoachError as error:
        typer.echo(f"fitcoach: error: {error}", err=True)
        return 1
    return 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    run()
