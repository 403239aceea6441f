"""SIGKILL during ingest, then rerun: no duplicate rows or vectors, no orphan files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pytest

from pipelines.library import Library
from pipelines.storage.catalog import LOCAL_OWNER
from tests.support.library import TALK, make_settings


def start_ingest(home: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "VIDSCOPE_HOME": str(home), "VIDSCOPE_LOG_FORMAT": "json"}
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "ingest", str(TALK)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for_stored_media(home: Path, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        media = home / "media"
        if media.exists() and any(p.suffix == ".mp4" for p in media.iterdir()):
            return
        assert process.poll() is None, "ingest ended before it stored the media"
        time.sleep(0.01)
    raise AssertionError("ingest never stored the media")


# Killed right after the media is stored, the catalog may not have the row yet (an orphan
# file); 0.6 s later the process is transcribing (a 'processing' row and a running job).
@pytest.mark.parametrize(
    ("delay_s", "states"),
    [(0.0, {(), ("processing", "running")}), (0.6, {("processing", "running")})],
)
def test_sigkill_mid_ingest_then_rerun_completes_once(
    tmp_path: Path, delay_s: float, states: set[tuple[str, ...]]
) -> None:
    home = tmp_path / "library"
    process = start_ingest(home)
    wait_for_stored_media(home, process)
    time.sleep(delay_s)
    process.send_signal(signal.SIGKILL)
    process.wait()

    with duckdb.connect(str(home / "catalog.duckdb"), read_only=True) as con:
        state = tuple(
            row[0]
            for row in con.execute(
                "SELECT status FROM videos UNION ALL SELECT status FROM jobs"
            ).fetchall()
        )
    assert state in states  # killed mid-job, never after it finished

    settings = make_settings(
        home, chunk_min_s=15, chunk_target_s=30, chunk_max_s=45, chunk_overlap_s=5
    )
    with Library(settings) as library:
        [result] = list(library.local.ingest([TALK]))
        assert result.status == "indexed"
        counts = library.system.table_counts()
        assert counts["videos"] == 1 and counts["chunks"] == result.chunks
        assert len(library.indexes.snapshot(LOCAL_OWNER).vectors) == result.chunks
        assert np.array_equal(
            library.indexes.snapshot(LOCAL_OWNER).vectors.ids(),
            library.catalog.chunk_ids(owner_id=LOCAL_OWNER),
        )
        assert sorted(p.name for p in settings.layout.media_dir.iterdir()) == [
            f"{result.video_id}.mp4"
        ]
        interrupted = {"failed": 1} if state else {}
        # The interrupted video was purged; the rerun made it again, under a new random id.
        assert library.system.jobs_by_status() == {**interrupted, "succeeded": 1}
        codes = library.catalog.con.execute(
            "SELECT error_code FROM jobs WHERE status = 'failed'"
        ).fetchall()
        assert codes == ([("ingest.interrupted",)] if state else [])
    leftovers = [p for p in home.rglob("*") if p.name.endswith((".part", ".old"))]
    assert leftovers == []
