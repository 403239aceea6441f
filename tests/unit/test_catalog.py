from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pytest

from pipelines.errors import NotFoundError, VidscopeError
from pipelines.records import Segment, Video, Word
from pipelines.storage.catalog import LOCAL_OWNER, SCHEMA_VERSION, Catalog, schema
from tests.support.catalog import fill, vectors, video


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
    upgraded = (*schema.MIGRATIONS, ("ALTER TABLE videos ADD COLUMN note VARCHAR",))
    monkeypatch.setattr(schema, "MIGRATIONS", upgraded)
    cat = Catalog(path)
    assert cat.schema_version() == len(upgraded)
    assert cat.get_video("v1", owner_id=LOCAL_OWNER).status == "ready"  # data survived
    cat.con.execute("SELECT note FROM videos").fetchall()


def test_a_library_from_before_owners_belongs_to_the_local_owner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Schema v2 (the release before owners): its videos, transcripts and jobs come through
    the rebuild of the tables, owned by the local owner, with the same ids."""
    path = tmp_path / "c.duckdb"
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:2])
    old = Catalog(path)
    old.con.execute(
        "INSERT INTO videos (id, sha256, title, status, duration, container, media_path, "
        "has_audio, has_video, size_bytes, audio_track, audio_tracks) VALUES "
        "('aaaaaaaaaaaaaaaa', ?, 'old talk', 'ready', 10, 'mp4', 'media/a.mp4', true, true, "
        "100, 0, 1)",
        ["a" * 64],
    )
    old.con.execute(
        'INSERT INTO segments (id, video_id, idx, start, "end", text, embedding, speaker) '
        "VALUES (1, 'aaaaaaaaaaaaaaaa', 0, 0.5, 2.0, 'hello there', ?, 'Left')",
        [np.ones(4, dtype=np.float32).tobytes()],
    )
    old.con.execute("INSERT INTO words VALUES ('aaaaaaaaaaaaaaaa', 0, 0, 0.5, 1.0, 'hello', 0.9)")
    old.con.execute(
        'INSERT INTO chunks (id, video_id, idx, start, "end", text, first_segment, '
        "last_segment, segment_ids, embedding) VALUES "
        "(7, 'aaaaaaaaaaaaaaaa', 0, 0.5, 2.0, 'hello there', 0, 0, [1], ?)",
        [np.ones(4, dtype=np.float32).tobytes()],
    )
    old.con.execute(
        "INSERT INTO jobs (id, kind, video_id, status) VALUES ('j1', 'ingest', "
        "'aaaaaaaaaaaaaaaa', 'succeeded')"
    )
    old.close()
    monkeypatch.undo()

    cat = Catalog(path)
    assert cat.schema_version() == SCHEMA_VERSION
    moved = cat.get_video("aaaaaaaaaaaaaaaa", owner_id=LOCAL_OWNER)
    assert (moved.title, moved.status, moved.audio_tracks) == ("old talk", "ready", 1)
    [segment] = cat.segments(moved.id)
    assert (segment.text, segment.speaker, segment.words[0].text) == (
        "hello there",
        "Left",
        "hello",
    )
    assert list(cat.chunk_ids(owner_id=LOCAL_OWNER)) == [7]
    job = cat.get_job("j1", owner_id=LOCAL_OWNER)
    assert (job.status, job.attempts, job.progress) == ("succeeded", 1, 1.0)
    # The sequences go on past the old rows, and the same file may now have two owners.
    cat.add_user(username="alice", password_hash="x")
    alice = cat.find_user("alice")
    assert alice is not None
    cat.upsert_processing_video(
        Video(**{**video("b1").__dict__, "sha256": "a" * 64, "owner_id": alice.id})
    )
    with pytest.raises(duckdb.ConstraintException):
        cat.upsert_processing_video(Video(**{**video("b2").__dict__, "sha256": "a" * 64}))


def test_newer_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.duckdb"
    Catalog(path).con.execute("INSERT INTO schema_version (version) VALUES (999)")
    with pytest.raises(VidscopeError) as caught:
        Catalog(path)
    assert caught.value.code == "library.too_new"


def test_replace_transcript_writes_everything(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c.duckdb")
    ids = fill(cat)
    assert cat.system().table_counts() == {
        "videos": 1,
        "segments": 2,
        "words": 4,
        "chunks": 1,
        "jobs": 0,
    }
    assert list(cat.chunk_ids(owner_id=LOCAL_OWNER, video_id="v1")) == ids
    [segment_a, _] = cat.segments("v1")
    assert segment_a.words[1] == Word(1.1, 2.0, "there", 1.0)
    [passage] = cat.passages(ids, owner_id=LOCAL_OWNER).values()
    assert passage.title == "t"
    assert [s.text for s in passage.sentences] == ["hello there", "general kenobi"]


def test_replace_is_idempotent_and_atomic(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c.duckdb")
    fill(cat)
    first = cat.system().table_counts()
    fill(cat)  # a re-run replaces, never duplicates
    assert cat.system().table_counts() == first
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
    assert cat.system().table_counts() == first  # the failed transaction changed nothing
    assert cat.get_video("v1", owner_id=LOCAL_OWNER).status == "ready"


def test_status_check_constraint(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c.duckdb")
    cat.upsert_processing_video(video())
    with pytest.raises(duckdb.ConstraintException):
        cat.con.execute("UPDATE videos SET status = 'bogus'")


def test_two_step_delete(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c.duckdb")
    fill(cat)
    cat.begin_delete("v1")
    assert cat.get_video("v1", owner_id=LOCAL_OWNER).status == "deleting"
    assert cat.system().table_counts()["chunks"] == 0
    cat.finish_delete("v1")
    with pytest.raises(NotFoundError):
        cat.get_video("v1", owner_id=LOCAL_OWNER)


def test_second_process_gets_locked_error(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "c.duckdb"
    holder = Catalog(path)
    code = (
        "import sys; from pathlib import Path; from pipelines.storage.catalog import Catalog\n"
        "from pipelines.errors import VidscopeError\n"
        f"try:\n    Catalog(Path({str(path)!r}))\nexcept VidscopeError as e:\n    print(e.code)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    holder.close()
    assert out.stdout.strip() == "library.locked"


def test_recovery_requeues_resumable_jobs_and_leaves_queued_ones(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c.duckdb")
    cli_job = cat.add_job(kind="ingest", owner_id=LOCAL_OWNER, video_id="v1")
    waiting = cat.add_job(
        kind="ingest",
        owner_id=LOCAL_OWNER,
        status="queued",
        payload={"resumable": True},
        max_attempts=2,
    )
    claimed = cat.system().claim_job(lease_s=60)
    assert claimed is not None and claimed.id == waiting and claimed.attempts == 1
    queued = cat.add_job(kind="ingest", owner_id=LOCAL_OWNER, status="queued")
    # Only leases that ran out are taken back while the worker lives.
    assert cat.system().recover_jobs(expired_only=True) == ([], [])
    assert cat.system().recover_jobs(expired_only=False) == ([waiting], [cli_job])
    assert cat.system().job(cli_job).error_code == "ingest.interrupted"
    assert cat.system().job(queued).status == "queued"  # a durable queue
    again = cat.system().claim_job(lease_s=60)
    assert again is not None and again.id == waiting and again.attempts == 2
    # Out of attempts: the next recovery fails it.
    assert cat.system().recover_jobs(expired_only=False) == ([], [waiting])


def test_another_owners_rows_are_not_found(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c.duckdb")
    fill(cat)
    alice = cat.add_user(username="alice", password_hash="x")
    with pytest.raises(NotFoundError):
        cat.get_video("v1", owner_id=alice.id)
    assert cat.list_videos(owner_id=alice.id) == []
    assert len(cat.chunk_ids(owner_id=alice.id)) == 0
    job = cat.add_job(kind="ingest", owner_id=LOCAL_OWNER)
    with pytest.raises(NotFoundError):
        cat.get_job(job, owner_id=alice.id)


def test_an_owner_view_sees_only_its_owners_rows(tmp_path: Path) -> None:
    """Every read of ``catalog.for_owner(alice)`` — by id, by list, by passage id — finds
    nothing of the local owner's, and a write handed the local owner's video is refused."""
    cat = Catalog(tmp_path / "c.duckdb")
    ids = fill(cat)
    clip = cat.add_clip(owner_id=LOCAL_OWNER, video_id="v1", start=0.0, end=1.0)
    job = cat.add_job(kind="ingest", owner_id=LOCAL_OWNER, video_id="v1")
    alice = cat.for_owner(cat.add_user(username="alice", password_hash="x").id)
    local = cat.for_owner(LOCAL_OWNER)
    for read in (
        lambda: alice.get_video("v1"),
        lambda: alice.segments("v1"),
        lambda: alice.get_job(job),
        lambda: alice.get_clip(clip),
        lambda: alice.finish_job(job),
        lambda: alice.add_clip(video_id="v1", start=0.0, end=1.0),
        lambda: alice.begin_delete(local.get_video("v1")),
    ):
        with pytest.raises(NotFoundError):
            read()
    assert alice.list_videos() == [] and alice.count_videos() == 0
    assert alice.passages(ids) == {} and len(alice.chunk_ids()) == 0
    assert alice.latest_job("v1") is None
    assert alice.segment_counts() == {} and alice.stored_bytes() == 0
    # The owner's own view sees all of it, and the system view sees every owner.
    assert set(local.passages(ids)) == set(ids) and local.get_job(job).id == job
    assert [v.id for v in cat.system().videos()] == ["v1"]
    assert cat.get_video("v1", owner_id=LOCAL_OWNER).status == "ready"  # nothing was changed
