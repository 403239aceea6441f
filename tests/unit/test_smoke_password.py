"""The staging smoke test's password reaches deploy/smoke.py whatever it looks like: CI's
staging run failed once because a generated password began with "-" and argparse took it
for an option ("argument --password: expected one argument")."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
DASHED = "-4fQw_leading-dash"


def deploy_module(name: str) -> ModuleType:
    """A deploy/ script as a module (they import each other by their bare names)."""
    if str(DEPLOY) not in sys.path:
        sys.path.insert(0, str(DEPLOY))
    return importlib.import_module(name)


def test_staging_passes_the_password_in_the_environment_not_the_arguments() -> None:
    staging = deploy_module("staging")
    command, environment = staging.smoke_call(
        "http://127.0.0.1:1", {"VIDSCOPE_SMOKE_USER": "ops", "VIDSCOPE_SMOKE_PASSWORD": DASHED}
    )
    assert DASHED not in " ".join(command)  # nor in the process list
    assert environment["VIDSCOPE_SMOKE_PASSWORD"] == DASHED
    # Generated when none is given, and still only in the environment.
    command, environment = staging.smoke_call("http://127.0.0.1:1", {})
    assert len(environment["VIDSCOPE_SMOKE_PASSWORD"]) >= 16
    assert environment["VIDSCOPE_SMOKE_PASSWORD"] not in command


def test_smoke_takes_a_dashed_password_from_the_environment_or_as_one_argument() -> None:
    smoke = deploy_module("smoke")
    url = "http://127.0.0.1:1"
    taken = smoke.arguments([url, "--user", "ops"], {"VIDSCOPE_SMOKE_PASSWORD": DASHED})
    assert taken.password == DASHED and taken.user == "ops"
    assert smoke.arguments([url, "--user", "ops", f"--password={DASHED}"], {}).password == DASHED
    with pytest.raises(SystemExit) as refused:
        smoke.arguments([url, "--user", "ops"], {})
    assert refused.value.code == 2
    # As staging runs it: no password in the arguments, the script says what is missing.
    run = subprocess.run(
        [sys.executable, str(DEPLOY / "smoke.py"), url, "--user", "ops"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert run.returncode == 2 and "VIDSCOPE_SMOKE_PASSWORD" in run.stderr
