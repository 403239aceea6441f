from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from pipelines.library import Library
from pipelines.storage.catalog import LOCAL_OWNER
from tests.support.library import SILENT, TALK, make_settings


def library_files(library: Library) -> list[str]:
    return sorted(p.name for p in library.settings.layout.media_dir.iterdir())


def test_ingest_stores_under_generated_name(library: Library, talk_copy: Path) -> None:
    [result] = list(library.local.ingest([talk_copy]))
    assert result.status == "indexed" and result.chunks >= 4
    video = library.local.get_video(result.video_id)
    assert video.title == "Team Meeting (final)"  # the user's name is only a title
    assert library_files(library) == [f"{result.video_id}.mp4"]
    assert (
        library.settings.layout.media_dir / f"{result.video_id}.mp4"
    ).read_bytes() == TALK.read_bytes()
    assert library.indexes.in_step_with(library.catalog.for_owner(LOCAL_OWNER))
    assert len(library.indexes.snapshot(LOCAL_OWNER).vectors) == result.chunks


def test_same_content_twice_is_already_indexed(library: Library, talk_copy: Path) -> None:
    [first] = list(library.local.ingest([TALK]))
    counts = library.system.table_counts()
    [again] = list(library.local.ingest([talk_copy]))  # same bytes, other name
    assert again.status == "already_indexed" and again.video_id == first.video_id
    assert library.system.table_counts() == counts
    assert len(library.indexes.snapshot(LOCAL_OWNER).vectors) == first.chunks


def test_force_reprocesses_and_replaces(library: Library) -> None:
    [first] = list(library.local.ingest([TALK]))
    old_ids = library.catalog.chunk_ids(owner_id=LOCAL_OWNER, video_id=first.video_id)
    counts = library.system.table_counts()
    [forced] = list(library.local.ingest([TALK], force=True))
    assert forced.status == "indexed"
    new_ids = library.catalog.chunk_ids(owner_id=LOCAL_OWNER, video_id=first.video_id)
    assert not set(old_ids) & set(new_ids)  # replaced, not duplicated
    assert {k: v for k, v in library.system.table_counts().items() if k != "jobs"} == {
        k: v for k, v in counts.items() if k != "jobs"
    }
    assert np.array_equal(library.indexes.snapshot(LOCAL_OWNER).vectors.ids(), new_ids)
    assert library.catalog.job_counts(first.video_id) == {"succeeded": 2}


def test_video_without_audio_is_stored_without_speech(library: Library) -> None:
    [result] = list(library.local.ingest([SILENT]))
    assert result.status == "indexed" and result.chunks == 0
    video = library.local.get_video(result.video_id)
    assert video.status == "ready" and not video.has_audio


def test_folder_ingest_skips_non_media_and_bad_files_fail_alone(
    library: Library, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(TALK, inbox / "talk.mp4")
    (inbox / "notes.txt").write_text("not media, not even tried")
    (inbox / "page.mp4").write_text("<html>renamed web page</html>")
    (inbox / "empty.mov").touch()
    results = {Path(r.title).name: r for r in library.local.ingest([inbox])}
    assert set(results) == {"talk", "page", "empty"}
    assert results["talk"].status == "indexed"
    assert results["page"].error_code == "media.unsupported"
    assert results["empty"].error_code == "media.empty"
    assert len(library_files(library)) == 1  # rejected files leave nothing behind


def test_truncated_faststart_mp4_is_rejected_after_decoding(
    library: Library, tmp_path: Path
) -> None:
    from pipelines.media.ffmpeg import run_ffmpeg

    faststart = tmp_path / "faststart.mp4"  # index (moov) first, so the header survives
    run_ffmpeg(
        ["-i", str(TALK), "-c", "copy", "-movflags", "+faststart", str(faststart)], timeout_s=60
    )
    truncated = tmp_path / "download.mp4"
    truncated.write_bytes(faststart.read_bytes()[: faststart.stat().st_size // 2])
    [result] = list(library.local.ingest([truncated]))
    assert result.status == "failed" and result.error_code == "media.truncated"
    assert "truncated" in (result.message or "")
    assert library.system.table_counts()["videos"] == 0
    assert library_files(library) == []


def test_failure_after_storing_leaves_no_rows_vectors_or_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipelines import compute as compute_module
    from pipelines.errors import ProcessingError

    def broken_embedder(*args: object, **kwargs: object) -> None:
        raise ProcessingError("embedding failed", code="processing.embed")

    with Library(make_settings(tmp_path / "lib")) as library:
        monkeypatch.setattr(compute_module, "embed_texts", broken_embedder)
        [result] = list(library.local.ingest([TALK]))
        assert result.status == "failed" and result.error_code == "processing.embed"
        counts = library.system.table_counts()
        assert counts == {"videos": 0, "segments": 0, "words": 0, "chunks": 0, "jobs": 1}
        assert library_files(library) == []
        assert len(library.indexes.snapshot(LOCAL_OWNER).vectors) == 0


def test_failed_force_reingest_keeps_the_previous_version(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipelines import compute as compute_module
    from pipelines.errors import ProcessingError

    [first] = list(library.local.ingest([TALK]))
    counts = library.system.table_counts()

    def broken_embedder(*args: object, **kwargs: object) -> None:
        raise ProcessingError("embedding failed", code="processing.embed")

    monkeypatch.setattr(compute_module, "embed_texts", broken_embedder)
    [forced] = list(library.local.ingest([TALK], force=True))
    assert forced.status == "failed"
    assert library.local.get_video(first.video_id).status == "ready"
    assert library.system.table_counts() == {**counts, "jobs": counts["jobs"] + 1}
    assert library_files(library) == [f"{first.video_id}.mp4"]
    assert library.local.search("solar panels", k=1)[0].video_id == first.video_id


def test_delete_removes_rows_vectors_and_media(library: Library) -> None:
    [talk] = list(library.local.ingest([TALK]))
    [silent] = list(library.local.ingest([SILENT]))
    library.local.delete(talk.video_id)
    assert [v.id for v in library.local.list_videos()] == [silent.video_id]
    assert library.system.table_counts()["chunks"] == 0
    assert (
        len(library.indexes.snapshot(LOCAL_OWNER).vectors) == 0
        and len(library.indexes.snapshot(LOCAL_OWNER).lexical) == 0
    )
    assert library_files(library) == [f"{silent.video_id}.mp4"]


def test_reindex_and_startup_repair_rebuild_from_catalog(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "lib")
    with Library(settings) as library:
        [result] = list(library.local.ingest([TALK]))
        assert library.reindex() == result.chunks
        truth = library.catalog.chunk_ids(owner_id=LOCAL_OWNER)
    # Simulate a crash between the catalog commit and the index save: the index is stale.
    owner_index = settings.layout.index_dir / "owners" / LOCAL_OWNER
    (owner_index / "vectors.faiss").unlink()
    shutil.rmtree(owner_index / "lexical")
    (settings.layout.media_dir / "0123456789abcdef.mp4").write_bytes(b"orphan")
    settings.layout.staging_dir.mkdir()
    (settings.layout.staging_dir / "5eed.upload").write_bytes(
        b"half an upload"
    )  # a killed server's
    with Library(settings) as library:
        assert np.array_equal(library.indexes.snapshot(LOCAL_OWNER).vectors.ids(), truth)
        assert library.local.search("solar panels", k=1)[0].video_id == result.video_id
        assert library_files(library) == [f"{result.video_id}.mp4"]
        assert list(settings.layout.staging_dir.iterdir()) == []


def test_startup_finishes_an_interrupted_delete(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "lib")
    with Library(settings) as library:
        [result] = list(library.local.ingest([TALK]))
        library.catalog.begin_delete(result.video_id)  # the process dies here
    with Library(settings) as library:
        assert library.local.list_videos() == []
        assert library_files(library) == []
        assert (
            len(library.indexes.snapshot(LOCAL_OWNER).vectors) == 0
            and len(library.indexes.snapshot(LOCAL_OWNER).lexical) == 0
        )


def test_death_during_the_index_write_after_the_commit_keeps_the_video_ready(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipelines.retrieval.indexes import SearchIndexes

    def killed(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # what the process sees of a kill at this point

    settings = make_settings(tmp_path / "lib")
    with Library(settings) as library:
        monkeypatch.setattr(SearchIndexes, "replace", killed)
        with pytest.raises(KeyboardInterrupt):
            list(library.local.ingest([TALK]))
        monkeypatch.undo()
    with Library(settings) as library:  # start-up repair
        [video] = library.local.list_videos()
        assert video.status == "ready"
        assert library.catalog.job_counts(video.id) == {"succeeded": 1}  # not 'interrupted'
        assert np.array_equal(
            library.indexes.snapshot(LOCAL_OWNER).vectors.ids(),
            library.catalog.chunk_ids(owner_id=LOCAL_OWNER),
        )
        assert library.local.search("solar panels on the roof", k=1)[0].video_id == video.id


def test_the_shared_index_of_an_older_release_gives_way_to_per_owner_indexes(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path / "lib")
    with Library(settings) as library:
        [result] = list(library.local.ingest([TALK]))
    # What a release before owners left: one index for the whole library.
    (settings.layout.index_dir / "vectors.faiss").write_bytes(b"stale")
    (settings.layout.index_dir / "lexical").mkdir()
    shutil.rmtree(settings.layout.index_dir / "owners")
    with Library(settings) as library:
        assert sorted(p.name for p in settings.layout.index_dir.iterdir()) == ["owners"]
        assert library.local.search("solar panels", k=1)[0].video_id == result.video_id


def test_video_is_ready_only_once_search_finds_it(
    library: Library, talk_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client that sees 'ready' searches at once: the passages must be in the indexes
    before the status says so (it was the other way round, and a search right after 'ready'
    once found nothing)."""
    seen: list[tuple[str, dict[str, int]]] = []
    publish = library.indexes.replace

    def publish_and_look(catalog: object, **kwargs: object) -> None:
        [video] = library.system.videos()
        seen.append((video.status, library.catalog.job_counts(video.id)))
        publish(catalog, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(library.indexes, "replace", publish_and_look)
    [result] = list(library.local.ingest([talk_copy]))
    assert seen == [("processing", {"running": 1})]
    assert library.local.get_video(result.video_id).status == "ready"
    assert library.catalog.job_counts(result.video_id) == {"succeeded": 1}
    assert library.local.search("meeting", k=3)
