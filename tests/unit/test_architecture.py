"""The one rule of direction: pipelines/ is the library and never imports an interface."""

from __future__ import annotations

import ast
from pathlib import Path

FORBIDDEN = {"app", "fastapi", "gradio", "streamlit", "typer", "rich", "starlette"}
PIPELINES = Path(__file__).resolve().parents[2] / "pipelines"
# Each pipelines module's path from the repository root, without .py ("pipelines/library").
MODULE_PATHS = {
    str(p.relative_to(PIPELINES.parent).with_suffix("")).removesuffix("/__init__")
    for p in PIPELINES.rglob("*.py")
}


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
    job worker (it takes whichever owner's job is due), the doctor and its own process (they
    check every owner's rows) and the catalog package itself."""
    allowed = {
        PIPELINES / "library.py",
        PIPELINES / "doctor.py",
        PIPELINES / "checkup.py",
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


def _imports_at_run_time(path: Path) -> set[str]:
    """The pipelines modules a module imports when it runs (at its top or in a function), not
    those named only for type checking (``if TYPE_CHECKING:``), which load nothing."""
    tree = ast.parse(path.read_text())
    typing_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for node in ast.walk(block)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pipelines"):
            # ``from package import module`` names the module; ``from module import name``
            # the module (both kept: the caller keeps those that are modules).
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
            if not all(
                f"{node.module}.{a.name}".replace(".", "/") in MODULE_PATHS for a in node.names
            ):
                found.add(str(node.module))
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("pipelines")}
    return found


def test_pipelines_modules_import_each_other_in_one_direction() -> None:
    """No circle of imports: each module is above or below another, never both (the library
    builds its services, the worker and the doctor's own process sit above it). A circle is
    reported with its modules."""
    root = PIPELINES.parent
    modules = {
        ".".join(p.relative_to(root).with_suffix("").parts).removesuffix(".__init__"): p
        for p in PIPELINES.rglob("*.py")
    }
    graph = {
        name: {m for m in _imports_at_run_time(path) if m in modules and m != name}
        for name, path in modules.items()
    }

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            here = todo.pop()
            if here == goal:
                return True
            if here not in seen:
                seen.add(here)
                todo.extend(graph[here])
        return False

    circles = sorted(
        (a, b) for a, targets in graph.items() for b in targets if a < b and reaches(b, a)
    )
    assert circles == [], circles
    # The direction the issue asked for: the job worker and the doctor's process above the
    # library, the library above administration and the doctor.
    assert "pipelines.jobs.worker" not in graph["pipelines.library"]
    assert "pipelines.library" not in graph["pipelines.doctor"]
