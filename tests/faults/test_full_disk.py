"""A full disk: every step that writes checks the space first (`storage.full`, naming what is
needed and what is free; the API answers 507) and an ENOSPC that still happens mid-write is
caught where it happens — media store, catalog commit, index save, clip, transcript export,
backup — and leaves nothing half-written. Each runs on a small tmpfs, filled for real."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from app.api.main import create_app
from pipelines.errors import VidscopeError
from pipelines.library import Library
from pipelines.retrieval.indexes import SearchIndexes
from pipelines.storage.catalog import Catalog
from pipelines.storage.files import atomic_write, store_media
from tests.support.api import PASSWORD, api_settings
from tests.support.attacker import page_session
from tests.support.faults import (
    copy_library,
    fill,
    library_state,
    partial_files,
    run_cli,
    small_disk,
)
from tests.support.library import TALK, make_settings

DISK = 24 * 2**20


@pytest.mark.slow
def test_an_ingest_that_would_fill_the_disk_is_refused_first(
    pristine: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    with small_disk(tmp_path / "disk", DISK) as disk:
        home = copy_library(pristine[0], disk / "library")
        before = library_state(home)
        fill(disk, leave_bytes=2 * 2**20)
        refused = run_cli(home, "ingest", str(TALK), "--force")  # margin: 256 MiB by default
        assert refused.code == 1
        assert "[storage.full]" in refused.err and "MB free" in refused.err, refused.err
        assert "VIDSCOPE_MIN_FREE_BYTES" in refused.err and "Traceback" not in refused.err
        assert library_state(home) == before and partial_files(home) == []


@pytest.mark.slow
def test_enospc_mid_write_leaves_nothing_half_written(
    pristine: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    home = copy_library(pristine[0], tmp_path / "library")
    video_id = pristine[1]["local"]
    with small_disk(tmp_path / "disk", DISK) as disk:
        filler = fill(disk, leave_bytes=0)

        # The media store (and every file published with atomic_write: shards, manifests).
        with pytest.raises(VidscopeError) as stored:
            store_media(TALK, disk / "media" / "talk.mp4")
        assert stored.value.code == "storage.full"
        assert list((disk / "media").iterdir()) == []
        # A Parquet file written as batch workers write their shards (pyarrow, atomic_write).
        with pytest.raises(VidscopeError) as shard:
            with atomic_write(disk / "shards" / "video.parquet") as partial:
                rows = [{"text": "a passage " * 100} for _ in range(2000)]
                pq.write_table(pa.Table.from_pylist(rows), partial)
        assert shard.value.code == "storage.full"
        assert list((disk / "shards").iterdir()) == []

        # A clip cut onto the full disk (FFmpeg meets ENOSPC).
        with Library(make_settings(home)) as library:
            plan = library.local.clip_plan(video_id, start=0, end=20, output=disk / "clip.mp4")
            with pytest.raises(VidscopeError) as cut:
                plan.cut()
        assert cut.value.code == "storage.full"
        assert sorted(p.name for p in disk.iterdir()) == ["filler", "media", "shards"]

        # A transcript exported onto it, and a backup.
        exported = run_cli(home, "transcript", video_id, "-o", str(disk / "talk.srt"))
        assert exported.code == 1 and "[storage.full]" in exported.err, exported.err
        backed_up = run_cli(home, "backup", str(disk / "backup"))
        assert backed_up.code == 1 and "[storage.full]" in backed_up.err, backed_up.err
        assert sorted(p.name for p in disk.iterdir()) == ["filler", "media", "shards"]
        filler.unlink()


@pytest.mark.slow
def test_enospc_in_the_catalog_and_the_indexes_keeps_what_was_there(
    pristine: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    with small_disk(tmp_path / "disk", DISK) as disk:
        home = copy_library(pristine[0], disk / "library")
        before = library_state(home)
        catalog = Catalog(home / "catalog.duckdb")
        try:
            filler = fill(disk, leave_bytes=32 * 2**10)
            # A commit whose log cannot be written: DuckDB rolls it back.
            with pytest.raises(VidscopeError) as committed:
                with catalog.transaction():
                    catalog.con.execute(
                        "INSERT INTO audit (event, detail) "
                        "SELECT 'filler', repeat('x', 2000) FROM range(5000)"
                    )
            assert committed.value.code == "storage.full"
            # An index rebuild whose files cannot be written: the old ones stay.
            filler.unlink()
            filler = fill(disk, leave_bytes=0)
            indexes = SearchIndexes(home / "index")
            with pytest.raises(VidscopeError) as saved:
                indexes.rebuild(catalog.for_owner("local"))
            assert saved.value.code == "storage.full"
            filler.unlink()
        finally:
            catalog.close()
        assert library_state(home) == before and partial_files(home) == []
        doctor = run_cli(home, "doctor", VIDSCOPE_MIN_FREE_BYTES="0")
        assert doctor.code == 0, doctor.out  # the old indexes load and agree with the catalog


@pytest.mark.slow
def test_the_api_refuses_an_upload_with_507_and_readyz_says_the_disk_is_degraded(
    pristine: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    home = copy_library(pristine[0], tmp_path / "library")
    free = shutil.disk_usage(home).free
    settings = api_settings(home, min_free_bytes=free + 2**30)  # more than this disk has
    with TestClient(create_app(settings, start_worker=False)) as client:
        ready = client.get("/readyz").json()
        assert ready["checks"]["disk"]["status"] == "degraded"
        assert "VIDSCOPE_MIN_FREE_BYTES" in ready["checks"]["disk"]["detail"]
        token = client.post(
            "/api/v1/auth/login", json={"username": "alice", "password": PASSWORD}
        ).json()["access_token"]
        with TALK.open("rb") as handle:
            answer = client.post(
                "/api/v1/videos",
                files={"file": ("talk.mp4", handle, "video/mp4")},
                headers={"Authorization": f"Bearer {token}"},
            )
        assert answer.status_code == 507
        error = answer.json()["error"]
        assert error["code"] == "storage.full" and "free" in error["message"]


@pytest.mark.slow
def test_the_web_page_refuses_an_upload_the_disk_cannot_hold(
    pristine: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    home = copy_library(pristine[0], tmp_path / "library")
    free = shutil.disk_usage(home).free
    settings = api_settings(home, min_free_bytes=free + 2**30)  # more than this disk has
    with TestClient(create_app(settings, start_worker=False, web=True)) as client:
        signed = client.post("/login", data={"username": "alice", "password": PASSWORD})
        with TALK.open("rb") as handle:
            answer = client.post(
                "/gradio_api/upload",
                files={"files": ("talk.mp4", handle, "video/mp4")},
                headers={"X-Vidscope-Session": page_session(signed.text)},
            )
        assert answer.status_code == 507, answer.text
        error = answer.json()["error"]
        assert error["code"] == "storage.full" and "VIDSCOPE_MIN_FREE_BYTES" in error["message"]
        assert not any((home / "staging" / "web").rglob("*.mp4"))  # nothing was stored
    assert partial_files(home) == []
