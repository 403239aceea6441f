"""Highlight reels of an owner's videos: the best hits of a query, a file of hits, or a
video's key points (one per chapter), cut and joined (``editing.reels``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.services.clip_service import ClipService
from pipelines.services.summary_service import SummaryService

if TYPE_CHECKING:
    from pipelines.editing.reels import Progress, ReelPart


class ReelService(ClipService, SummaryService):
    def reel_parts(
        self,
        *,
        query: str | None = None,
        hits_file: Path | None = None,
        chapters_of: str | None = None,
    ) -> list[ReelPart]:
        """What a reel shows, from exactly one source: a query's best hits (each sentence,
        padded a little), a JSON file of hits, or a video's key points."""
        from pipelines.editing.reels import QUERY_HITS, choose_parts

        return choose_parts(
            query=query,
            hits_file=hits_file,
            chapters_of=chapters_of,
            search=lambda q: self.search(q, k=QUERY_HITS),
            key_points=lambda v: [(p.start, p.end) for p in self.summary(v).key_points],
            pad_s=self.settings.clips.padding_s,
        )

    def reel(
        self,
        parts: list[ReelPart],
        *,
        output: str | Path,
        vertical: bool = False,
        progress: Progress | None = None,
    ) -> Path:
        """Cuts and joins ``parts`` into ``output`` (.mp4); another owner's video in a part
        is ``video.not_found``, a bad range is named before anything is cut."""
        from pipelines.editing.reels import make_reel

        plans = [self.clip_plan(p.video_id, start=p.start, end=p.end, output=output) for p in parts]
        return make_reel(plans, Path(output), vertical=vertical, progress=progress)
