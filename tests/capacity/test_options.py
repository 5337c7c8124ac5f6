"""Bad options give one clear line; the fitcoach strategy still mirrors the worker and web."""

from __future__ import annotations

from pathlib import Path

import pytest

from fitcoach.capacity import own
from fitcoach.capacity.options import (
    CapacityError,
    CapacityOptions,
    parse_mix,
    parse_strategies,
    scaled_limits,
)
from fitcoach.cli import main


def test_defaults_are_capacity_md() -> None:
    options = CapacityOptions()
    assert (options.athletes, options.days, options.history_days) == (200, 2, 730)
    assert options.mix == {"light": 0.5, "moderate": 0.35, "heavy": 0.15}
    assert (options.uploads_per_day, options.edit_rate, options.delete_rate) == (0.8, 0.3, 0.01)
    assert options.joins_per_day == 4.0  # 2 % of N
    assert options.with_athletes(1000).joins_per_day == 20.0
    assert CapacityOptions(new_athletes_per_day=0).joins_per_day == 0
    assert (options.read_short_limit, options.read_long_limit) == (100, 1000)


def test_limits_scale_multiplies_the_limits_not_given() -> None:
    assert scaled_limits(1.0) == {
        "short_limit": 200,
        "long_limit": 2000,
        "read_short_limit": 100,
        "read_long_limit": 1000,
    }
    assert scaled_limits(10, read_long_limit=5000) == {
        "short_limit": 2000,
        "long_limit": 20000,
        "read_short_limit": 1000,
        "read_long_limit": 5000,
    }
    assert scaled_limits(2.5)["read_short_limit"] == 250
    with pytest.raises(CapacityError, match="--limits-scale must be a number"):
        scaled_limits(0)


def test_mix_and_strategies_parse() -> None:
    assert parse_mix("heavy=1") == {"light": 0.0, "moderate": 0.0, "heavy": 1.0}
    assert parse_mix(" light=0.25 , moderate=0.75") == {
        "light": 0.25,
        "moderate": 0.75,
        "heavy": 0.0,
    }
    assert parse_strategies("fitcoach, seed-daily,fitcoach") == ("fitcoach", "seed-daily")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("light=0.5", "add up to 1"),
        ("light=0.5,light=0.5", "given twice"),
        ("sporty=1", "unknown user type 'sporty'"),
        ("light", "expected type=share"),
        ("light=half,heavy=0.5", "'half' is not a number"),
        ("light=-0.5,heavy=1.5", "--mix light must be a number from 0 to 1"),
    ],
)
def test_bad_mix(text: str, message: str) -> None:
    with pytest.raises(CapacityError, match=message):
        parse_mix(text)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["capacity", *args])
    _, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fitcoach: error: "), err
    return code, lines[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--athletes", "0"), "--athletes must be a whole number >= 1, not 0"),
        (("--days", "-1"), "--days must be a whole number >= 1"),
        (("--history-days", "0"), "--history-days must be a whole number >= 1"),
        (("--edit-rate", "1.5"), "--edit-rate must be a number from 0 to 1"),
        (("--delete-rate", "-0.1"), "--delete-rate must be a number from 0 to 1"),
        (("--uploads-per-day", "nan"), "--uploads-per-day must be a number"),
        (("--new-athletes-per-day", "-1"), "--new-athletes-per-day must be a number"),
        (("--read-short-limit", "0"), "--read-short-limit must be a whole number >= 1"),
        (("--limits-scale", "-2"), "--limits-scale must be a number from 0.01"),
        (("--mix", "light=1,heavy=1"), "--mix: the shares must add up to 1, not 2"),
        (("--strategies", "seed-current,best"), "unknown strategy 'best'"),
        (("--strategies", ","), "--strategies: name one or more"),
        (("--json", "/nowhere/at/all/x.json"), "--json: the directory /nowhere/at/all"),
    ],
)
def test_bad_options_are_one_clear_line(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    code, line = run(capsys, *args)
    assert code == 1
    assert message in line


def test_unparsable_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, line = run(capsys, "--athletes", "many")
    assert code == 2 and "--athletes" in line


def test_strategy_mirrors_the_worker_task_options(isolated_settings: Path) -> None:
    from fitcoach import worker
    from fitcoach.sync import tasks
    from fitcoach.sync.webhooks import tasks as webhook_tasks

    # Events are handled, and retried or deferred, by the very function the worker calls.
    assert own.handle_event is webhook_tasks.handle_event
    assert tasks.BACKFILL_RETRY_AFTER.total_seconds() == own.BACKFILL_ERROR_DELAY_S
    # The refresh rules and the daily schedule are the very functions the worker calls.
    assert own.manual_sync is tasks.manual_sync
    assert own.due_for_daily_sync is tasks.due_for_daily_sync
    assert worker.huey is tasks.huey
