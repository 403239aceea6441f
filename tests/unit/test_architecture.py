"""The one rule of direction: pipelines/ is the library and never imports an interface."""

from __future__ import annotations

import ast
from pathlib import Path

FORBIDDEN = {"app", "fastapi", "gradio", "streamlit", "typer", "rich", "starlette"}
PIPELINES = Path(__file__).resolve().parents[2] / "pipelines"


def test_pipelines_import_no_interface_or_web_framework() -> None:
    offenders = []
    for path in PIPELINES.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []
