"""Backups: a consistent copy of a library in use, with a manifest of checksums; a restore
into a new folder that opens, lists, searches and streams as before; a partial or damaged
backup refused, naming the bad file, with nothing written. Also through a running server,
taken while it ingests (the CLI beside it asks the server, which owns the library)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pipelines.errors import VidscopeError
from pipelines.jobs.startup import library_worker
from pipelines.library import Library
from pipelines.storage.backup import check_backup, make_backup, restore_backup
from tests.support.library import TALK, make_settings
from tests.support.server import LONG_TALK, Server, environment

SLIDES = TALK.with_name("slides.mp4")


@pytest.fixture(scope="module")
def backed_up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Library, Path]]:
    folder = tmp_path_factory.mktemp("backup")
    with Library(make_settings(folder / "library")) as library:
        assert all(r.status == "indexed" for r in library.local.ingest([TALK, SLIDES]))
        [video] = [v for v in library.local.list_videos() if v.title == "talk"]
        library.local.clip(video.id, start=2, end=5, output=folder / "mine.mp4")
        clip_id, _ = library.local.queue_clip(video_id=video.id, start=4.0, end=8.0)
        library_worker(library).run(library.system.claim_job(lease_s=60))  # type: ignore[arg-type]
        report = make_backup(library.catalog, library.settings.layout, folder / "backup")
        assert report.videos == 2 and report.files >= 5
        yield library, report.path


def test_a_restored_library_opens_lists_searches_and_streams_as_before(
    backed_up: tuple[Library, Path], tmp_path: Path
) -> None:
    library, backup = backed_up
    report = restore_backup(backup, tmp_path / "restored")
    assert report.videos == 2
    with Library(make_settings(tmp_path / "restored")) as restored:
        before, after = library.local, restored.local
        assert [v.model_dump() for v in after.public_videos()] == [
            v.model_dump() for v in before.public_videos()
        ]
        for query in ("solar panels power", "order volume", "when does hiring start"):
            assert after.search(query) == before.search(query)
        for video in before.list_videos():
            assert (restored.settings.home / video.media_path).read_bytes() == (
                library.settings.home / video.media_path
            ).read_bytes()
        [clip] = [c for c in library.system.clip_paths()]
        assert (restored.settings.home / clip).is_file()  # the server's clip came along
        assert after.summary(before.list_videos()[0].id) is not None


def test_a_damaged_or_partial_backup_is_refused_naming_the_file(
    backed_up: tuple[Library, Path], tmp_path: Path
) -> None:
    _, backup = backed_up
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(backup), str(copy)], check=True)
    manifest = json.loads((copy / "manifest.json").read_text())
    media = next(f for f in manifest["files"] if f.startswith("media/"))
    with (copy / media).open("r+b") as handle:  # one byte changed in the middle
        handle.seek(1000)
        byte = handle.read(1)
        handle.seek(1000)
        handle.write(bytes([byte[0] ^ 0xFF]))
    for broken, code in (("damaged", "backup.damaged"), ("missing", "backup.incomplete")):
        if broken == "missing":
            (copy / media).unlink()
        with pytest.raises(VidscopeError) as refused:
            restore_backup(copy, tmp_path / "home")
        assert refused.value.code == code and media in refused.value.message
        assert not (tmp_path / "home").exists()  # nothing written
    (copy / "manifest.json").unlink()
    with pytest.raises(VidscopeError) as unfinished:
        check_backup(copy)
    assert unfinished.value.code == "backup.incomplete"


def test_a_backup_needs_a_new_folder_outside_the_library(
    backed_up: tuple[Library, Path], tmp_path: Path
) -> None:
    library, backup = backed_up
    layout = library.settings.layout
    for dest, code in ((backup, "backup.exists"), (layout.home / "b", "backup.inside_library")):
        with pytest.raises(VidscopeError) as refused:
            make_backup(library.catalog, layout, dest)
        assert refused.value.code == code
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("someone's file")
    with pytest.raises(VidscopeError) as occupied:
        restore_backup(backup, tmp_path / "full")
    assert occupied.value.code == "restore.home_not_empty"
    assert [p.name for p in (tmp_path / "full").iterdir()] == ["x"]


@pytest.mark.slow
def test_a_backup_through_the_server_while_it_ingests(tmp_path: Path) -> None:
    server = Server(tmp_path / "library", tmp_path / "server.log")
    try:
        token = (server.home / ".server" / "admin-token").read_text()
        admin = {"Authorization": f"Bearer {token}"}
        with LONG_TALK.open("rb") as handle:
            accepted = httpx.post(
                f"{server.url}/api/v1/videos",
                files={"file": ("long talk.ogg", handle, "audio/ogg")},
                headers=admin,
                timeout=60,
            )
        assert accepted.status_code == 202, accepted.text
        job_url = f"{server.url}/api/v1/jobs/{accepted.json()['job_id']}"
        deadline = time.monotonic() + 60
        while httpx.get(job_url, headers=admin).json()["status"] != "running":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        cli = [sys.executable, "-m", "app.cli"]
        taken = subprocess.run(
            [*cli, "backup", str(tmp_path / "backup")],
            env=environment(server.home),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert taken.returncode == 0, taken.stderr
        assert httpx.get(job_url, headers=admin).json()["status"] == "running"  # not stopped
        assert "backed up 1 videos" in taken.stderr
    finally:
        server.stop()
    restored = tmp_path / "restored"
    done = subprocess.run(
        [*cli, "restore", str(tmp_path / "backup")],
        env=environment(restored),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    # The job was running when the backup was taken: the restored library takes it up again
    # (its lease has run out) and finishes it once.
    with Library(make_settings(restored)) as library:
        worker = library_worker(library)
        worker.start()
        deadline = time.monotonic() + 120
        while library.local.list_videos()[0].status != "ready":
            assert time.monotonic() < deadline, library.local.list_videos()
            time.sleep(0.5)
        worker.stop()
        assert library.local.search("quarterly roadmap")
