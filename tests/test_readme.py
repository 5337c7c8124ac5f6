"""The README documents what the code has: every setting, and the two commands."""

from __future__ import annotations

from pathlib import Path

from fitcoach.core.settings import Settings

README = (Path(__file__).parents[1] / "README.md").read_text()


def test_every_setting_is_documented() -> None:
    missing = [name.upper() for name in Settings.model_fields if f"`{name.upper()}`" not in README]
    assert missing == []


def test_the_two_commands_exist() -> None:
    root = Path(__file__).parents[1]
    for command in ("./scripts/demo", "./scripts/test"):
        assert command in README
        assert (root / command).stat().st_mode & 0o111
