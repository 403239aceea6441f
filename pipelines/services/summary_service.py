"""A video's summary, key points and chapters (``understanding.chapters``), made once from its
stored sentence embeddings and kept in the catalog until the video is ingested again."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pipelines.errors import QueryError
from pipelines.services.scope import OwnerScope

if TYPE_CHECKING:  # the public models load when a face shows one: a clip needs none
    from pipelines.public import SummaryPublic

METHOD = "extractive"
# What the catalog keeps a summary under: the method and the version of its rules, so a summary
# made by older rules is made again rather than served.
STORED_AS = f"{METHOD}/2"
ChapterFormat = Literal["youtube", "vtt"]


class SummaryService(OwnerScope):
    def summary(self, video_id: str) -> SummaryPublic:
        from pipelines.public import SummaryPublic

        fingerprint, stored = self._catalog.stored_summary(video_id, method=STORED_AS)
        if stored is not None:
            return SummaryPublic.model_validate_json(stored)
        from pipelines.understanding.chapters import summarize

        video = self.get_video(video_id)
        segments, vectors = self._catalog.sentences(video_id)
        made = SummaryPublic.of(video_id, summarize(segments, vectors, video.duration), METHOD)
        self._catalog.store_summary(
            video_id, method=STORED_AS, fingerprint=fingerprint, payload=made.model_dump_json()
        )
        return made

    def chapters(self, video_id: str, fmt: ChapterFormat = "youtube") -> str:
        """The chapters as YouTube description lines or as a WebVTT chapters track."""
        from pipelines.understanding.chapters import Chapter, webvtt_chapters, youtube_chapters

        if fmt not in ("youtube", "vtt"):
            raise QueryError(
                f"unknown chapter format {fmt!r}; use youtube or vtt", code="chapters.bad_format"
            )
        chapters = [
            Chapter(start=c.start, end=c.end, title=c.title)
            for c in self.summary(video_id).chapters
        ]
        return youtube_chapters(chapters) if fmt == "youtube" else webvtt_chapters(chapters)
