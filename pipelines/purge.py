"""Removing a video: its rows, vectors, clips, the reels that show it and its stored media.
Used by delete, by a failed ingest of a new video, and by start-up repair."""

from __future__ import annotations

from pipelines.config import Settings
from pipelines.records import Video
from pipelines.retrieval.indexes import SearchIndexes
from pipelines.storage.catalog import OwnerCatalog


def purge_video(
    video: Video, *, settings: Settings, catalog: OwnerCatalog, indexes: SearchIndexes
) -> None:
    """Removes a video's rows, vectors, clips, the reels that show it and stored media."""
    old_ids = catalog.chunk_ids(video.id)
    catalog.begin_delete(video)
    indexes.replace(catalog, old_ids=old_ids, new_ids=[], vectors=None)
    for clip in catalog.clips_of_video(video):
        if clip.path:
            (settings.home / clip.path).unlink(missing_ok=True)
    catalog.delete_clips_of_video(video)
    # A reel shows the deleted video's pictures and words, and counts against the quota that
    # deleting videos is the way to free: it goes too.
    for reel in catalog.reels_of_video(video):
        if reel.path:
            (settings.home / reel.path).unlink(missing_ok=True)
        catalog.delete_reel(reel.id)
    catalog.finish_delete(video)
    (settings.home / video.media_path).unlink(missing_ok=True)
