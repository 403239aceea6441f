"""Highlight reels of an owner's videos: the best hits of a query, a file of hits, or a
video's key points (one per chapter), cut and joined (``editing.reels``)."""

from __future__ import annotations

from dataclasses import replace
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
        """What a reel shows (``editing.reels.choose_parts``)."""
        from pipelines.editing.reels import choose_parts

        return choose_parts(self, query=query, hits_file=hits_file, chapters_of=chapters_of)

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
        return make_reel(
            parts,
            Path(output),
            cut=lambda n, path: replace(plans[n], output=str(path)).cut(),
            clips=self.settings.clips,
            vertical=vertical,
            progress=progress,
        )
