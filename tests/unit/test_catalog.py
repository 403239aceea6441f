from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pytest

from pipelines import catalog as catalog_module
from pipelines.catalog import SCHEMA_VERSION, Catalog
from pipelines.errors import NotFoundError, VidscopeError
from pipelines.records import Chunk, Segment, Video, Word


def video(video_id: str = "v1") -> Video:
    return Video(
        id=video_id,
        sha256=video_id[0] * 64,
        title="t",
        status="processing",
        duration=10.0,
        container="mp4",
        media_path=f"media/{video_id}.mp4",
        has_audio=True,
        has_video=True,
        size_bytes=100,
    )


SEGMENTS = [
    Segment(0.5, 2.0, "hello there", (Word(0.5, 1.0, "hello"), Word(1.1, 2.0, "there"))),
    Segment(2.5, 4.0, "general kenobi", (Word(2.5, 3.0, "general"), Word(3.1, 4.0, "kenobi"))),
]
CHUNKS = [Chunk(0.5, 4.0, "hello there general kenobi", 0, 1)]


def vectors(n: int) -> np.ndarray:
    return np.ones((n, 4), dtype=np.float32)


def fill(cat: Catalog, video_id: str = "v1") -> list[int]:
    cat.upsert_processing_video(video(video_id))
    return cat.replace_transcript(
        video_id=video_id,
        language="en",
        segments=SEGMENTS,
        chunks=CHUNKS,
        chunk_vectors=vectors(1),
        segment_vectors=vectors(2),
    )


def test_new_catalog_is_at_latest_version(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c.duckdb")
    assert cat.schema_version() == SCHEMA_VERSION


def test_opening_older_file_applies_new_migrations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.duckdb"
    old = Catalog(path)
    fill(old)
    old.close()
    upgraded = (*catalog_module.MIGRATIONS, ("ALTER TABLE videos ADD COLUMN speaker VARCHAR",))
    monkeypatch.setattr(catalog_module, "MIGRATIONS", upgraded)
    monkeypatch.setattr(catalog_module, "SCHEMA_VERSION", len(upgraded))
    cat = Catalog(path)
    assert cat.schema_version() == len(upgraded)
    assert cat.get_video("v1").status == "ready"  # data survived the upgrade
    cat.con.execute("SELECT speaker FROM videos").fetchall()


def test_newer_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.duckdb"
    Catalog(path).con.execute("INSERT INTO schema_version (version) VALUES (999)")
    with pytest.raises(VidscopeError) as caught:
        Catalog(path)
    assert caught.value.code == "library.too_new"


def test_replace_transcript_writes_everything(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c.duckdb")
    ids = fill(cat)
    assert cat.table_counts() == {"videos": 1, "segments": 2, "words": 4, "chunks": 1, "jobs": 0}
    assert list(cat.chunk_ids("v1")) == ids
    [segment_a, _] = cat.segments("v1")
    assert segment_a.words[1] == Word(1.1, 2.0, "there", 1.0)
    [passage] = cat.passages(ids).values()
    assert passage.title == "t"
    assert [s.text for s in passage.sentences] == ["hello there", "general kenobi"]


def test_replace_is_idempotent_and_atomic(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c.duckdb")
    fill(cat)
    first = cat.table_counts()
    fill(cat)  # a re-run replaces, never duplicates
    assert cat.table_counts() == first
    bad = [Segment(5.0, 4.0, "ends before it starts")]  # violates CHECK (start < end)
    with pytest.raises(duckdb.ConstraintException):
        cat.replace_transcript(
            video_id="v1",
            language="en",
            segments=bad,
            chunks=[],
            chunk_vectors=vectors(0),
            segment_vectors=vectors(1),
        )
    assert cat.table_counts() == first  # the failed transaction changed nothing
    assert cat.get_video("v1").status == "ready"


def test_status_check_constraint(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c.duckdb")
    cat.upsert_processing_video(video())
    with pytest.raises(duckdb.ConstraintException):
        cat.con.execute("UPDATE videos SET status = 'bogus'")


def test_two_step_delete(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c.duckdb")
    fill(cat)
    cat.begin_delete("v1")
    assert cat.get_video("v1").status == "deleting"
    assert cat.table_counts()["chunks"] == 0
    cat.finish_delete("v1")
    with pytest.raises(NotFoundError):
        cat.get_video("v1")


def test_second_process_gets_locked_error(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "c.duckdb"
    holder = Catalog(path)
    code = (
        "import sys; from pathlib import Path; from pipelines.catalog import Catalog\n"
        "from pipelines.errors import VidscopeError\n"
        f"try:\n    Catalog(Path({str(path)!r}))\nexcept VidscopeError as e:\n    print(e.code)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    holder.close()
    assert out.stdout.strip() == "library.locked"


def test_stale_jobs_are_marked_interrupted(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c.duckdb")
    job = cat.start_job(kind="ingest", video_id="v1")
    assert cat.interrupt_stale_jobs() == 1
    row = cat.con.execute("SELECT status, error_code FROM jobs WHERE id = ?", [job]).fetchone()
    assert row == ("failed", "ingest.interrupted")
