"""The storage quota decided in one place (``pipelines.quota``): videos, clips, reels and bytes
pending outside the catalog all count; the room to write a clip or a reel."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipelines.errors import VidscopeError
from pipelines.ingest import purge_video
from pipelines.quota import (
    count_pending,
    cut_bytes,
    ensure_output_room,
    ensure_upload_room,
    quota_left,
)
from pipelines.records import ReelPart
from pipelines.retrieval.indexes import SearchIndexes
from pipelines.storage.catalog import LOCAL_OWNER, Catalog
from tests.support.catalog import video
from tests.support.library import make_settings

QUOTA = 10_000
ROOM = 200_000  # a cut's estimate includes 64 KiB for its container


def test_clips_reels_and_pending_bytes_count_against_the_quota(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "lib", quota_bytes=QUOTA, min_free_bytes=0)
    catalog = Catalog(tmp_path / "c.duckdb")
    owner = catalog.for_owner(LOCAL_OWNER)
    catalog.upsert_processing_video(video("v1"))  # 100 bytes of media
    assert quota_left(settings=settings, catalog=owner) == QUOTA - 100

    clip_id = owner.add_clip(video_id="v1", start=0, end=5)
    assert quota_left(settings=settings, catalog=owner) == QUOTA - 100  # not written yet
    catalog.finish_clip(clip_id, path="clips/c.mp4", size_bytes=2_000)
    reel_id = owner.add_reel([ReelPart("v1", 0.0, 5.0)], options={})
    catalog.finish_reel(reel_id, path="clips/r.mp4", size_bytes=3_000)
    assert quota_left(settings=settings, catalog=owner) == QUOTA - 5_100

    # Bytes held elsewhere (the web page's uploads not yet sent on) count for every face.
    stop = count_pending(settings.home, lambda owner_id: 4_000 if owner_id == LOCAL_OWNER else 0)
    try:
        assert quota_left(settings=settings, catalog=owner) == QUOTA - 9_100
        with pytest.raises(VidscopeError) as refused:
            ensure_upload_room(1_000, settings=settings, catalog=owner)
        assert refused.value.code == "quota.exceeded"
        assert "VIDSCOPE_QUOTA_BYTES" in refused.value.message
        # Another library in the same process is not charged for them.
        other = make_settings(tmp_path / "other", quota_bytes=QUOTA, min_free_bytes=0)
        assert quota_left(settings=other, catalog=owner) == QUOTA - 5_100
    finally:
        stop()
    assert quota_left(settings=settings, catalog=owner) == QUOTA - 5_100

    # Deleting the video frees its clips and the reels that show it.
    indexes = SearchIndexes(tmp_path / "indexes")
    purge_video(owner.get_video("v1"), settings=settings, catalog=owner, indexes=indexes)
    assert quota_left(settings=settings, catalog=owner) == QUOTA


def test_a_clip_or_reel_is_refused_before_writing_without_room(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "lib", quota_bytes=ROOM, min_free_bytes=0)
    catalog = Catalog(tmp_path / "c.duckdb")
    owner = catalog.for_owner(LOCAL_OWNER)
    source = video("v1")
    catalog.upsert_processing_video(source)
    output = tmp_path / "clips" / "reel.mp4"

    estimate = cut_bytes(source, 0, 5)  # half of a 10 s, 100-byte video
    assert 50 <= estimate < ROOM  # the share, and a little for the container
    ensure_output_room(estimate, output=output, settings=settings, catalog=owner)
    with pytest.raises(VidscopeError) as over_quota:
        ensure_output_room(ROOM, output=output, settings=settings, catalog=owner, what="a reel")
    assert over_quota.value.code == "quota.exceeded"
    assert over_quota.value.message.startswith("a reel does not fit")

    # More than the disk holds: free space that grows meanwhile (another process deleting
    # files) cannot make room for it.
    margin = shutil.disk_usage(tmp_path).total + 1
    full = make_settings(tmp_path / "lib", quota_bytes=ROOM, min_free_bytes=margin)
    for check in (
        lambda: ensure_output_room(estimate, output=output, settings=full, catalog=owner),
        lambda: ensure_upload_room(estimate, settings=full, catalog=owner),
    ):
        with pytest.raises(VidscopeError) as no_room:
            check()
        assert no_room.value.code == "storage.full"
        assert "VIDSCOPE_MIN_FREE_BYTES" in no_room.value.message
