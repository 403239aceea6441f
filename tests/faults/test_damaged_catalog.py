"""A damaged catalog is named as damaged (never as locked), nothing is written to it, the
doctor finds it, and the way back (restore the newest backup) gives the library back; a lock
is reported only when a live process holds it, and named by its process id."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.faults import copy_library, library_state, run_cli
from tests.support.server import environment, free_port


def _overwrite(path: Path, offset: int, count: int) -> None:
    with path.open("r+b") as handle:
        handle.seek(offset)
        handle.write(os.urandom(count))


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# Bytes written over the catalog's first blocks (where DuckDB keeps the tables' metadata),
# and a catalog cut to a third of its size (a copy that stopped half-way).
DAMAGES = {
    "overwritten": lambda p: _overwrite(p, 12288, 65536),
    "truncated": lambda p: os.truncate(p, p.stat().st_size // 3),
}


@pytest.mark.slow
@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_a_damaged_catalog_is_named_with_the_way_back_and_left_as_it_was(
    pristine: tuple[Path, dict[str, str]], tmp_path: Path, damage: str
) -> None:
    home = copy_library(pristine[0], tmp_path / "library")
    backup = run_cli(home, "backup", str(tmp_path / "backup"))
    assert backup.code == 0, backup.err
    before = library_state(home)
    catalog = home / "catalog.duckdb"
    DAMAGES[damage](catalog)
    damaged = _digest(catalog)

    for command in (["list"], ["search", "solar panels"], ["doctor"]):
        result = run_cli(home, *command)
        assert result.code == 1, (command, result.out, result.err)
        said = result.out + result.err
        assert "library.damaged" in said, (command, said)
        assert "library.locked" not in said
        assert "restore" in said  # the way back
        assert "Traceback" not in said
    assert _digest(catalog) == damaged  # nothing was written to the damaged file

    # The server will not start on it, and says why.
    server = subprocess.run(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(free_port())],
        env=environment(home), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert server.returncode != 0 and "library.damaged" in server.stdout + server.stderr

    # The way back the message names: the newest backup, restored into a new folder.
    restored = tmp_path / "restored"
    assert run_cli(restored, "restore", str(tmp_path / "backup")).code == 0
    assert library_state(restored) == before
    assert run_cli(restored, "doctor").code == 0


@pytest.mark.slow
def test_the_lock_is_named_only_when_a_live_process_holds_it(
    pristine: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    home = copy_library(pristine[0], tmp_path / "library")
    holder = subprocess.Popen(
        [
            sys.executable, "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); "
            "time.sleep(120)",
            str(home / "catalog.duckdb"),
        ],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        result = run_cli(home, "list")
        assert result.code == 1
        assert "library.locked" in result.err and f"process {holder.pid}" in result.err
    finally:
        holder.kill()
        holder.wait()
    deadline = time.monotonic() + 10
    while (result := run_cli(home, "list")).code != 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert result.code == 0, result.err  # the holder gone, the library opens
