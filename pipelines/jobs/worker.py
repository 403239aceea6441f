"""The job worker: takes queued jobs from the catalog, runs their compute in a separate process
(so a crash in a model never takes the server down, and the server's event loop never waits
on it), and stores the result as the one writer. Leases are renewed while a job runs; a failed
attempt that may succeed next time is queued again after an exponential backoff with jitter,
up to ``job_max_attempts``; a server killed mid-job finds the job again at start-up.

Lanes, each a thread with its own compute processes (``compute_lane``): ingests, and two for
edits (clips and reels), so a short clip never waits behind an hour of transcription, nor
behind another owner's clips (an owner holds one edits lane at most). All the threads write
through the one catalog (a cursor each, one write lock: still one writer process). Within a
kind owners take turns (``SystemCatalog.claim_job``). Each kind of job
computes for at most its time limit (VIDSCOPE_JOB_TIMEOUT_*_S): past it the lane's process is
killed, the job fails with ``job.timed_out`` naming the stage it was in, and its working
folder goes with it. An ingest's last stage, its summary, runs once the video is searchable,
under VIDSCOPE_JOB_TIMEOUT_SUMMARY_S: past it the video stays ready, its summary made later."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.compute import ComputeOptions, IngestArtifact
from pipelines.errors import VidscopeError
from pipelines.ingest import abandon_ingest, describe_failure, store_artifact
from pipelines.jobs.compute_lane import ComputeLane
from pipelines.jobs.stages import backoff_s, compute_ingest, compute_summary, timed_out
from pipelines.jobs.waiting import Waits
from pipelines.logs import get_logger
from pipelines.records import Job
from pipelines.understanding.summaries import SummaryOptions, keep_summary, summary_inputs

if TYPE_CHECKING:
    from pipelines.config import Settings
    from pipelines.library import OwnerLibrary
    from pipelines.retrieval.indexes import SearchIndexes
    from pipelines.storage.catalog import Catalog

log = get_logger(__name__)
# Failures that the same input will always meet again: retrying them only wastes the queue
# (a job over its time limit would only run over it again).
_FINAL_PREFIXES = ("media.", "clip.", "query.", "video.", "model.", "reel.", "job.")

CRASH_ATTEMPTS = 2
IDLE_POLL_MAX_S = 2.0
EDITS = ("clip", "reel")
# Each lane: a thread and its own compute process, and the job kinds it runs. Two take edits,
# each holding one owner's job at most: another owner's clip starts at once, even while one
# owner's long queue of them is being cut (a lone owner's edits still run one at a time).
LANES = {"ingest": ("ingest",), "edits": EDITS, "edits-2": EDITS}


@dataclass(frozen=True)
class WorkerState:
    alive: bool
    running: str | None  # the job id in hand


class JobWorker:
    """One thread per lane, each running its queued jobs one at a time, its compute in its
    own process pool."""

    def __init__(
        self,
        *,
        settings: Settings,
        catalog: Catalog,
        indexes: SearchIndexes,
        owner: Callable[[str], OwnerLibrary],
        poll_s: float = 0.5,
    ) -> None:
        self.settings = settings
        self.catalog = catalog  # job-keyed writes: progress, leases, outcomes
        self.system = catalog.system()  # the queue holds every owner's jobs
        self.indexes = indexes
        self.owner = owner  # an owner's library, to plan a clip or reel as the owner would
        self.poll_s = poll_s
        self._stop = threading.Event()
        self._wakes = {name: threading.Event() for name in LANES}
        self._waits = Waits(self._stop)
        self._local = threading.local()  # the lane the calling thread runs
        self._threads: list[threading.Thread] = []
        self._running: dict[str, str | None] = dict.fromkeys(LANES)
        self.lanes = {
            name: ComputeLane(
                name,
                processes=settings.jobs.worker_processes if kinds == ("ingest",) else 1,
                on_progress=self._progress,
            )
            for name, kinds in LANES.items()
        }
        self.on_job_done: Callable[[Job, float], None] | None = None  # metrics hook
        self.tracer: Any = None  # an OpenTelemetry tracer: a span per job

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        # Working folders a killed server left: no job of this process runs yet, and a job
        # that resumes starts from an empty folder anyway.
        if self.settings.layout.clips_dir.is_dir():
            for folder in self.settings.layout.clips_dir.glob(".job-*"):
                shutil.rmtree(folder, ignore_errors=True)
        for name in LANES:
            thread = threading.Thread(
                target=self._loop, args=(name,), name=f"vidscope-jobs-{name}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout_s: float = 10.0) -> None:
        self._waits.stop()  # sets self._stop, and wakes the jobs waited on at once
        for wake in self._wakes.values():
            wake.set()
        for thread in self._threads:
            thread.join(timeout_s)
        for lane in self.lanes.values():
            lane.stop_processes()  # a transcription can take minutes; its job resumes next start

    def wake(self) -> None:
        """A job was queued: look now rather than at the next poll."""
        for wake in self._wakes.values():
            wake.set()

    def state(self) -> WorkerState:
        alive = bool(self._threads) and all(t.is_alive() for t in self._threads)
        running = next((job for job in self._running.values() if job), None)
        return WorkerState(alive, running)

    # -- the loop ----------------------------------------------------------------------------
    def _loop(self, lane: str) -> None:
        idle = 0  # empty looks in a row: an idle server looks less and less often
        wake = self._wakes[lane]
        while not self._stop.is_set():
            try:
                self.system.recover_jobs(expired_only=True)
                job = self.system.claim_job(
                    lease_s=self.settings.jobs.lease_s,
                    kinds=LANES[lane],
                    one_per_owner=LANES[lane] == EDITS,
                )
            except Exception:
                log.error("jobs.claim_failed", lane=lane, exc_info=True)
                job = None
            if job is None:
                # A new job wakes the loop at once (wake()); polling only finds retries
                # whose delay has passed, so backing off to IDLE_POLL_MAX_S costs nothing.
                wake.wait(min(self.poll_s * 2**idle, IDLE_POLL_MAX_S))
                wake.clear()
                idle = min(idle + 1, 8)
                continue
            idle = 0
            self._running[lane] = job.id
            started = time.perf_counter()
            try:
                self.run(job, lane)
            except Exception:  # the loop must outlive any one job
                log.error("jobs.unexpected_error", job_id=job.id, exc_info=True)
            finally:
                self._running[lane] = None
            if self.on_job_done is not None:
                self.on_job_done(self.system.job(job.id), started)

    def run(self, job: Job, lane: str | None = None) -> None:
        """Runs a claimed job in ``lane`` (default: the first that takes its kind)."""
        self._local.lane = lane or next(n for n, kinds in LANES.items() if job.kind in kinds)
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

    def _lane_of(self, job: Job) -> ComputeLane:
        lane: str = self._local.lane
        assert job.kind in LANES[lane], (job.kind, lane)
        return self.lanes[lane]

    def _failed(self, job: Job, exc: BaseException) -> None:
        crashed = isinstance(exc, BrokenProcessPool)
        if crashed:
            self._lane_of(job).discard()  # its process died (killed, out of memory): a new one
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

    def _wait(self, job: Job, future: Future[Any], stage: str | None = None) -> Any:
        """The future's result, renewing the job's lease while it runs; past the time limit
        of the kind (of ``stage``, when it has its own) the lane's process is killed and
        ``job.timed_out`` raised, naming the stage the job was in."""
        limit_s = self.settings.jobs.timeout_s(stage or job.kind)
        deadline = time.monotonic() + limit_s
        lease_s = self.settings.jobs.lease_s
        for _ in self._waits.periods(future, lambda: min(lease_s / 3, deadline - time.monotonic())):
            if time.monotonic() >= deadline:
                self._lane_of(job).stop_processes()
                setting = f"VIDSCOPE_JOB_TIMEOUT_{stage.upper()}_S" if stage else None
                where = stage or self.system.job(job.id).stage
                raise timed_out(job, limit_s, stage=where, setting=setting)
            # The lease only: the stage and progress are the compute's to report.
            self.catalog.renew_lease(job.id, lease_s=lease_s)
        return future.result()

    @contextmanager
    def _workdir(self, job: Job) -> Iterator[Path]:
        """The job's own folder for what its compute writes, removed when the job ends (done,
        failed, timed out); an attempt after a crash starts from an empty one."""
        folder = (self.settings.layout.clips_dir / f".job-{job.id}").absolute()
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _run_ingest(self, job: Job) -> None:
        assert job.video_id is not None
        owner = self.catalog.for_owner(job.owner_id)
        video = owner.get_video(job.video_id)
        if video.status == "ready":  # stored before a crash; its summary may be left
            self._summarize(job, video.id, video.duration)
            return
        media_path = self.settings.home / video.media_path
        future = self._lane_of(job).submit(
            compute_ingest,
            job.id,
            media_path,
            video.audio_track,
            f"{video.title}.{video.container}",  # how errors name the file to its owner
            # An upload may say how many people speak (its job keeps the count).
            ComputeOptions.from_settings(self.settings).with_speakers(job.payload.get("speakers")),
        )
        artifact: IngestArtifact = self._wait(job, future)
        self.catalog.report_progress(
            job.id, stage="index", progress=0.0, lease_s=self.settings.jobs.lease_s
        )
        # Searchable from here on (job_id=None: the commit leaves the job running); the
        # summary is the job's last stage.
        store_artifact(video, artifact, job_id=None, catalog=owner, indexes=self.indexes)
        self._summarize(job, video.id, video.duration)

    def _summarize(self, job: Job, video_id: str, duration: float) -> None:
        """The ingest's "summary" stage, under its own time limit. The video is ready
        whatever happens here: a failure is logged, the job succeeds, and the summary is
        made when first asked for."""
        owner = self.catalog.for_owner(job.owner_id)
        options = SummaryOptions.from_settings(self.settings)
        self._progress(job.id, "summary", 0.0)
        try:
            if owner.stored_summary(video_id, method=options.stored_as)[1] is None:
                inputs = summary_inputs(owner, video_id, duration)
                future = self._lane_of(job).submit(compute_summary, job.id, inputs, options)
                made, writer = self._wait(job, future, stage="summary")
                keep_summary(owner, inputs, made, writer, options)
        except Exception as exc:
            if isinstance(exc, BrokenProcessPool):
                self._lane_of(job).discard()
            log.warning("summary.failed", job_id=job.id, video_id=video_id, exc_info=exc)
        self.catalog.finish_job(job.id)

    def _run_clip(self, job: Job) -> None:
        from pipelines.jobs.edits import cut_planned_clip

        assert job.clip_id is not None
        clip = self.catalog.for_owner(job.owner_id).get_clip(job.clip_id)
        self.catalog.report_progress(
            job.id, stage="cut", progress=0.0, lease_s=self.settings.jobs.lease_s
        )
        output = self.settings.layout.clips_dir / f"{clip.id}.mp4"
        with self._workdir(job) as work:
            plan = self.owner(job.owner_id).prepare_clip(
                clip.video_id, start=clip.start, end=clip.end, output=work / output.name
            )
            self._wait(job, self._lane_of(job).submit(cut_planned_clip, job.id, plan))
            self._publish(work / output.name, output, lambda size: self._finish_clip(job, size))

    def _finish_clip(self, job: Job, size: int) -> None:
        assert job.clip_id is not None
        relative = str(
            (self.settings.layout.clips_dir / f"{job.clip_id}.mp4").relative_to(self.settings.home)
        )
        with self.catalog.transaction():
            self.catalog.finish_clip(job.clip_id, path=relative, size_bytes=size)
            self.catalog.finish_job(job.id)

    def _run_reel(self, job: Job) -> None:
        from pipelines.jobs.edits import make_planned_reel

        reel = self.catalog.for_owner(job.owner_id).get_reel(job.payload["reel_id"])
        output = self.settings.layout.clips_dir / f"reel-{reel.id}.mp4"
        with self._workdir(job) as work:
            plan = self.owner(job.owner_id).reel_plan(
                list(reel.parts),
                output=work / output.name,
                vertical=bool(reel.options.get("vertical")),
                subtitles=bool(reel.options.get("subtitles")),
                title_cards=bool(reel.options.get("title_cards")),
            )
            self._wait(job, self._lane_of(job).submit(make_planned_reel, job.id, plan))
            relative = str(output.relative_to(self.settings.home))

            def finish(size: int) -> None:
                with self.catalog.transaction():
                    self.catalog.finish_reel(reel.id, path=relative, size_bytes=size)
                    self.catalog.finish_job(job.id)

            self._publish(work / output.name, output, finish)

    @staticmethod
    def _publish(made: Path, output: Path, record: Callable[[int], None]) -> None:
        """Moves a finished file into place and records it; a failed record takes the file
        back out, so no file is left without its row."""
        size = made.stat().st_size
        os.replace(made, output)
        try:
            record(size)
        except BaseException:
            output.unlink(missing_ok=True)
            raise

    def _progress(self, job_id: str, stage: str, fraction: float) -> None:
        """Copies progress from a compute process into the jobs table (renewing the lease)."""
        self.catalog.report_progress(
            job_id, stage=stage, progress=fraction, lease_s=self.settings.jobs.lease_s
        )
