"""The suite's own rules: shared helpers live in tests/support/ (no test module imports another,
or a conftest), and every third-party module a test imports is a declared dependency (a fresh
clone installs only what pyproject.toml names). The same rule for the product: what
`pipelines/` and `app/` import is a dependency of the package, never only of `dev` (the
container image installs no `dev`: moviepy, which composes reels' title cards, was there)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
FIRST_PARTY = {"pipelines", "app", "evals", "tests"}


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def test_test_modules_import_only_the_support_package_of_the_suite() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in TESTS.rglob("*.py")
        if TESTS / "support" not in path.parents
        for name in _imports(path)
        if name.split(".")[0] == "tests" and not name.startswith("tests.support")
    ]
    assert offenders == []


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _undeclared(folders: list[Path], groups: list[str]) -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = [*project["dependencies"]]
    for group in groups:
        requirements += project["optional-dependencies"][group]
    declared = {_normalise(re.split(r"[\[=<>~!; ]", r, maxsplit=1)[0]) for r in requirements}
    distributions = packages_distributions()
    undeclared = set()
    for path in (path for folder in folders for path in folder.rglob("*.py")):
        for name in _imports(path):
            top = name.split(".")[0]
            if top in FIRST_PARTY or top in sys.stdlib_module_names:
                continue
            owners = {_normalise(d) for d in distributions.get(top, [top])}
            if not owners & declared:
                undeclared.add(f"{top} ({', '.join(sorted(owners))}) in {path.relative_to(ROOT)}")
    return sorted(undeclared)


def test_every_third_party_module_the_tests_import_is_declared() -> None:
    assert _undeclared([TESTS], ["dev", "llm", "multilingual"]) == []


def test_every_third_party_module_the_product_imports_is_a_dependency_of_the_package() -> None:
    # The package's extras are its optional features (imported on first use; the faces the
    # server image leaves out say which extra to install: pipelines/extras.py).
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    groups = [name for name in extras["optional-dependencies"] if name != "dev"]
    assert {"batch", "tracking", "dashboard", "eval", "llm", "multilingual"} <= set(groups)
    assert _undeclared([ROOT / "pipelines", ROOT / "app"], groups) == []
