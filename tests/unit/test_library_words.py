"""The library speaks of settings and concepts, never of one face's flags or commands: the web
app, the API, the dashboard and notebooks show its messages too. The command line adds its
own words where it catches an error (``app/cli/hints.py``)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from app.cli.hints import cli_hint
from pipelines.errors import VidscopeError
from pipelines.jobs.ray_session import plan_workers

PIPELINES = Path(__file__).resolve().parents[2] / "pipelines"
FLAG = re.compile(r"(?:^|[\s('`\"])--[a-z]")
COMMAND = re.compile(r"\bvidscope [a-z]")
# Not ours to rename: pip's own flags in the command that installs a model's lock, and the
# extras' descriptions, which name the commands an extra brings (the only place they exist).
ALLOWED = {"understanding/gguf_models.py", "extras.py"}


def _strings(path: Path) -> list[tuple[int, str]]:
    """Every string literal in ``path`` but its docstrings (which may name a face's use)."""
    tree = ast.parse(path.read_text())
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


def test_no_library_message_names_a_cli_flag_or_command() -> None:
    named = [
        f"{path.relative_to(PIPELINES)}:{line}: {text[:80]!r}"
        for path in sorted(PIPELINES.rglob("*.py"))
        if str(path.relative_to(PIPELINES)) not in ALLOWED
        for line, text in _strings(path)
        if FLAG.search(text) or COMMAND.search(text)
    ]
    assert not named, "\n".join(named)


def test_too_many_workers_names_the_number_asked_for_not_a_flag() -> None:
    with pytest.raises(VidscopeError) as error:
        plan_workers(2, 3)
    assert error.value.code == "batch.too_many_workers"
    assert error.value.message.startswith("3 workers asked for, more than the 2 CPU(s)")
    assert cli_hint(error.value.code) == "--workers N; 0 is one per CPU"


def test_the_cli_hint_for_a_damaged_catalog_names_its_library_folder() -> None:
    hint = cli_hint("library.damaged", {"path": "/srv/lib/catalog.duckdb"})
    assert hint is not None and "vidscope --home /srv/lib doctor" in hint
    assert cli_hint("library.damaged") is not None  # without a path, a placeholder
    assert cli_hint("query.no_match") is None  # nothing to add
