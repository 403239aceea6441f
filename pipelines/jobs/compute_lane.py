"""A lane of the job worker: the compute processes one kind of work runs in (ingest, or the
edits: clips and reels), away from the server's process, and how they are stopped.

Each lane has its own pool, so a clip never waits for a transcription to leave the pool, and
stopping a lane's process (a job over its time limit) touches no other lane's job. A compute
process leads its own process group: stopping it takes the encoders it started with it
(FFmpeg's), so nothing goes on writing after its job has failed."""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from pipelines.jobs.progress_gate import ProgressGate, ProgressSink
from pipelines.logs import get_logger
from pipelines.media.ffmpeg import die_with_parent

log = get_logger(__name__)

_progress: Any = None  # the compute process's end of its lane's progress queue


def _start_compute_process(progress: Any, parent: int) -> None:
    global _progress
    _progress = progress
    os.setpgid(0, 0)  # its own group: a stop reaches the encoders it starts
    die_with_parent(parent)()  # a server killed with SIGKILL takes its compute with it


def report(job_id: str, stage: str, fraction: float) -> None:
    """Runs in a compute process: a job's stage and progress, for the worker to record (as
    often as ``ProgressGate`` lets it: report as often as is natural)."""
    if _progress is not None:
        _progress.put((job_id, stage, fraction))


class ComputeLane:
    """A spawn process pool of ``processes`` and the thread that copies its progress out.
    ``stop_processes`` ends them (and their children) at once; the next ``submit`` starts
    fresh ones, with a fresh progress queue (a process killed while writing to the old one
    may have left it unusable)."""

    def __init__(self, name: str, *, processes: int, on_progress: ProgressSink) -> None:
        self.name = name
        self.processes = processes
        self.on_progress = on_progress
        self._context = multiprocessing.get_context("spawn")
        self._pool: ProcessPoolExecutor | None = None
        self._progress: Any = None
        self._retired = threading.Event()
        self._lock = threading.Lock()

    @property
    def pool(self) -> ProcessPoolExecutor | None:
        return self._pool

    def pids(self) -> list[int]:
        pool = self._pool
        return list((getattr(pool, "_processes", None) or {}).keys()) if pool else []

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        with self._lock:
            if self._pool is None:
                self._progress = self._context.Queue()
                self._retired = threading.Event()
                threading.Thread(
                    target=self._forward,
                    args=(self._progress, self._retired),
                    name=f"vidscope-{self.name}-progress",
                    daemon=True,
                ).start()
                self._pool = ProcessPoolExecutor(
                    max_workers=self.processes,
                    mp_context=self._context,
                    initializer=_start_compute_process,
                    initargs=(self._progress, os.getpid()),
                )
            return self._pool.submit(fn, *args)

    def stop_processes(self) -> None:
        """Kills the lane's processes and everything they started; their futures fail."""
        with self._lock:
            pool, self._pool = self._pool, None
            self._retired.set()
            if pool is None:
                return
            processes = list((getattr(pool, "_processes", None) or {}).values())
            for process in processes:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    process.kill()  # not yet its own group leader
            for process in processes:
                process.join(5)
            pool.shutdown(wait=False, cancel_futures=True)

    def discard(self) -> None:
        """The pool broke (its process died): the next job gets a new one."""
        self.stop_processes()

    def _forward(self, progress: Any, retired: threading.Event) -> None:
        gate = ProgressGate(self._record)
        while True:
            try:
                item = progress.get(timeout=gate.wait_s(time.monotonic()))
            except queue.Empty:
                if retired.is_set():
                    return
                gate.flush(time.monotonic())
                continue
            except (EOFError, OSError):
                return
            job_id, stage, fraction = item
            gate.offer(job_id, stage, fraction, time.monotonic())
            gate.flush(time.monotonic())

    def _record(self, job_id: str, stage: str, fraction: float) -> None:
        try:
            self.on_progress(job_id, stage, fraction)
        except Exception:
            log.warning("jobs.progress_lost", job_id=job_id, exc_info=True)
