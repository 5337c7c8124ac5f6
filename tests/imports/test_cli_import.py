"""``fitcoach import PATH --athlete ID``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from fitcoach.cli import main
from fitcoach.core.db import session_factory, transaction
from fitcoach.core.settings import load_settings
from fitcoach.models import Athlete
from fitcoach.startup import prepare_database
from tests.imports.builders import archive_items, write_archive


def test_cli_imports_an_archive_and_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = prepare_database(load_settings())
    with transaction(session_factory(engine)) as session:
        session.add(Athlete(id=77, firstname="Cli"))
    engine.dispose()
    archive = write_archive(
        tmp_path / "export.zip", list(archive_items(9, datetime(2024, 1, 1, tzinfo=UTC)))
    )
    assert main(["import", str(archive), "--athlete", "77"]) == 0
    out = capsys.readouterr()
    assert "done: 9 imported" in out.out and "9/9" in out.err
    assert main(["import", str(archive), "--athlete", "77"]) == 0
    assert "0 imported, 0 merged with Strava activities, 9 already there" in capsys.readouterr().out

    assert main(["import", str(archive), "--athlete", "78"]) == 1
    assert "log in with Strava once first" in capsys.readouterr().err
    assert main(["import", str(tmp_path / "missing.fit"), "--athlete", "77"]) == 1
    assert "no such file" in capsys.readouterr().err
