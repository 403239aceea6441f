"""Highlight reels of an owner's videos: the best hits of a query, a file of hits, or a
video's key points (one per chapter), cut and joined (``editing.reels``) now (the CLI) or
recorded and queued for the worker (the server)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.errors import ClipError, VidscopeError
from pipelines.records import Progress, Reel, ReelPart
from pipelines.services.clip_service import ClipService
from pipelines.services.summary_service import SummaryService

if TYPE_CHECKING:
    from pipelines.editing.clips import ClipPlan
    from pipelines.editing.reels import ReelPlan
    from pipelines.editing.sentence_bounds import TopicBounds


class ReelService(ClipService, SummaryService):
    def reel_parts(
        self,
        *,
        query: str | None = None,
        hits_file: Path | None = None,
        chapters_of: str | None = None,
    ) -> list[ReelPart]:
        """What a reel shows (``editing.reels.choose_parts``); parts chosen from a query or
        a video's key points begin and end between sentences of one topic (``at_sentences``),
        ranges from a hits file are kept as given."""
        from pipelines.editing.reels import choose_parts

        parts = choose_parts(self, query=query, hits_file=hits_file, chapters_of=chapters_of)
        return parts if hits_file is not None else self.at_sentences(parts)

    def at_sentences(self, parts: list[ReelPart]) -> list[ReelPart]:
        """``parts`` moved to the pauses around the sentences each is about, clear of the next
        chapter and of the next slide (``editing.sentence_bounds``); parts that then overlap
        are merged."""
        from pipelines.editing.sentence_bounds import snap_parts

        return snap_parts(parts, self._topic_bounds)

    def _topic_bounds(self, video_id: str) -> TopicBounds:
        """A video's sentences, where its chapters start (none when it has no summary yet)
        and when its on-screen text changes."""
        from pipelines.editing.sentence_bounds import TopicBounds

        passages = self._catalog.passages(self._catalog.chunk_ids(video_id).tolist())
        screen = sorted(p.start for p in passages.values() if p.source == "screen")
        return TopicBounds(
            [(s.start, s.end) for s in self._catalog.segments(video_id)],
            [start for start, _, _ in self._chapter_titles(video_id)[1:]],
            [t for t in screen if t > 0],
        )

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
            chapters_of=self._chapter_titles,
        )
        return ReelPlan(
            parts=tuple(parts),
            plans=tuple(plans),
            output=str(output),
            clips=self.settings.clips,
            vertical=vertical,
            texts=tuple(texts),
        )

    def _chapter_titles(self, video_id: str) -> list[tuple[float, float, str]]:
        """A video's chapters for its title cards; none when it has no summary to be had."""
        try:
            chapters = self.summary(video_id).chapters
        except VidscopeError:
            return []
        return [(c.start, c.end, c.title) for c in chapters]

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
        from pipelines.editing.reels import choose_parts
        from pipelines.quota import ensure_quota

        chosen = choose_parts(
            self, query=query, parts=parts, chapters_of=chapters_of, speaker=speaker
        )
        if parts is None:  # given ranges are kept as given, as a hits file's are
            chosen = self.at_sentences(chosen)
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
