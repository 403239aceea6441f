"""Highlight reels of an owner's videos: the best hits of a query, a file of hits, or a
video's key points (one per chapter), chosen (``editing.reel_parts``), then cut and joined
(``editing.reels``) now (the CLI on its own) or recorded and queued for the worker (the server;
the CLI beside a server asks it so)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.errors import ClipError
from pipelines.records import Progress, Reel, ReelPart
from pipelines.services.clip_service import ClipService
from pipelines.services.summary_service import SummaryService

if TYPE_CHECKING:
    from pipelines.editing.clips import ClipPlan
    from pipelines.editing.reels import ReelPlan


class ReelService(ClipService, SummaryService):
    def reel_parts(
        self,
        *,
        query: str | None = None,
        hits_file: Path | None = None,
        chapters_of: str | None = None,
    ) -> list[ReelPart]:
        """What a reel shows (``editing.reel_parts``): parts chosen from a query or a video's
        key points begin and end between sentences of one topic; ranges from a hits file are
        kept as given."""
        from pipelines.editing import reel_parts

        return reel_parts.reel_parts(
            self, query=query, hits_file=hits_file, chapters_of=chapters_of
        )

    def screen_changes(self, video_id: str) -> list[float]:
        """When the on-screen text of one of the owner's videos changes: its screen passages'
        starts, in time order (none without screen text)."""
        passages = self._catalog.passages(self._catalog.chunk_ids(video_id).tolist())
        return sorted(p.start for p in passages.values() if p.source == "screen")

    def reel(
        self,
        parts: list[ReelPart],
        *,
        output: str | Path,
        vertical: bool = False,
        subtitles: bool = False,
        title_cards: bool = False,
        progress: Progress | None = None,
    ) -> Path:
        """Cuts and joins ``parts`` into ``output`` (.mp4); another owner's video in a part
        is ``video.not_found``, a bad range or a reel over its limits (``reel.too_long``,
        ``reel.too_many_parts``) is named before anything is cut. ``subtitles`` burns in
        what is said, ``title_cards`` shows each part's chapter title (with the video's title
        and the time) first."""
        plan = self.reel_plan(
            parts, output=output, vertical=vertical, subtitles=subtitles, title_cards=title_cards
        )
        return plan.make(progress)

    def reel_plan(
        self,
        parts: list[ReelPart],
        *,
        output: str | Path,
        vertical: bool = False,
        subtitles: bool = False,
        title_cards: bool = False,
    ) -> ReelPlan:
        """Everything ``reel`` needs, checked, as plain data: the job worker's compute process
        makes it (cuts, joins and composes, away from the server)."""
        from pipelines.editing.compose import part_texts
        from pipelines.editing.reel_parts import chapter_titles
        from pipelines.editing.reels import ReelPlan
        from pipelines.quota import ensure_output_room

        parts, plans = self._checked_parts(parts, output=Path(output))
        ensure_output_room(
            self._reel_bytes(parts),
            output=Path(output),
            settings=self.settings,
            catalog=self._catalog,
            what="this reel",
        )
        texts = part_texts(
            parts,
            title_of=lambda video_id: self.get_video(video_id).title,
            sentences_of=lambda video_id: [
                (s.start, s.end, s.text) for s in self._catalog.segments(video_id)
            ],
            subtitles=subtitles,
            title_cards=title_cards,
            chapters_of=lambda video_id: chapter_titles(self, video_id),
        )
        return ReelPlan(
            parts=tuple(parts),
            plans=tuple(plans),
            output=str(output),
            clips=self.settings.clips,
            vertical=vertical,
            texts=tuple(texts),
        )

    def _checked_parts(
        self, parts: list[ReelPart], *, output: Path
    ) -> tuple[list[ReelPart], list[ClipPlan]]:
        """The parts with their ends as the cut will use them (clamped to each video's length)
        and their clip plans; every video the owner's and ready, every range good, the reel
        within VIDSCOPE_REEL_MAX_PARTS, VIDSCOPE_REEL_MAX_PART_S and VIDSCOPE_REEL_MAX_TOTAL_S."""
        from pipelines.editing.reels import check_limits

        plans = self._reel_plans(parts, output=output)
        parts = [replace(p, end=plan.end) for p, plan in zip(parts, plans, strict=True)]
        # With the ends as the cut uses them (clamped to each video's length): a hits file's
        # range past a video's end counts for what is cut, not for what was asked.
        check_limits(parts, self.settings.clips)
        return parts, plans

    def _reel_bytes(self, parts: list[ReelPart]) -> int:
        """About how many bytes the reel of ``parts`` writes (each part's share of its video)."""
        from pipelines.quota import cut_bytes

        return sum(cut_bytes(self.get_video(p.video_id), p.start, p.end) for p in parts)

    def _reel_plans(self, parts: list[ReelPart], *, output: Path) -> list[ClipPlan]:
        """Each part's clip plan: every video the owner's and ready, every range good."""
        plans = []
        for part in parts:
            video = self.get_video(part.video_id)
            if video.status != "ready":
                raise ClipError(
                    f"video {video.id} is still {video.status}; make reels once it is ready",
                    code="clip.video_not_ready",
                )
            plans.append(
                self.clip_plan(part.video_id, start=part.start, end=part.end, output=output)
            )
        return plans

    def queue_reel(
        self,
        *,
        query: str | None = None,
        parts: list[ReelPart] | None = None,
        chapters_of: str | None = None,
        vertical: bool = False,
        subtitles: bool = False,
        title_cards: bool = False,
        speaker: str | None = None,
    ) -> tuple[str, str]:
        """Chooses a reel's parts now (from a query, narrowed to what ``speaker`` says when
        given; given ranges; or a video's key points), checks them (the limits of ``reel``)
        and records the reel with the job that makes it, atomically; ``job.queue_full`` when
        the owner's queue is at its cap. Returns (reel id, job id)."""
        from pipelines.editing.reel_parts import reel_parts
        from pipelines.quota import ensure_quota

        chosen = reel_parts(
            self, query=query, parts=parts, chapters_of=chapters_of, speaker=speaker
        )
        chosen, _ = self._checked_parts(chosen, output=self.settings.layout.clips_dir / "reel.mp4")
        # quota.exceeded now rather than as a failed job (the job checks again, disk too).
        ensure_quota(
            self._reel_bytes(chosen),
            settings=self.settings,
            catalog=self._catalog,
            what="this reel",
        )
        with self._catalog.transaction():
            options = {"vertical": vertical, "subtitles": subtitles, "title_cards": title_cards}
            reel_id = self._catalog.add_reel(chosen, options=options)
            job_id = self._catalog.add_job(
                kind="reel",
                status="queued",
                payload={"reel_id": reel_id, "resumable": True},
                max_attempts=self.settings.jobs.max_attempts,
                max_active=self.settings.jobs.max_active_per_owner,
            )
        return reel_id, job_id

    def get_reel(self, reel_id: str) -> Reel:
        return self._catalog.get_reel(reel_id)

    def reel_file(self, reel_id: str) -> Path:
        """The file of a ready reel; ``reel.not_ready`` while it is being made."""
        reel = self.get_reel(reel_id)
        if reel.status != "ready" or reel.path is None:
            raise ClipError(
                f"reel {reel_id} is {reel.status}; follow its job until it succeeds",
                code="reel.not_ready",
            )
        return self.settings.home / reel.path
