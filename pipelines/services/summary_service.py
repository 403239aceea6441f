"""A video's summary, key points and chapters (``understanding.summaries``): made by the
ingest job's "summary" stage once the video is searchable, kept in the catalog until the
video is ingested again or the rules or writer change, made on demand when missing, and made
again when asked (``regenerate``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pipelines.errors import QueryError, VidscopeError
from pipelines.services.scope import OwnerScope
from pipelines.understanding.summaries import (
    EXTRACTIVE,
    SummaryOptions,
    stored_as,
    summarize_stored,
)

if TYPE_CHECKING:  # the public models load when a face shows one: a clip needs none
    from pipelines.public import SummaryPublic

# The extractive rules' key, which older code imported: a summary kept under another key
# (older rules, another writer) is made again rather than served.
METHOD = EXTRACTIVE
STORED_AS = stored_as(EXTRACTIVE)
ChapterFormat = Literal["youtube", "vtt"]


class SummaryError(VidscopeError):
    """A summary that cannot be shown yet (``summary.*``)."""

    code = "summary.pending"


class SummaryService(OwnerScope):
    def summary(self, video_id: str, *, regenerate: bool = False) -> SummaryPublic:
        """The stored summary; made now when there is none (or ``regenerate``). Raises
        ``summary.pending`` while the video's ingest job is making it or the video is not
        searchable yet."""
        from pipelines.public import SummaryPublic

        video = self.get_video(video_id)
        options = SummaryOptions.from_settings(self.settings)
        job = self._catalog.latest_job(video_id)
        if video.status != "ready":
            raise SummaryError(
                "this video is still being processed; its summary is made once it is "
                "searchable — ask again when its job is done",
                code="summary.not_ready",
            )
        if not regenerate:
            _, stored = self._catalog.stored_summary(video_id, method=options.stored_as)
            if stored is not None:
                return SummaryPublic.model_validate_json(stored)
            if job is not None and job.status == "running" and job.stage == "summary":
                raise SummaryError(
                    f"the summary is being made by job {job.id} "
                    f"({round(100 * job.progress)} %); ask again in a moment",
                    job_id=job.id,
                )
        stored = summarize_stored(self._catalog, video_id, video.duration, options)
        return SummaryPublic.model_validate_json(stored)

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
