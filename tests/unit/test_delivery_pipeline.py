"""The delivery pipeline (.github/workflows/ci.yml) gates on the commands a developer runs:
every `make` target it runs exists, the test job runs .ci/run (which is `make test`), a
release needs the tests and the locks to pass, and nothing in it holds a secret in clear.
(`make lint` validates the file against GitHub's workflow schema with check-jsonschema.)"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW: dict[str, Any] = yaml.safe_load((ROOT / ".github/workflows/ci.yml").read_text())
TARGETS = set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(), re.M))


def _commands(job: str) -> str:
    return "\n".join(step.get("run", "") for step in WORKFLOW["jobs"][job]["steps"])


def test_every_make_target_the_pipeline_runs_exists() -> None:
    runs = "\n".join(_commands(job) for job in WORKFLOW["jobs"])
    targets = {t for line in re.findall(r"\bmake ([a-z -]+)", runs) for t in line.split()}
    assert targets and targets <= TARGETS, targets - TARGETS


def test_the_gates_are_lint_locks_and_the_ci_entry_point() -> None:
    assert "make lint" in _commands("lint")
    assert "make lock-check" in _commands("locks")
    assert "bash .ci/run" in _commands("test")
    assert "make test" in (ROOT / ".ci/run").read_text()
    assert WORKFLOW["jobs"]["test"]["needs"] == "lint"


def test_a_release_needs_the_gates_and_only_tags_release() -> None:
    release = WORKFLOW["jobs"]["release"]
    assert set(release["needs"]) == {"test", "locks"}
    assert release["if"] == "startsWith(github.ref, 'refs/tags/v')"
    assert "make dist image sbom" in _commands("release")
    assert "gh release create" in _commands("publish")  # the wheel and the SBOM, attached
    assert WORKFLOW["jobs"]["publish"]["needs"] == "release"
    assert WORKFLOW["permissions"] == {"contents": "read"}  # write only where a job pushes


def test_no_secret_in_clear() -> None:
    text = (ROOT / ".github/workflows/ci.yml").read_text()
    assert not re.search(r"(password|token|secret)\s*[:=]\s*['\"]?[A-Za-z0-9]{12,}", text, re.I)
    assert "${{ secrets.GITHUB_TOKEN }}" in text
