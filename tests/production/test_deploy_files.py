"""The deployment files say what the code understands: real settings, real commands.

No container engine runs in the tests; these checks catch what breaks a deploy without
one: a misspelt variable (silently ignored), a command or option that does not exist,
timeouts that cut the graceful shutdown short, a queue store that may evict tasks.
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]

from fitcoach import cli
from fitcoach.core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
# Read by `fitcoach serve` / `worker` (PORT, WEB_CONCURRENCY, WORKER_CONCURRENCY) or by
# Python itself, not by the settings.
PROCESS_VARIABLES = {
    "PORT",
    "WEB_CONCURRENCY",
    "WORKER_CONCURRENCY",
    "PATH",
    "PYTHONUNBUFFERED",
    "PYTHONDONTWRITEBYTECODE",
}
REQUIRED = {
    "FITCOACH_MODE",
    "DATABASE_URL",
    "REDIS_URL",
    "PUBLIC_URL",
    "SECRET_KEY",
    "TOKEN_ENCRYPTION_KEYS",
    "STRAVA_CLIENT_ID",
    "STRAVA_CLIENT_SECRET",
    "STRAVA_WEBHOOK_VERIFY_TOKEN",
    "STRAVA_WEBHOOK_CALLBACK_SECRET",
}
SETTINGS = {name.upper() for name in Settings.model_fields}


def load_yaml(name: str) -> Any:
    return yaml.safe_load((ROOT / name).read_text())


def image_environment() -> set[str]:
    """The variables the final stage of the Dockerfile sets (ENV, continued lines joined)."""
    final = (ROOT / "Dockerfile").read_text().rsplit("\nFROM ", 1)[1].replace("\\\n", " ")
    lines = [line.split()[1:] for line in final.splitlines() if line.startswith("ENV ")]
    return {word.split("=", 1)[0] for words in lines for word in words}


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def fitcoach_arguments(command: str | list[str]) -> list[str]:
    """The arguments after `fitcoach` in a command line (shell prefixes dropped)."""
    words = shlex.split(command) if isinstance(command, str) else list(command)
    return words[words.index("fitcoach") + 1 :]


def commands() -> list[str | list[str]]:
    compose = load_yaml("compose.yaml")
    render = load_yaml("render.yaml")
    railway = [json.loads((ROOT / name).read_text())["deploy"] for name in RAILWAY]
    dockerfile = (ROOT / "Dockerfile").read_text()
    found: list[str | list[str]] = list(procfile().values())
    found += [
        s["command"] for s in compose["services"].values() if "fitcoach" in s.get("command", [])
    ]
    found += [
        s[key]
        for s in render["services"]
        for key in ("dockerCommand", "preDeployCommand")
        if key in s
    ]
    found += [d["startCommand"] for d in railway] + [
        c for d in railway for c in d.get("preDeployCommand", [])
    ]
    found.append(json.loads(re.findall(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE)[-1]))
    return found


RAILWAY = ("railway.json", "railway.worker.json")


@pytest.mark.parametrize("command", commands(), ids=str)
def test_every_command_is_a_fitcoach_command(
    command: str | list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # --help after the real arguments: an unknown command or option is a usage error.
    assert cli.main([*fitcoach_arguments(command), "--help"]) == 0, capsys.readouterr().err


def test_every_variable_is_a_setting_and_production_has_what_it_needs() -> None:
    compose = load_yaml("compose.yaml")
    environment = compose["x-fitcoach"]["environment"]
    worker = compose["services"]["worker"]["environment"]
    render = load_yaml("render.yaml")
    group = {v["key"] for g in render["envVarGroups"] for v in g["envVars"]}
    per_service = [
        {v["key"] for v in s.get("envVars", []) if "key" in v} for s in render["services"]
    ]
    image = image_environment()
    for names in (set(environment), set(worker), group, *per_service, image):
        unknown = names - SETTINGS - PROCESS_VARIABLES
        assert not unknown, f"not settings: {unknown}"
    assert set(environment) >= REQUIRED
    for services in per_service[:2]:  # web and worker
        assert group | services >= REQUIRED


def test_the_image_runs_as_a_user_with_a_health_check() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    user = re.findall(r"^USER (\S+)$", dockerfile, re.MULTILINE)
    assert user and user[-1].split(":")[0].isdigit() and user[-1].split(":")[0] != "0"
    assert re.search(r"^HEALTHCHECK .*/healthz", dockerfile, re.MULTILINE | re.DOTALL)
    python = re.search(r"python:(\d+\.\d+)-slim", dockerfile)
    assert python and python.group(1) == (ROOT / ".python-version").read_text().strip()
    assert "PROMETHEUS_MULTIPROC_DIR=/tmp/fitcoach-metrics" in dockerfile
    assert "mkdir -p /app/data /tmp/fitcoach-metrics" in dockerfile


def test_hosts_give_the_graceful_shutdown_its_time() -> None:
    needed = cli.SHUTDOWN_TIMEOUT_S + 5
    compose = load_yaml("compose.yaml")
    assert int(compose["x-fitcoach"]["stop_grace_period"].removesuffix("s")) >= needed
    render = load_yaml("render.yaml")
    for service in render["services"]:
        if service["type"] in ("web", "worker"):
            assert service["maxShutdownDelaySeconds"] >= needed
    for name in RAILWAY:
        assert json.loads((ROOT / name).read_text())["deploy"]["drainingSeconds"] >= needed


def test_compose_balances_two_web_containers_after_the_release_step() -> None:
    compose = load_yaml("compose.yaml")
    services = compose["services"]
    assert {"db", "redis", "migrate", "web1", "web2", "worker", "proxy"} <= set(services)
    caddyfile = compose["configs"]["caddyfile"]["content"]
    assert "reverse_proxy web1:8000 web2:8000" in caddyfile and "health_uri /readyz" in caddyfile
    for name in ("web1", "web2", "worker"):
        waits = services[name]["depends_on"]
        assert waits["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["command"] == ["fitcoach", "db", "upgrade"]
    assert "noeviction" in services["redis"]["command"]


def test_render_wires_its_database_and_key_value_store() -> None:
    render = load_yaml("render.yaml")
    databases = {d["name"] for d in render["databases"]}
    stores = {s["name"]: s for s in render["services"] if s["type"] == "keyvalue"}
    web = next(s for s in render["services"] if s["type"] == "web")
    assert web["preDeployCommand"] == "fitcoach db upgrade"
    assert web["healthCheckPath"] == "/readyz"
    for service in render["services"]:
        for variable in service.get("envVars", []):
            if "fromDatabase" in variable:
                assert variable["fromDatabase"]["name"] in databases
            if "fromService" in variable:
                assert variable["fromService"]["name"] in stores
    assert all(store["maxmemoryPolicy"] == "noeviction" for store in stores.values())


def test_heroku_releases_with_migrations() -> None:
    processes = procfile()
    assert processes["release"] == "fitcoach db upgrade"
    assert set(processes) == {"release", "web", "worker"}
    # The metrics directory must exist before fitcoach is imported (docs/deploy.md).
    assert processes["web"].startswith("mkdir -p /tmp/fitcoach-metrics && ")


def test_the_image_builds_the_package_with_its_files_from_outside_src() -> None:
    """A file pyproject.toml puts in the wheel from outside src/ (docs/metrics.md, the MCP
    server's metric definitions) is in the build context and copied before the build: a
    missing one fails the image's build instead of shipping without it."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    included = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert "docs/metrics.md" in included
    dockerfile = (ROOT / "Dockerfile").read_text()
    build = dockerfile[: dockerfile.index("--no-editable")]
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for source in included:
        assert re.search(rf"^COPY {re.escape(source)} ", build, re.MULTILINE), source
        assert source.split("/")[0] not in ignored or f"!{source}" in ignored, source
