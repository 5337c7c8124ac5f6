"""The MCP server's metric definitions (docs/metrics.md) come with fitcoach however it is
installed: from a wheel (the Docker image installs one, with no docs/ beside it) and from
a checkout of the source."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from fitcoach.mcp import server

ROOT = Path(__file__).resolve().parents[2]
DEFINITIONS = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")


def test_a_checkout_reads_the_definitions_from_its_docs() -> None:
    # The source tree (and an editable install) has no copy beside the module.
    assert server.metrics_doc() == ROOT / "docs" / "metrics.md"
    assert server.metric_definitions() == DEFINITIONS


def test_with_neither_copy_the_resource_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server, "SOURCE_METRICS_DOC", ROOT / "docs" / "no-such.md")
    assert server.metrics_doc() is None
    assert "not installed" in server.metric_definitions()


def test_an_installed_wheel_answers_with_the_definitions(tmp_path: Path) -> None:
    # `uv run` names its own binary in UV; the build backend is in uv's cache since
    # `uv sync` installed the project, so nothing is downloaded.
    uv = os.environ.get("UV") or shutil.which("uv")
    assert uv, "uv builds the wheel"
    built = subprocess.run(
        [uv, "build", "--wheel", "--offline", "--quiet", "-o", str(tmp_path / "dist"), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    [wheel] = (tmp_path / "dist").glob("fitcoach-*.whl")
    site = tmp_path / "site-packages"
    with zipfile.ZipFile(wheel) as unpacked:
        unpacked.extractall(site)
    assert not (tmp_path / "docs").exists()  # nothing beside the package but itself
    # The installed package, not this checkout's, first on the path.
    script = (
        "import json, fitcoach.mcp.server as s;"
        "print(json.dumps([s.__file__, str(s.metrics_doc()), s.metric_definitions()]))"
    )
    answer = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(site)},
    )
    assert answer.returncode == 0, answer.stderr
    module, doc, text = json.loads(answer.stdout)
    assert Path(module).is_relative_to(site) and Path(doc).is_relative_to(site)
    assert text == DEFINITIONS
