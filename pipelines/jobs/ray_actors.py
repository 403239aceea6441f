"""The Ray actors of a batch ingest: ``IngestWorker`` loads the models once and computes one
video at a time into a Parquet shard; ``ActorPool`` feeds them and tries again a video whose
worker died or raised (not one the file itself is at fault for)."""

from __future__ import annotations

import os
import time
from collections import deque
from pathlib import Path
from typing import Any

from pipelines.compute import ComputeOptions, process_video
from pipelines.errors import VidscopeError
from pipelines.jobs.ray_session import RAY_TASK_RETRIES
from pipelines.jobs.results import Computed, TaskFailed, from_wire, to_wire
from pipelines.jobs.shards import ShardSource, write_shard
from pipelines.logs import get_logger

log = get_logger(__name__)

ACTOR_RESTARTS = 3  # a worker killed more often than this is replaced by a new actor


class IngestWorker:
    """A Ray actor: loads the models when it starts and keeps them."""

    def __init__(self, options: ComputeOptions, folder: str) -> None:
        self.options = options
        self.folder = Path(folder)
        self._warm_up()

    def process(self, source_json: dict[str, Any]) -> dict[str, Any]:
        source = ShardSource.from_json(source_json)
        started = time.perf_counter()
        try:
            artifact = process_video(Path(source.path), source.info, source.track, self.options)
        except VidscopeError as exc:
            return to_wire(TaskFailed.of(exc))
        write_shard(self.folder, source, artifact)
        return to_wire(Computed(time.perf_counter() - started, os.getpid()))

    def _warm_up(self) -> None:
        # In the constructor: the models load while the files are probed, and an actor that
        # is killed unused (nothing left to do) has no task to report as failed.
        from pipelines.retrieval.embed import load_embedder
        from pipelines.speech.transcribe import load_whisper

        t = self.options.transcribe
        load_whisper(t.model, t.compute_type, t.threads, t.decoders, t.model_cache)
        load_embedder(self.options.embed_model, self.options.threads, self.options.model_cache)
        if self.options.speakers.enabled:
            from pipelines.speech.diarize import prepare_diarizer

            prepare_diarizer(self.options.speakers.threads)


class ActorPool:
    """``IngestWorker`` actors, each with ``threads`` CPUs, fed one video at a time; a video
    whose worker died or raised is queued again until ``max_attempts``."""

    def __init__(
        self,
        options: ComputeOptions,
        shards: Path,
        *,
        actors: int,
        threads: int,
        max_attempts: int,
    ) -> None:
        import ray

        self._class = ray.remote(
            num_cpus=threads, max_restarts=ACTOR_RESTARTS, max_task_retries=RAY_TASK_RETRIES
        )(IngestWorker)
        self._args = (options, str(shards))
        self.max_attempts = max_attempts
        self.idle = [self._start() for _ in range(actors)]
        self.waiting: deque[ShardSource] = deque()
        self.running: dict[Any, tuple[Any, ShardSource]] = {}
        self.attempts: dict[str, int] = {}
        self.replaced = 0

    def _start(self) -> Any:
        return self._class.remote(*self._args)

    def enqueue(self, source: ShardSource) -> None:
        self.waiting.append(source)

    def busy(self) -> bool:
        return bool(self.waiting or self.running)

    def dispatch(self) -> None:
        while self.idle and self.waiting:
            actor, source = self.idle.pop(), self.waiting.popleft()
            self.attempts[source.sha256] = self.attempts.get(source.sha256, 0) + 1
            self.running[actor.process.remote(source.to_json())] = (actor, source)

    def collect(self, ref: Any) -> tuple[ShardSource, Computed | TaskFailed, int] | None:
        """The finished task's (source, result, attempts), or None when it failed in a way
        that may pass and was queued again."""
        import ray
        from ray.exceptions import ActorDiedError, ActorUnavailableError, RayError

        actor, source = self.running.pop(ref)
        result: Computed | TaskFailed
        try:
            answer = from_wire(ray.get(ref))
            result = answer if isinstance(answer, Computed) else as_failure(answer)
        except (ActorDiedError, ActorUnavailableError) as exc:
            log.warning("batch.worker_lost", sha256=source.sha256, reason=str(exc)[:300])
            actor, self.replaced = self._start(), self.replaced + 1
            result = TaskFailed("processing.crashed", "a worker died")
        except RayError as exc:  # our code raised something unexpected
            log.error("batch.task_failed", sha256=source.sha256, reason=str(exc)[:2000])
            cause = exc.cause if hasattr(exc, "cause") else exc
            result = TaskFailed("processing.failed", f"{type(cause).__name__}: {cause}"[:500])
        self.idle.append(actor)
        tries = self.attempts[source.sha256]
        if isinstance(result, Computed) or result.final or tries >= self.max_attempts:
            return source, result, tries
        log.info("batch.retry", sha256=source.sha256, attempt=tries, code=result.code)
        self.waiting.append(source)
        return None

    def close(self) -> None:
        import ray

        for actor in self.idle:
            ray.kill(actor)
        self.idle = []


def as_failure(result: object) -> TaskFailed:
    return result if isinstance(result, TaskFailed) else TaskFailed("processing.failed", "")
