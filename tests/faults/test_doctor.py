"""`vidscope doctor` reports a healthy library as healthy and changes nothing; what an
interrupted write or a careless copy left (partial files, an open folder) is found, with its
fix, and `--fix` repairs it; `--json` carries the same report."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from tests.support.faults import copy_library, library_state, run_cli


@pytest.mark.slow
def test_doctor_finds_what_a_crash_left_and_fixes_it(
    pristine: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    home = copy_library(pristine[0], tmp_path / "library")
    before = library_state(home)
    healthy = run_cli(home, "doctor", "--json")
    assert healthy.code == 0, healthy.out
    assert json.loads(healthy.out)["healthy"] is True
    assert library_state(home) == before

    (home / "media" / "upload.mp4.part").write_bytes(b"x" * 10)
    (home / "clips" / ".clip.99999.part.mp4").write_bytes(b"x" * 10)  # a clip killed mid-cut
    home.chmod(0o755)
    sick = run_cli(home, "doctor", "--json")
    assert sick.code == 1
    report = json.loads(sick.out)
    found = {f["check"]: f for f in report["findings"]}
    assert set(found) == {"partial files", "permissions"}
    assert "2 partial file(s)" in found["partial files"]["problem"]
    assert all(f["fix"] and f["fixable"] for f in report["findings"])
    assert (home / "media" / "upload.mp4.part").exists()  # examined, not changed

    fixed = run_cli(home, "doctor", "--fix")
    assert fixed.code == 0 and "fixed" in fixed.out, fixed.out
    assert not list(home.rglob("*.part*"))
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert library_state(home) == before
