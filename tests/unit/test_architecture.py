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
ROOT = PIPELINES.parent


def _attribute_uses(path: Path, names: set[str]) -> list[str]:
    """Where ``path`` reads an attribute named in ``names`` (``x.catalog``, ``x.system``)."""
    return [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute) and node.attr in names
    ]


def test_the_faces_never_touch_the_catalog() -> None:
    """The CLI, the routes, the web app and the dashboard reach data through the owner's
    library and the administration service; only the readiness check pings the catalog."""
    allowed = {APP / "api" / "routes" / "health.py"}
    offenders = [
        use
        for path in APP.rglob("*.py")
        if path not in allowed
        for use in _attribute_uses(path, {"catalog"})
    ]
    assert offenders == []


def test_only_repair_the_worker_and_administrators_read_across_owners() -> None:
    """The system view (every owner's rows) is used by the library's repair and its doctor, the
    job worker, the administration service and the operators' job metrics — nowhere else."""
    allowed = {
        PIPELINES / "library.py",
        PIPELINES / "doctor.py",
        PIPELINES / "jobs" / "worker.py",
        PIPELINES / "administration.py",
        APP / "api" / "main.py",
    }
    paths = [*PIPELINES.rglob("*.py"), *APP.rglob("*.py")]
    offenders = [
        use
        for path in paths
        if path not in allowed and PIPELINES / "storage" / "catalog" not in path.parents
        for use in _attribute_uses(path, {"system"})
    ]
    assert offenders == []


def test_owner_code_is_handed_only_an_owner_view_of_the_catalog() -> None:
    """Services and the stages they drive are typed against ``OwnerCatalog``: the whole
    ``Catalog`` (every owner's rows) is named only by the composition root, the accounts, the
    job worker (it takes whichever owner's job is due), the doctor (it checks every owner's
    rows) and the catalog package itself."""
    allowed = {
        PIPELINES / "library.py",
        PIPELINES / "doctor.py",
        PIPELINES / "accounts.py",
        PIPELINES / "administration.py",
        PIPELINES / "jobs" / "worker.py",
    }
    offenders = []
    for path in PIPELINES.rglob("*.py"):
        if path in allowed or PIPELINES / "storage" / "catalog" in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "pipelines.storage.catalog":
                if any(alias.name == "Catalog" for alias in node.names):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_modules_stay_small() -> None:
    """A module over 400 lines has more than one job: cut it along its seams, or say in its
    docstring why it is one job ("One job, long because ...")."""
    long = []
    for path in [*PIPELINES.rglob("*.py"), *APP.rglob("*.py")]:
        text = path.read_text()
        if text.count("\n") > 400 and "long because" not in (
            ast.get_docstring(ast.parse(text)) or ""
        ):
            long.append(f"{path.relative_to(ROOT)}: {text.count(chr(10))} lines")
    assert long == []
