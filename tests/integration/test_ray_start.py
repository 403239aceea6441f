"""A local Ray that cannot start is batch.ray_unavailable with Ray's reason, not a traceback:
its temporary folder unusable (an OSError), and its node not registered within Ray's 30 s on
a loaded machine (Ray's bare ``Exception``), made real here by stopping the raylet."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.library import TALK

pytestmark = pytest.mark.slow

# Stops the raylet as soon as it is spawned, as a machine too busy to schedule it would: the
# node never registers and Ray gives up after its 30 s. Then the children are killed (a
# stopped raylet would outlive the run).
FROZEN_RAYLET = """
import json, signal, threading, time
import psutil
from pipelines.errors import VidscopeError
from pipelines.jobs.ray_session import ray_session

def freeze() -> None:
    while True:
        for child in psutil.Process().children(recursive=True):
            try:
                if child.name() == "raylet":
                    child.send_signal(signal.SIGSTOP)
                    return
            except psutil.Error:
                pass
        time.sleep(0.01)

threading.Thread(target=freeze, daemon=True).start()
try:
    with ray_session(None, cpus=1):
        said = {"started": True}
except VidscopeError as exc:
    cause = exc.__cause__
    said = {"code": exc.code, "message": exc.message, "cause": type(cause).__qualname__}
finally:
    for child in psutil.Process().children(recursive=True):
        child.kill()
print(json.dumps(said))
"""


def test_a_local_ray_whose_node_never_registers_is_a_coded_error() -> None:
    run = subprocess.run(
        [sys.executable, "-c", FROZEN_RAYLET], capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr[-3000:]
    said = json.loads(run.stdout.splitlines()[-1])
    assert said["code"] == "batch.ray_unavailable", said
    assert said["cause"] == "Exception"  # Ray's bare one, caught only for the local start
    assert "The current node timed out during startup" in said["message"]
    assert "VIDSCOPE_RAY_ADDRESS" in said["message"] and "--" not in said["message"]


def test_a_local_ray_without_a_usable_temporary_folder_is_one_coded_line(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "ray-tmp"
    not_a_folder.write_text("a file where Ray wants its folder")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / TALK.name).symlink_to(TALK)
    env = {**os.environ, "VIDSCOPE_HOME": str(tmp_path / "library"), "VIDSCOPE_PROFILE": "test"}
    run = subprocess.run(
        [sys.executable, "-m", "app.cli", "batch", "ingest", str(inbox)],
        env={**env, "RAY_TMPDIR": str(not_a_folder)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 1, run.stderr[-3000:]
    assert "Traceback" not in run.stderr
    assert "[batch.ray_unavailable] a local Ray could not start" in run.stderr
    assert "Not a directory" in run.stderr  # Ray's reason, kept
    assert "(here: --ray-address ADDRESS)" in run.stderr  # the CLI's own hint
