"""The delivery pipeline (.github/workflows/ci.yml) gates on the commands a developer runs:
every `make` target it runs exists, the test job runs .ci/run (which is `make test`), a
release needs the tests and the locks to pass, and nothing in it holds a secret in clear.
(`make lint` validates the file against GitHub's workflow schema with check-jsonschema.)"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
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


def test_a_release_is_scanned_before_it_is_pushed_and_its_reports_published() -> None:
    steps = [
        step.get("run", "") or step.get("uses", "") for step in WORKFLOW["jobs"]["release"]["steps"]
    ]
    scan = next(i for i, step in enumerate(steps) if step == "make scan")
    assert (
        steps.index("make dist image sbom")
        < scan
        < next(i for i, step in enumerate(steps) if "podman --runtime runc push" in step)
    )
    assert any(step.startswith("aquasecurity/setup-trivy@v") for step in steps[:scan])
    uploaded = WORKFLOW["jobs"]["release"]["steps"][-1]["with"]["path"]
    assert "build/scan/*-vulnerabilities.json" in uploaded
    recipe = (ROOT / "Makefile").read_text().split("\nscan:\n")[1].split("\n\n")[0]
    assert "trivy image --input" in recipe and "trivy fs" in recipe and "requirements" in recipe
    gate = re.search(r"^TRIVY_GATE := (.*)$", (ROOT / "Makefile").read_text(), re.M)
    assert gate is not None
    assert set(gate.group(1).split()) >= {
        "--severity",
        "HIGH,CRITICAL",
        "--ignore-unfixed",  # only findings that have a fix fail the release
        "--exit-code",
        "1",
    }


@pytest.mark.parametrize(("image_found", "locks_found"), [(0, 0), (1, 0), (0, 1)])
def test_make_scan_fails_when_trivy_finds_what_the_gate_forbids(
    tmp_path: Path, image_found: int, locks_found: int
) -> None:
    """The recipe, run by make with Trivy and Podman stood in for (Trivy needs its
    vulnerability database from the network): a finding in the image or in the locks (Trivy's
    exit 1 under the gate's flags) fails `make scan` and prints the table; none passes."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "trivy").write_text(
        "#!/bin/sh\n"
        'echo "trivy $*" >> "$CALLS"\n'
        'case "$1" in\n'
        f"  image) exit {image_found} ;;\n"
        f"  fs) exit {locks_found} ;;\n"
        "  convert) echo TABLE; exit 0 ;;\n"
        "esac\n"
    )
    (bin_dir / "podman").write_text('#!/bin/sh\necho "podman $*" >> "$CALLS"\n')
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    calls = tmp_path / "calls.txt"
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "CALLS": str(calls),
    }
    ran = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "scan",
            f"PODMAN={bin_dir / 'podman'}",
            f"SCAN={tmp_path / 'scan'}",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (ran.returncode != 0) == bool(image_found or locks_found), ran.stdout + ran.stderr
    assert ("TABLE" in ran.stdout) == bool(image_found or locks_found)
    said = calls.read_text()
    assert "podman save" in said and "trivy image --input" in said
    if not image_found:
        assert "trivy fs --file-patterns pip:requirements/.*\\.lock" in said
