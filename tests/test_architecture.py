"""Where things live, checked: SQL only in repositories and read queries, no package cycles,
and the import contracts of pyproject.toml (the same check CI runs with ``lint-imports``)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "fitcoach"

# Statement builders that make SQL, and the calls that send it.
SQL_BUILDERS = {"select", "insert", "update", "delete", "text", "union_all", "exists", "func"}
SQL_CALLS = {"execute", "scalar", "scalars", "get", "add", "add_all", "delete", "query", "merge"}
# A database handle: a parameter typed as one, or what a ``with`` opens on the database.
HANDLE_TYPES = ("Session", "Connection", "Reader")
HANDLE_OPENERS = ("sessions", "session_factory", "transaction", "connect", "turn", "begin")
# Modules whose job is SQL: the schema, its migrations, repositories and read queries;
# core/db.py's reachability check (SELECT 1); the simulator, which is Strava, not fitcoach.
SQL_HOMES = ("models/", "migrations/", "simulator/", "core/db.py")


def _handles(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.arg)
            and node.annotation is not None
            and any(
                re.search(rf"\b{kind}\b", ast.unparse(node.annotation)) for kind in HANDLE_TYPES
            )
        ):
            names.add(node.arg)
        if isinstance(node, ast.withitem) and isinstance(node.optional_vars, ast.Name):
            opener = ast.unparse(node.context_expr)
            if any(word in opener for word in HANDLE_OPENERS):
                names.add(node.optional_vars.id)
    return names


def _sql_in(path: Path) -> set[str]:
    found: set[str] = set()
    tree = ast.parse(path.read_text())
    handles = _handles(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            found |= {f"imports {a.name}" for a in node.names if a.name in SQL_BUILDERS}
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target = node.func.value
            name = target.id if isinstance(target, ast.Name) else ""
            if name in handles and node.func.attr in SQL_CALLS:
                found.add(f"{name}.{node.func.attr}()")
    return found


def test_sql_lives_in_repositories_and_read_queries() -> None:
    misplaced = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith(SQL_HOMES) or path.name in ("repository.py", "queries.py"):
            continue
        if found := _sql_in(path):
            misplaced[relative] = sorted(found)
    assert misplaced == {}


def _package_imports() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).parts
        if len(parts) < 2:
            continue  # top-level modules (app, cli, worker) compose the packages
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                bits = name.split(".")
                inside = bits[0] == "fitcoach" and len(bits) > 1 and bits[1] != parts[0]
                if inside and (PACKAGE / bits[1]).is_dir():
                    edges.setdefault(parts[0], set()).add(bits[1])
    return edges


def test_no_two_packages_import_each_other() -> None:
    edges = _package_imports()

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in edges.get(start, ()):
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    cycles = sorted(package for package in edges if reaches(package, package, {package}))
    assert cycles == []


def test_the_import_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint), "--config", str(ROOT / "pyproject.toml")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-3000:]
