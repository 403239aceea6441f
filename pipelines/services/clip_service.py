"""Clips of an owner's videos: cut now (CLI), planned for a Ray batch, or recorded and queued
for the worker (server)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.errors import ClipError, VidscopeError
from pipelines.records import Clip, Hit
from pipelines.services.search_service import SearchService

if TYPE_CHECKING:
    from pipelines.editing.clips import ClipPlan
    from pipelines.jobs.manifest import ClipRequest


def clip_range(
    video_id: str | None, start: float | None, end: float | None
) -> tuple[str, float, float]:
    """The video and the times of a clip asked for by time; ``clip.missing_range`` names
    what is missing (the one place this rule is raised: the API's and the CLI's asks)."""
    given = {"a video": video_id, "a start": start, "an end": end}
    missing = [name for name, value in given.items() if value is None]
    if video_id is None or start is None or end is None:
        raise ClipError(
            f"a clip is a video with its start and end (seconds), or a query; "
            f"{' and '.join(missing)} missing",
            code="clip.missing_range",
        )
    return video_id, start, end


class ClipService(SearchService):
    def clip(self, video_id: str, *, start: float, end: float, output: str | Path) -> Path:
        """Cuts [start, end) seconds of a video to ``output``; end is clamped to the duration.
        Refused first when about the clip's share of the source does not fit in the owner's
        quota (``quota.exceeded``) or on the output's disk with VIDSCOPE_MIN_FREE_BYTES
        (``storage.full``)."""
        return self.prepare_clip(video_id, start=start, end=end, output=output).cut()

    def prepare_clip(
        self, video_id: str, *, start: float, end: float, output: str | Path
    ) -> ClipPlan:
        """``clip_plan`` with the checks of ``clip``: what the job worker's compute process
        cuts. Refused first when the clip does not fit in the owner's quota (``quota.exceeded``)
        or on the output's disk (``storage.full``)."""
        from pipelines.quota import cut_bytes, ensure_output_room

        plan = self.clip_plan(video_id, start=start, end=end, output=output)
        ensure_output_room(
            cut_bytes(self.get_video(video_id), plan.start, plan.end),
            output=Path(output),
            settings=self.settings,
            catalog=self._catalog,
        )
        return plan

    def clip_plan(self, video_id: str, *, start: float, end: float, output: str | Path) -> ClipPlan:
        """Everything a clip needs, checked, as plain data: a batch cuts it on a Ray worker."""
        from pipelines.editing.clips import ClipOptions, ClipPlan, check_clip_range

        video = self.get_video(video_id)
        check_clip_range(video, start, end)
        return ClipPlan(
            source=str(self.media_file(video_id)),
            output=str(output),
            start=start,
            end=min(end, video.duration),
            has_video=video.has_video,
            has_audio=video.audio_track is not None,
            audio_track=video.audio_track or 0,
            options=ClipOptions.from_settings(self.settings),
        )

    def clip_plans(self, clips: list[ClipRequest]) -> list[ClipPlan | VidscopeError]:
        """Plans for many clips; a clip that cannot be cut gets its error instead, so one bad
        row does not stop a batch."""
        plans: list[ClipPlan | VidscopeError] = []
        for clip in clips:
            try:
                plans.append(
                    self.clip_plan(
                        clip.video_id, start=clip.start, end=clip.end, output=clip.output
                    )
                )
            except VidscopeError as exc:
                plans.append(exc)
        return plans

    def clip_query(
        self, query: str, *, output: str | Path, video_id: str | None = None
    ) -> tuple[Hit, Path]:
        """Cuts the best hit for ``query``."""
        hit, start, end = self.best_range(query, video_id=video_id)
        return hit, self.clip(hit.video_id, start=start, end=end, output=output)

    def queue_clip(
        self,
        *,
        video_id: str | None = None,
        start: float | None = None,
        end: float | None = None,
        query: str | None = None,
    ) -> tuple[str, str]:
        """Records a clip of [start, end) — or of the best hit for ``query`` — and queues the
        job that cuts it, atomically. The server names the file. Returns (clip id, job id).
        Refused (``job.queue_full``) when the owner has VIDSCOPE_JOB_MAX_ACTIVE_PER_OWNER
        jobs queued or running."""
        from pipelines.editing.clips import check_clip_range
        from pipelines.quota import cut_bytes, ensure_quota

        if query is not None:
            hit, start, end = self.best_range(query, video_id=video_id)
            video_id = hit.video_id
        video_id, start, end = clip_range(video_id, start, end)
        video = self.get_video(video_id)
        if video.status != "ready":
            raise ClipError(
                f"video {video_id} is still {video.status}; cut clips once it is ready",
                code="clip.video_not_ready",
            )
        check_clip_range(video, start, end)
        self.media_file(video_id)  # media.missing now, not as a failed job later
        end = min(end, video.duration)
        # quota.exceeded now rather than as a failed job (the cut checks again, disk too).
        ensure_quota(
            cut_bytes(video, start, end),
            settings=self.settings,
            catalog=self._catalog,
            what="this clip",
        )
        with self._catalog.transaction():
            clip_id = self._catalog.add_clip(video_id=video_id, start=start, end=end)
            job_id = self._catalog.add_job(
                kind="clip",
                video_id=video_id,
                clip_id=clip_id,
                status="queued",
                payload={"resumable": True},
                max_attempts=self.settings.jobs.max_attempts,
                max_active=self.settings.jobs.max_active_per_owner,
            )
        return clip_id, job_id

    def get_clip(self, clip_id: str) -> Clip:
        return self._catalog.get_clip(clip_id)

    def clip_file(self, clip_id: str) -> Path:
        """The file of a ready clip; ``clip.not_ready`` while it is being cut."""
        clip = self.get_clip(clip_id)
        if clip.status != "ready" or clip.path is None:
            raise ClipError(
                f"clip {clip_id} is {clip.status}; follow its job until it succeeds",
                code="clip.not_ready",
            )
        return self.settings.home / clip.path
