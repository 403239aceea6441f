"""The job worker: takes queued jobs from the catalog, runs their compute in a separate process
(so a crash in a model never takes the server down, and the server's event loop never waits
on it), and stores the result as the one writer. Leases are renewed while a job runs; a failed
attempt that may succeed next time is queued again after an exponential backoff with jitter,
up to ``job_max_attempts``; a server killed mid-job finds the job again at start-up."""

from __future__ import annotations

import multiprocessing
import os
import queue
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.compute import ComputeOptions, IngestArtifact, process_video
from pipelines.errors import VidscopeError
from pipelines.ingest import abandon_ingest, describe_failure, store_artifact
from pipelines.logs import get_logger
from pipelines.media.ffmpeg import die_with_parent
from pipelines.media.probe import probe
from pipelines.records import Job

if TYPE_CHECKING:
    from pipelines.config import Settings
    from pipelines.ports import LibraryPort
    from pipelines.retrieval.indexes import SearchIndexes
    from pipelines.storage.catalog import Catalog

log = get_logger(__name__)
# Failures that the same input will always meet again: retrying them only wastes the queue.
_FINAL_PREFIXES = ("media.", "clip.", "query.", "video.", "model.")

_progress: Any = None  # the worker process's end of the progress queue


CRASH_ATTEMPTS = 2
IDLE_POLL_MAX_S = 2.0


def _start_compute_process(progress: Any, parent: int) -> None:
    global _progress
    _progress = progress
    die_with_parent(parent)()  # a server killed with SIGKILL takes its compute with it


def _compute_ingest(
    job_id: str, media_path: Path, track: int | None, shown_as: str, options: ComputeOptions
) -> IngestArtifact:
    """Runs in the compute process: probe and transcribe one stored file."""
    info = probe(media_path, allowed=(media_path.suffix.lstrip("."),))

    def report(stage: str, fraction: float) -> None:
        _progress.put((job_id, stage, fraction))

    return process_video(media_path, info, track, options, report, shown_as=Path(shown_as))


@dataclass(frozen=True)
class WorkerState:
    alive: bool
    running: str | None  # the job id in hand


class JobWorker:
    """One thread that runs queued jobs one at a time, its compute in a process pool."""

    def __init__(
        self,
        *,
        settings: Settings,
        catalog: Catalog,
        indexes: SearchIndexes,
        owner: Callable[[str], LibraryPort],
        poll_s: float = 0.5,
    ) -> None:
        self.settings = settings
        self.catalog = catalog  # job-keyed writes: progress, leases, outcomes
        self.system = catalog.system()  # the queue holds every owner's jobs
        self.indexes = indexes
        self.owner = owner  # an owner's library, to cut a clip as the owner would
        self.poll_s = poll_s
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._running: str | None = None
        context = multiprocessing.get_context("spawn")
        self._progress: Any = context.Queue()
        self._context = context
        self._pool: ProcessPoolExecutor | None = None
        self._progress_thread: threading.Thread | None = None
        self.on_job_done: Callable[[Job, float], None] | None = None  # metrics hook
        self.tracer: Any = None  # an OpenTelemetry tracer: a span per job

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="vidscope-jobs", daemon=True)
        self._thread.start()
        self._progress_thread = threading.Thread(
            target=self._forward_progress, name="vidscope-progress", daemon=True
        )
        self._progress_thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
        if self._pool is not None:
            processes = list((getattr(self._pool, "_processes", None) or {}).values())
            self._pool.shutdown(wait=False, cancel_futures=True)
            for process in processes:
                process.kill()  # a transcription can take minutes; its job resumes next start
        self._progress.put(None)
        if self._progress_thread is not None:
            self._progress_thread.join(timeout_s)

    def wake(self) -> None:
        """A job was queued: look now rather than at the next poll."""
        self._wake.set()

    def state(self) -> WorkerState:
        alive = self._thread is not None and self._thread.is_alive()
        return WorkerState(alive, self._running)

    def _pool_for_compute(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.settings.jobs.worker_processes,
                mp_context=self._context,
                initializer=_start_compute_process,
                initargs=(self._progress, os.getpid()),
            )
        return self._pool

    # -- the loop ----------------------------------------------------------------------------
    def _loop(self) -> None:
        idle = 0  # empty looks in a row: an idle server looks less and less often
        while not self._stop.is_set():
            try:
                self.system.recover_jobs(expired_only=True)
                job = self.system.claim_job(lease_s=self.settings.jobs.lease_s)
            except Exception:
                log.error("jobs.claim_failed", exc_info=True)
                job = None
            if job is None:
                # A new job wakes the loop at once (wake()); polling only finds retries
                # whose delay has passed, so backing off to IDLE_POLL_MAX_S costs nothing.
                self._wake.wait(min(self.poll_s * 2**idle, IDLE_POLL_MAX_S))
                self._wake.clear()
                idle = min(idle + 1, 8)
                continue
            idle = 0
            self._running = job.id
            started = time.perf_counter()
            try:
                self.run(job)
            except Exception:  # the loop must outlive any one job
                log.error("jobs.unexpected_error", job_id=job.id, exc_info=True)
            finally:
                self._running = None
            if self.on_job_done is not None:
                self.on_job_done(self.system.job(job.id), started)

    def run(self, job: Job) -> None:
        if self.tracer is None:
            self._run(job)
            return
        with self.tracer.start_as_current_span(f"job.{job.kind}") as span:
            span.set_attribute("job.id", job.id)
            span.set_attribute("job.attempt", job.attempts)
            self._run(job)
            span.set_attribute("job.status", self.system.job(job.id).status)

    def _run(self, job: Job) -> None:
        log.info("job.started", job_id=job.id, kind=job.kind, attempt=job.attempts)
        try:
            if job.kind == "ingest":
                self._run_ingest(job)
            elif job.kind == "reel":
                self._run_reel(job)
            else:
                self._run_clip(job)
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            self._failed(job, exc)
            return
        log.info("job.succeeded", job_id=job.id, kind=job.kind)

    def _failed(self, job: Job, exc: BaseException) -> None:
        crashed = isinstance(exc, BrokenProcessPool)
        if crashed:
            self._pool = None  # the compute process died (killed, out of memory): a new one
            code = "processing.crashed"
            message = (
                "the compute process stopped unexpectedly (out of memory, most often); "
                f"it was tried {job.attempts} times"
            )
        else:
            code, message = describe_failure(exc, video_id=job.video_id or "")
        # A file that took the compute process down twice will do it again (a crash is
        # most often memory): a third try would only cost the machine another crash.
        final = (
            code.startswith(_FINAL_PREFIXES)
            or job.attempts >= job.max_attempts
            or (crashed and job.attempts >= CRASH_ATTEMPTS)
        )
        if not final:
            delay = backoff_s(job.attempts, base_s=self.settings.jobs.backoff_s)
            log.warning(
                "job.retrying",
                job_id=job.id,
                code=code,
                attempt=job.attempts,
                delay_s=round(delay, 2),
            )
            self.catalog.retry_job(job.id, delay_s=delay, error_code=code, message=message)
            return
        log.warning("job.failed", job_id=job.id, code=code, reason=message)
        if job.kind == "ingest" and job.video_id:
            try:
                video = self.catalog.for_owner(job.owner_id).get_video(job.video_id)
            except VidscopeError:
                self.catalog.finish_job(job.id, error_code=code, error_message=message)
                return
            abandon_ingest(
                video,
                job.id,
                code,
                message,
                settings=self.settings,
                catalog=self.catalog.for_owner(job.owner_id),
                indexes=self.indexes,
                purge=True,
            )
        else:
            if job.clip_id:
                self.catalog.finish_clip(job.clip_id, path=None, size_bytes=None)
            if job.kind == "reel":
                self.catalog.finish_reel(job.payload["reel_id"], path=None, size_bytes=None)
            self.catalog.finish_job(job.id, error_code=code, error_message=message)

    def _wait(self, job: Job, future: Future[Any]) -> Any:
        """The future's result, renewing the job's lease while it runs."""
        while True:
            try:
                return future.result(timeout=self.settings.jobs.lease_s / 3)
            except TimeoutError:
                if self._stop.is_set():
                    raise SystemExit(0) from None  # the job resumes at the next start
                self.catalog.report_progress(
                    job.id,
                    stage=job.stage or "running",
                    progress=job.progress,
                    lease_s=self.settings.jobs.lease_s,
                )

    def _run_ingest(self, job: Job) -> None:
        assert job.video_id is not None
        owner = self.catalog.for_owner(job.owner_id)
        video = owner.get_video(job.video_id)
        if video.status == "ready":  # stored before a crash; only the job was left
            self.catalog.finish_job(job.id)
            return
        media_path = self.settings.home / video.media_path
        future = self._pool_for_compute().submit(
            _compute_ingest,
            job.id,
            media_path,
            video.audio_track,
            f"{video.title}.{video.container}",  # how errors name the file to its owner
            ComputeOptions.from_settings(self.settings),
        )
        artifact: IngestArtifact = self._wait(job, future)
        self.catalog.report_progress(
            job.id, stage="index", progress=0.0, lease_s=self.settings.jobs.lease_s
        )
        store_artifact(video, artifact, job_id=job.id, catalog=owner, indexes=self.indexes)

    def _run_clip(self, job: Job) -> None:
        assert job.clip_id is not None
        clip = self.catalog.for_owner(job.owner_id).get_clip(job.clip_id)
        self.catalog.report_progress(
            job.id, stage="cut", progress=0.0, lease_s=self.settings.jobs.lease_s
        )
        output = self.settings.layout.clips_dir / f"{clip.id}.mp4"
        owner = self.owner(job.owner_id)
        owner.clip(clip.video_id, start=clip.start, end=clip.end, output=output)
        relative = str(output.relative_to(self.settings.home))
        with self.catalog.transaction():
            self.catalog.finish_clip(clip.id, path=relative, size_bytes=output.stat().st_size)
            self.catalog.finish_job(job.id)

    def _run_reel(self, job: Job) -> None:
        reel = self.catalog.for_owner(job.owner_id).get_reel(job.payload["reel_id"])
        output = self.settings.layout.clips_dir / f"reel-{reel.id}.mp4"

        def progress(stage: str, fraction: float) -> None:
            self.catalog.report_progress(
                job.id, stage=stage, progress=fraction, lease_s=self.settings.jobs.lease_s
            )

        self.owner(job.owner_id).reel(
            list(reel.parts),
            output=output,
            vertical=bool(reel.options.get("vertical")),
            subtitles=bool(reel.options.get("subtitles")),
            title_cards=bool(reel.options.get("title_cards")),
            progress=progress,
        )
        relative = str(output.relative_to(self.settings.home))
        with self.catalog.transaction():
            self.catalog.finish_reel(reel.id, path=relative, size_bytes=output.stat().st_size)
            self.catalog.finish_job(job.id)

    def _forward_progress(self) -> None:
        """Copies progress from the compute process into the jobs table (renewing leases)."""
        while True:
            try:
                item = self._progress.get(timeout=1.0)
            except queue.Empty:
                if self._stop.is_set():
                    return
                continue
            if item is None:
                return
            job_id, stage, fraction = item
            try:
                self.catalog.report_progress(
                    job_id, stage=stage, progress=fraction, lease_s=self.settings.jobs.lease_s
                )
            except Exception:
                log.warning("jobs.progress_lost", job_id=job_id, exc_info=True)


def backoff_s(attempt: int, *, base_s: float, cap_s: float = 300.0) -> float:
    """Exponential backoff with full jitter: uniform in [0.5, 1.5] x base x 2^(attempt-1)."""
    return float(min(cap_s, base_s * 2 ** max(0, attempt - 1)) * random.uniform(0.5, 1.5))  # nosec B311  # retry jitter, not a secret
