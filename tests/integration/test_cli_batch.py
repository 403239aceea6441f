"""`vidscope batch ingest` run as a person runs it, where it must not need Ray."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.support.faults import copy_library
from tests.support.library import TALK
from tests.support.server import run_command as run_cli


def test_a_batch_of_known_files_is_answered_from_their_hashes_without_ray(
    pristine: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    home = copy_library(pristine[0], tmp_path / "library")  # the talk, indexed
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(TALK, inbox / "talk.mp4")
    shutil.copy(TALK, inbox / "talk (copy).mp4")
    run = run_cli(home, "batch", "ingest", str(inbox), "--json")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert (report["already_indexed"], report["duplicate"], report["indexed"]) == (1, 1, 0)
    # Ray never started: no workers planned, no start time; the answer took the hashes only
    # (28 s before, of which Ray's start 14.7 s and the probes 14.6 s).
    assert report["workers"] == 0 and report["ray_start_s"] == 0 and report["probe_s"] == 0
    assert report["wall_s"] < 2
    first, second = report["outcomes"]  # in the folder's order
    assert first["status"] == "already_indexed" and first["sha256"]
    assert second["status"] == "duplicate"
    assert second["message"] == f"same file as {first['path']}"
