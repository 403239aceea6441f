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


APP = PIPELINES.parent / "app"
# Administration and health read across owners on purpose (the one system view).
SYSTEM_ROUTES = {"admin.py", "health.py", "batches.py"}


def test_routes_and_the_web_app_reach_data_only_through_an_owners_library() -> None:
    """The web app's handlers and the REST routes never touch the catalog: what they need is a
    method of ``OwnerLibrary``, scoped to the owner when it is built."""
    offenders = []
    for path in [*(APP / "web").glob("*.py"), *(APP / "api" / "routes").glob("*.py")]:
        if path.name in SYSTEM_ROUTES:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr == "catalog":
                offenders.append(f"{path.relative_to(APP)}:{node.lineno}")
    assert offenders == []
