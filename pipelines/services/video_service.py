"""Reading and removing an owner's videos: lists, counts, the public view every face shows,
transcripts, the account and its audit events."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipelines.logs import get_logger
from pipelines.purge import purge_video
from pipelines.records import User, Video
from pipelines.services.scope import OwnerScope

if TYPE_CHECKING:  # the public models load when a face shows one: a clip needs none
    from pipelines.public import VideoPublic

log = get_logger(__name__)


class VideoService(OwnerScope):
    def list_videos(self, *, limit: int | None = None, offset: int = 0) -> list[Video]:
        return self._catalog.list_videos(limit=limit, offset=offset)

    def count_videos(self) -> int:
        return self._catalog.count_videos()

    def sentence_counts(self) -> dict[str, int]:
        """Transcribed sentences per video id; a video with none (no speech found) is absent."""
        return self._catalog.segment_counts()

    def quota_left(self) -> int:
        """Bytes the owner may still store (``VIDSCOPE_QUOTA_BYTES``, less their videos, clips,
        reels and bytes pending elsewhere: ``pipelines.quota.quota_left``, the one place that
        decides)."""
        from pipelines.quota import quota_left

        return quota_left(settings=self.settings, catalog=self._catalog)

    def public_videos(self, *, limit: int | None = None, offset: int = 0) -> list[VideoPublic]:
        """The owner's videos as every face shows them (API, CLI --json, web)."""
        from pipelines.public import VideoPublic

        sentences = self.sentence_counts()
        passages = self._catalog.passage_counts()
        return [
            VideoPublic.of(
                v,
                sentences=sentences.get(v.id, 0),
                passages=passages.get(v.id, 0),
                media_missing=self._media_missing(v),
            )
            for v in self.list_videos(limit=limit, offset=offset)
        ]

    def public_video(self, video_id: str) -> VideoPublic:
        from pipelines.public import VideoPublic

        video = self.get_video(video_id)
        sentences = self.sentence_counts().get(video_id, 0)
        passages = self._catalog.passage_counts().get(video_id, 0)
        return VideoPublic.of(
            video, sentences=sentences, passages=passages, media_missing=self._media_missing(video)
        )

    def _media_missing(self, video: Video) -> bool:
        # Looked at each time it is shown (one stat): a file deleted or a disk lost while
        # the server runs shows at once, and comes back when the file does.
        return video.status == "ready" and not (self.settings.home / video.media_path).is_file()

    def transcript(self, video_id: str, fmt: str = "txt") -> str:
        from pipelines.speech import export as transcripts

        return transcripts.export_transcript(self._catalog.segments(video_id), fmt)

    def user(self) -> User:
        """The owner's account."""
        return self._catalog.user()

    def delete(self, video_id: str) -> None:
        """Removes a video's rows, vectors, clips and stored media."""
        video = self.get_video(video_id)
        purge_video(video, settings=self.settings, catalog=self._catalog, indexes=self.indexes)
        log.info("video.deleted", video_id=video_id, owner_id=self.owner_id)
