"""Batch ingest on Ray: probe tasks feed a pool of actors that transcribe and embed (each
loads its models once) and write one Parquet shard per video; the one writer merges them
every few minutes and at the end, one index update per merge.

Sizing: an actor takes ``threads`` CPUs and runs its models on that many threads, so
actors × threads never exceeds the CPUs Ray was given. Probe tasks reserve no CPU, so a pool
that takes every CPU can never starve the tasks it waits on; a file goes to the pool as soon
as its probe says it is new, so probing overlaps model loading and transcription.

A rerun skips what the writer already has before Ray starts: the driver hashes each file
(SHA-256 at ~330 MB/s on a loaded 2-core machine) and asks the writer once. Three known
talks: hash_s 0.049 s and the command 4 s, where Ray's start and the probes took 14.7 + 14.6 s.
Ray starts only when some file is new, unreadable here, or not a file the writer knows.

Failures: a worker process that dies is restarted by Ray and its task retried by Ray
(``max_restarts``/``max_task_retries``); an error raised by our code is retried here up to
``max_attempts`` unless it is the media's fault (``media.*``), which no retry fixes.

Security: nothing from outside the cluster is unpickled — tasks get paths and plain values,
and results come back as Parquet files and plain dicts (``results``)."""

from __future__ import annotations

import os
import secrets
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from pipelines.compute import ComputeOptions
from pipelines.config import LimitsSettings, Settings
from pipelines.errors import VidscopeError
from pipelines.ingest import check_file
from pipelines.jobs.manifest import BatchItem
from pipelines.jobs.merge import ItemOutcome, MergeReport
from pipelines.jobs.ray_actors import ActorPool, as_failure
from pipelines.jobs.ray_session import RAY_TASK_RETRIES, plan_workers, ray_session
from pipelines.jobs.results import Computed, Probed, TaskFailed, from_wire, to_wire
from pipelines.jobs.shards import ShardSource, shard_path
from pipelines.logs import get_logger
from pipelines.storage.files import sha256_file

log = get_logger(__name__)


class BatchWriter(Protocol):
    """The one writer, local (this process owns the library) or the server's API."""

    def shards_folder(self) -> Path: ...

    def ready_sha256s(self, sha256s: list[str]) -> set[str]: ...

    def merge_shards(self, sha256s: list[str], *, batch_id: str) -> MergeReport: ...


@dataclass(frozen=True)
class BatchOptions:
    """How a batch runs: where (a cluster ``address``, or a local Ray with ``cpus``), on how
    many ``workers`` (0: one per CPU), how often a failing video is tried, and how often the
    writer merges (0: once, at the end)."""

    compute: ComputeOptions
    limits: LimitsSettings
    address: str | None = None
    workers: int = 0
    cpus: int | None = None
    max_attempts: int = 3
    merge_every_s: float = 0.0

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        address: str | None = None,
        workers: int = 0,
        cpus: int | None = None,
    ) -> BatchOptions:
        """The settings' batch options; ``address`` and ``workers`` override them when given."""
        return cls(
            compute=ComputeOptions.from_settings(settings),
            limits=settings.limits,
            address=address or settings.ray.address,
            workers=workers or settings.ray.workers,
            cpus=cpus,
            max_attempts=settings.ray.max_attempts,
            merge_every_s=settings.ray.merge_every_s,
        )


@dataclass
class BatchReport:
    batch_id: str
    workers: int
    threads: int
    cpus: float
    outcomes: list[ItemOutcome] = field(default_factory=list)
    hash_s: float = 0.0
    ray_start_s: float = 0.0
    probe_s: float = 0.0
    compute_s: float = 0.0
    merge_s: float = 0.0
    merge_index_s: float = 0.0
    wall_s: float = 0.0
    worker_restarts: int = 0

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def audio_s(self) -> float:
        return sum(o.audio_s for o in self.outcomes if o.status == "indexed")

    def to_json(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "workers": self.workers,
            "threads": self.threads,
            "cpus": self.cpus,
            "indexed": self.count("indexed"),
            "already_indexed": self.count("already_indexed"),
            "duplicate": self.count("duplicate"),
            "failed": self.count("failed"),
            "audio_s": round(self.audio_s, 2),
            "hash_s": round(self.hash_s, 3),
            "ray_start_s": round(self.ray_start_s, 3),
            "probe_s": round(self.probe_s, 3),
            "compute_s": round(self.compute_s, 3),
            "merge_s": round(self.merge_s, 3),
            "merge_index_s": round(self.merge_index_s, 3),
            "wall_s": round(self.wall_s, 3),
            "worker_restarts": self.worker_restarts,
            "outcomes": [o.to_json() for o in self.outcomes],
        }


BatchProgress = Callable[[ItemOutcome, int, int], None]  # (outcome, done, total)


def new_batch_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def _probe(path: str, title: str, limits: LimitsSettings, sha256: str | None) -> dict[str, Any]:
    """Runs on a Ray worker: the content checks and the hash (``sha256`` when the driver read
    the same file already), as plain values."""
    try:
        checked = check_file(path, limits=limits, sha256=sha256)
    except VidscopeError as exc:
        return to_wire(TaskFailed.of(exc))
    return to_wire(
        Probed(ShardSource(checked.sha256, title, str(checked.path), checked.info, checked.track))
    )


def _hash_if_readable(path: Path) -> str | None:
    """A regular file's SHA-256, or None for what the probe must judge: reading a FIFO or a
    device named in a manifest would block or never end, a missing file has its code there."""
    try:
        return sha256_file(path) if path.is_file() else None
    except OSError:
        return None


class IngestBatch:
    """One batch: ``run()`` probes, computes and merges the items; each ends indexed,
    already_indexed, duplicate or failed (with its code and reason). Safe to run again after
    a kill: what the writer has is skipped, a shard a killed run left is merged.

    The steps, in the order a file meets them: ``_probed`` sorts a probed file, the pool
    computes new ones, ``_computed`` records a shard, ``_merge_pending`` hands shards to the
    writer, ``_finish`` reports a file's final outcome."""

    def __init__(
        self,
        items: Sequence[BatchItem],
        *,
        writer: BatchWriter,
        options: BatchOptions,
        progress: BatchProgress | None = None,
        batch_id: str | None = None,
    ) -> None:
        self.items = items
        self.writer = writer
        self.options = options
        self.progress = progress or (lambda outcome, n, total: None)
        self.report = BatchReport(batch_id or new_batch_id(), workers=0, threads=0, cpus=0.0)
        self.shards = writer.shards_folder()
        self.done: dict[int, ItemOutcome] = {}
        self.first_of: dict[str, int] = {}  # sha256 -> the first file with that content
        self.pending: list[str] = []  # sha256s whose shards wait for the next merge
        self.compute_times: dict[str, tuple[float, int]] = {}
        self.counted: set[int] = set()  # files computed or finished: what progress counts
        self.hashes: dict[int, str] = {}  # the driver's hash of each file it could read
        self.last_merge = 0.0

    @property
    def batch_id(self) -> str:
        return self.report.batch_id

    def run(self) -> BatchReport:
        started = self.last_merge = time.perf_counter()
        report = self.report
        unknown = self._skip_known()
        if unknown:
            ray_started = time.perf_counter()
            with ray_session(self.options.address, cpus=self.options.cpus) as available:
                actors, threads = plan_workers(available, self.options.workers)
                report.workers, report.threads, report.cpus = actors, threads, available
                report.ray_start_s = time.perf_counter() - ray_started
                self._compute_all(unknown, available, actors, threads)
        if self.pending:
            self._merge_pending()
        report.outcomes = [self.done[i] for i in sorted(self.done)]
        report.wall_s = time.perf_counter() - started
        log.info("batch.finished", **{k: v for k, v in report.to_json().items() if k != "outcomes"})
        return report

    def _skip_known(self) -> list[int]:
        """Reports the files whose bytes the writer already has (already_indexed, or duplicate
        of an earlier one) from their hash, without Ray; returns the indexes left to probe. A
        file this process cannot read is left to the probe, which names the fault (on a
        cluster the workers may see files the driver does not)."""
        phase = time.perf_counter()
        # hashlib lets go of the GIL while it reads: a few threads hash as the probes did, in
        # parallel. A local Ray's probes take this hash instead of reading each file again.
        with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
            read = pool.map(_hash_if_readable, [item.path for item in self.items])
            hashes = {index: sha for index, sha in enumerate(read) if sha is not None}
        self.hashes = hashes
        known = self.writer.ready_sha256s(sorted(set(hashes.values()))) if hashes else set()
        unknown = []
        for index in range(len(self.items)):
            sha = hashes.get(index)
            if sha is None or sha not in known:
                unknown.append(index)
            elif sha in self.first_of:
                self._finish(index, self._duplicate(index, sha))
            else:
                self.first_of[sha] = index
                self._finish(index, self._outcome(index, "already_indexed", sha256=sha))
        self.report.hash_s = time.perf_counter() - phase
        return unknown

    def _duplicate(self, index: int, sha: str) -> ItemOutcome:
        original = self.items[self.first_of[sha]].path
        return self._outcome(index, "duplicate", sha256=sha, message=f"same file as {original}")

    def _compute_all(
        self, indexes: Sequence[int], available: float, actors: int, threads: int
    ) -> None:
        """Probing, checking and computing overlap: a file goes to the pool as soon as it is
        known to be new, so no phase waits for the slowest file of the one before."""
        import ray

        compute = self.options.compute
        pool = ActorPool(
            replace(
                compute, threads=threads, transcribe=replace(compute.transcribe, threads=threads)
            ),
            self.shards,
            actors=min(actors, len(indexes)),
            threads=threads,
            max_attempts=self.options.max_attempts,
        )  # the actors start now and load their models while the first files are probed
        # Probe tasks reserve no CPU (they mostly wait on the disk), so they run beside a pool
        # that holds every CPU and can never starve behind it; one per CPU is in flight.
        probe = ray.remote(num_cpus=0, max_retries=RAY_TASK_RETRIES)(_probe)
        window = max(1, int(available))
        to_probe = deque((index, self.items[index]) for index in indexes)
        probing: dict[Any, int] = {}
        phase = time.perf_counter()
        while to_probe or probing or pool.busy():
            while to_probe and len(probing) < window:
                index, item = to_probe.popleft()
                sha = self.hashes.get(index) if self.options.address is None else None
                probing[probe.remote(str(item.path), item.title, self.options.limits, sha)] = index
            pool.dispatch()
            [ready], _ = ray.wait([*probing, *pool.running], num_returns=1)
            if ready in probing:
                self._probed(probing.pop(ready), from_wire(ray.get(ready)), pool)
                if not to_probe and not probing:
                    self.report.probe_s = time.perf_counter() - phase
                continue
            finished = pool.collect(ready)
            if finished is None:  # queued again for another attempt
                continue
            source, result, attempts = finished
            if isinstance(result, Computed):
                self._computed(source, result.compute_s, attempts)
            else:
                index = self.first_of[source.sha256]
                self._finish(index, self._failed(index, result, attempts, source.sha256))
        pool.close()
        self.report.worker_restarts = pool.replaced
        self.report.compute_s = time.perf_counter() - phase - self.report.merge_s

    def _probed(self, index: int, result: object, pool: ActorPool) -> None:
        """Sorts a probed file: failed, a duplicate, already indexed, computed by a run that
        was killed before its merge, or work for the pool."""
        if not isinstance(result, Probed):
            self._finish(index, self._failed(index, as_failure(result), attempts=1))
            return
        source = result.source
        sha = source.sha256
        if sha in self.first_of:
            self._finish(index, self._duplicate(index, sha))
            return
        self.first_of[sha] = index
        if self.writer.ready_sha256s([sha]):
            self._finish(index, self._outcome(index, "already_indexed", sha256=sha))
        elif shard_path(self.shards, sha).exists():  # computed by a run killed before its merge
            self._computed(source)
        else:
            pool.enqueue(source)

    def _computed(self, source: ShardSource, seconds: float = 0.0, attempts: int = 0) -> None:
        """A shard is ready; the next merge stores its file, but the progress moves now (a
        long batch would otherwise sit still until the merge)."""
        self.pending.append(source.sha256)
        self.compute_times[source.sha256] = (seconds, attempts)
        index = self.first_of[source.sha256]
        self.counted.add(index)
        interim = self._outcome(
            index,
            "computed",
            sha256=source.sha256,
            audio_s=source.info.duration,
            compute_s=seconds,
            attempts=attempts,
        )
        self.progress(interim, len(self.counted), len(self.items))
        every = self.options.merge_every_s
        if every and time.perf_counter() - self.last_merge >= every:
            self._merge_pending()

    def _merge_pending(self) -> None:
        """The one writer stores the shards computed since the last merge, then updates the
        owner's indexes once."""
        shas = list(self.pending)
        self.pending.clear()
        phase = time.perf_counter()
        merged = self.writer.merge_shards(shas, batch_id=self.batch_id)
        self.report.merge_s += time.perf_counter() - phase
        self.report.merge_index_s += merged.index_s
        by_sha = {o.sha256: o for o in merged.outcomes}
        for sha in shas:
            index = self.first_of[sha]
            outcome = by_sha.get(sha) or self._outcome(
                index,
                "failed",
                sha256=sha,
                error_code="batch.not_merged",
                message="the writer did not report this shard",
            )
            outcome.path, outcome.title = str(self.items[index].path), self.items[index].title
            outcome.compute_s, outcome.attempts = self.compute_times.get(sha, (0.0, 0))
            self._finish(index, outcome)
        self.last_merge = time.perf_counter()

    def _finish(self, index: int, outcome: ItemOutcome) -> None:
        self.done[index] = outcome
        self.counted.add(index)
        self.progress(outcome, len(self.counted), len(self.items))

    def _outcome(self, index: int, status: str, **fields: Any) -> ItemOutcome:
        """An outcome named as the batch's input names the file (path and title)."""
        return ItemOutcome(str(self.items[index].path), self.items[index].title, status, **fields)

    def _failed(
        self, index: int, failure: TaskFailed, attempts: int, sha256: str = ""
    ) -> ItemOutcome:
        return self._outcome(
            index,
            "failed",
            sha256=sha256,
            attempts=attempts,
            error_code=failure.code,
            message=failure.message,
        )


def ingest_batch(
    items: Sequence[BatchItem],
    *,
    writer: BatchWriter,
    options: BatchOptions,
    progress: BatchProgress | None = None,
    batch_id: str | None = None,
) -> BatchReport:
    """Runs one ``IngestBatch``; see there."""
    return IngestBatch(
        items, writer=writer, options=options, progress=progress, batch_id=batch_id
    ).run()
