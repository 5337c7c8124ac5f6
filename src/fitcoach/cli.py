"""The ``fitcoach`` command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer
from cryptography.fernet import Fernet

from fitcoach import __version__
from fitcoach.errors import FitcoachError
from fitcoach.logs import configure_logging
from fitcoach.settings import load_settings
from fitcoach.startup import prepare_database
from fitcoach.store import migrate
from fitcoach.store.engine import check_reachable, make_engine, session_factory

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


def _help_without_command(context: typer.Context) -> None:
    if context.invoked_subcommand is None:
        typer.echo(context.get_help())
        raise typer.Exit()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Web processes.")] = 1,
) -> None:
    """Serve the web app (the embedded mode migrates its SQLite database first)."""
    import uvicorn

    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    prepare_database(settings).dispose()
    # One command is enough in the embedded mode: it runs its own queue worker beside it.
    consumer = _start_worker_process() if settings.embedded else None
    try:
        uvicorn.run(
            "fitcoach.web.app:create_app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_config=None,
            proxy_headers=False,
        )
    finally:
        if consumer is not None:
            consumer.terminate()
            consumer.wait(timeout=30)


def _start_worker_process() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "fitcoach.cli", "worker"])


@app.command()
def worker(
    workers: Annotated[int, typer.Option(min=1, help="Worker threads.")] = 2,
) -> None:
    """Run the task queue's worker (backfill pages, syncs, webhook events, schedules)."""
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    prepare_database(settings).dispose()
    from fitcoach.worker import huey, requeue_unprocessed_events, resume_backfills

    requeue_unprocessed_events()
    resume_backfills()
    huey.create_consumer(workers=workers, worker_type="thread", periodic=True).run()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration the database has not had yet."""
    settings = load_settings()
    engine = make_engine(settings.database)
    check_reachable(engine)
    migrate.upgrade(engine)
    typer.echo(f"database at {migrate.current_revision(engine)} (head)")


@db_app.command("current")
def db_current() -> None:
    """Show the database's schema revision and whether it is at head."""
    settings = load_settings()
    engine = make_engine(settings.database)
    check_reachable(engine)
    current = migrate.current_revision(engine)
    head = migrate.head_revision()
    state = "at head" if current == head else f"behind head {head}: run `fitcoach db upgrade`"
    typer.echo(f"{current or 'empty'} ({state})")


@webhooks_app.command("register")
def webhooks_register(
    replace: Annotated[
        bool, typer.Option(help="Replace a subscription that points elsewhere.")
    ] = False,
) -> None:
    """Ask Strava to send push events to PUBLIC_URL/webhooks/strava (once per install)."""
    from fitcoach.strava.client import StravaClient
    from fitcoach.sync.subscription import register_subscription

    settings = load_settings()
    engine = prepare_database(settings)
    if not (settings.strava_client_id and settings.strava_client_secret):
        raise FitcoachError("STRAVA_CLIENT_ID and STRAVA_CLIENT_SECRET must be set to register")
    client = StravaClient(
        settings.strava_base_url, settings.strava_client_id, settings.strava_client_secret
    )
    subscription_id = register_subscription(
        session_factory(engine),
        client,
        settings.public_url,
        settings.strava_webhook_verify_token,
        replace=replace,
    )
    typer.echo(f"push subscription {subscription_id} sends events to {settings.public_url}")


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


@app.command()
def keygen() -> None:
    """Print a new token-encryption key (put it first in TOKEN_ENCRYPTION_KEYS)."""
    typer.echo(Fernet.generate_key().decode())


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
