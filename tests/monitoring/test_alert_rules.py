"""The alert rules: promtool's unit tests pass, every rule is tested both ways, and every
metric a rule reads is one fitcoach exposes."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from fitcoach.strava.budget import Priority
from fitcoach.sync.activities import backfill_page
from tests.conftest import sync_of, unavailable
from tests.monitoring.conftest import Monitored

RULES_DIR = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
RULES = RULES_DIR / "alerts.yml"
RULE_TESTS = RULES_DIR / "alerts_test.yml"


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def alert_rules() -> list[dict[str, Any]]:
    return [rule for group in load(RULES)["groups"] for rule in group["rules"] if "alert" in rule]


def test_promtool_checks_and_tests_the_rules() -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        unavailable("promtool is not installed (Debian: apt-get install prometheus)")
    assert promtool is not None
    for command in (
        ["check", "rules", RULES.name],
        ["test", "rules", RULE_TESTS.name],
        ["check", "config", "--syntax-only", "prometheus.yml"],  # the example scrape config
    ):
        done = subprocess.run(
            [promtool, *command], cwd=RULES_DIR, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, f"promtool {' '.join(command)}:\n{done.stdout}{done.stderr}"


def test_every_rule_has_a_case_that_fires_and_one_that_does_not() -> None:
    fires: dict[str, int] = {}
    quiet: dict[str, int] = {}
    for case in load(RULE_TESTS)["tests"]:
        for check in case.get("alert_rule_test", []):
            tally = fires if check.get("exp_alerts") else quiet
            tally[check["alertname"]] = tally.get(check["alertname"], 0) + 1
    names = [rule["alert"] for rule in alert_rules()]
    assert len(names) == len(set(names)) >= 8
    assert [name for name in names if name not in fires] == []
    assert [name for name in names if name not in quiet] == []
    assert set(fires) | set(quiet) <= set(names)


def test_rules_read_only_metrics_fitcoach_exposes(monitored: Monitored) -> None:
    backfill_page(sync_of(monitored.state), monitored.athlete_id, Priority.BACKFILL)
    exposed = monitored.scrape().names()
    for rule in alert_rules():
        for name in set(re.findall(r"\bfitcoach_[a-z_]+", rule["expr"])):
            assert name in exposed, f"{rule['alert']} reads {name}, which /metrics lacks"
