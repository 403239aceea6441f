"""An owner's jobs: the queue as the owner sees it, and retrying a failed one."""

from __future__ import annotations

from pipelines.errors import VidscopeError
from pipelines.logs import get_logger
from pipelines.records import Job, JobStatus
from pipelines.services.scope import OwnerScope

log = get_logger(__name__)


class JobService(OwnerScope):
    def jobs(
        self, *, status: JobStatus | None = None, limit: int = 50, offset: int = 0
    ) -> list[Job]:
        """The owner's jobs, newest first."""
        return self._catalog.list_jobs(status=status, limit=limit, offset=offset)

    def job(self, job_id: str) -> Job:
        """One of the owner's jobs; another owner's id is ``job.not_found``."""
        return self._catalog.get_job(job_id)

    def latest_job(self, video_id: str) -> Job | None:
        """The newest ingest job of one of the owner's videos."""
        self.get_video(video_id)  # another owner's id is video.not_found
        return self._catalog.latest_job(video_id)

    def retry_job(self, job_id: str) -> Job:
        """Queues one of the owner's failed jobs again. A clip or a reel is made again from
        what the catalog kept of it (its video and range, its parts and options); a failed
        upload's file was removed when it failed, so it has to be uploaded again. Refused
        (``job.queue_full``) when the owner's queue is at its cap."""
        job = self._catalog.get_job(job_id)
        if job.status != "failed":
            raise VidscopeError(
                f"job {job_id} is {job.status}; only failed jobs can be retried",
                code="job.not_retryable",
            )
        # What the job makes must still be there, and still the owner's.
        if job.kind == "clip" and job.video_id is not None:
            self.get_video(job.video_id)
        elif job.kind == "reel":
            self._catalog.get_reel(str(job.payload.get("reel_id")))
        else:
            raise VidscopeError(
                "a failed upload's file is removed when it fails, so it cannot be retried; "
                "upload the file again",
                code="job.not_retryable",
            )
        self._catalog.requeue_failed_job(job_id, max_active=self.settings.jobs.max_active_per_owner)
        log.info("job.retried", job_id=job_id, owner_id=self.owner_id)
        return self._catalog.get_job(job_id)
