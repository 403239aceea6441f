"""Batch work on Ray: probe tasks feed a pool of actors that transcribe and embed (each
loads its models once) and write one Parquet shard per video; the one writer merges them
every few minutes and at the end, one index update per merge.

Sizing: an actor takes ``threads`` CPUs and runs its models on that many threads, so
actors × threads never exceeds the CPUs Ray was given. Probe tasks reserve no CPU, so a pool
that takes every CPU can never starve the tasks it waits on; a file goes to the pool as soon
as its probe says it is new, so probing overlaps model loading and transcription.

Failures: a worker process that dies is restarted by Ray and its task retried by Ray
(``max_restarts``/``max_task_retries``); an error raised by our code is retried here up to
``max_attempts`` unless it is the media's fault (``media.*``), which no retry fixes.

Security: nothing from outside the cluster is unpickled — tasks get paths and plain values,
and results come back as Parquet files and JSON-able dicts. A local Ray starts without its
dashboard and without usage statistics. Ray 2.60 cannot bind its gRPC ports to loopback (it
turns 127.0.0.1 into the machine's address), so what guards them is token authentication,
which stays on (Ray's default) unless ``RAY_AUTH_MODE=disabled`` is set — only the tests do."""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from pipelines.batch import BatchItem, ItemOutcome, MergeReport
from pipelines.clips import ClipPlan
from pipelines.compute import ComputeOptions, process_video
from pipelines.config import LimitsSettings
from pipelines.errors import VidscopeError
from pipelines.ingest import check_file
from pipelines.logs import get_logger
from pipelines.shards import ShardSource, shard_path, write_shard

log = get_logger(__name__)

# What the workers' processes must see whatever machine they run on.
WORKER_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
ACTOR_RESTARTS = 3  # a worker killed more often than this is replaced by a new actor
RAY_TASK_RETRIES = 2  # Ray re-runs a task whose process died this many times


class BatchWriter(Protocol):
    """The one writer, local (this process owns the library) or the server's API."""

    def shards_folder(self) -> Path: ...

    def ready_sha256s(self, sha256s: list[str]) -> set[str]: ...

    def merge_shards(self, sha256s: list[str], *, batch_id: str) -> MergeReport: ...


@dataclass
class BatchReport:
    batch_id: str
    workers: int
    threads: int
    cpus: float
    outcomes: list[ItemOutcome] = field(default_factory=list)
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
            "ray_start_s": round(self.ray_start_s, 3),
            "probe_s": round(self.probe_s, 3),
            "compute_s": round(self.compute_s, 3),
            "merge_s": round(self.merge_s, 3),
            "merge_index_s": round(self.merge_index_s, 3),
            "wall_s": round(self.wall_s, 3),
            "worker_restarts": self.worker_restarts,
            "outcomes": [o.to_json() for o in self.outcomes],
        }


Progress = Callable[[ItemOutcome, int, int], None]  # (outcome, done, total)


def new_batch_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


@contextmanager
def ray_session(address: str | None, *, cpus: int | None = None) -> Iterator[float]:
    """Connects to the cluster at ``address`` ("auto", "ray://host:10001"), or starts a
    local Ray (no dashboard, token authentication on) with ``cpus`` CPUs (default: all);
    yields the CPUs available."""
    # Both before Ray is imported: it reads the authentication mode once, at import.
    # Ray would report usage statistics to its makers over the internet; Vidscope runs
    # air-gapped and sends nothing anywhere. An explicit setting is left as it is.
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if address and address.startswith("ray://"):
        # Ray Client sends the cluster's token only in token mode, which ray.init() turns
        # on by itself for every other address; without it the head refuses the client and
        # it times out after 30 s, saying nothing of why. A cluster without authentication
        # must be named so: RAY_AUTH_MODE=disabled.
        os.environ.setdefault("RAY_AUTH_MODE", "token")
    import ray
    from ray.exceptions import RayError

    if ray.is_initialized():  # a notebook or test that started Ray itself
        yield _cpus()
        return
    runtime_env = {"env_vars": WORKER_ENV}
    try:
        if address:
            _connect(address, runtime_env)
        else:
            ray.init(
                num_cpus=cpus or os.cpu_count() or 1,
                include_dashboard=False,
                runtime_env=runtime_env,
                log_to_driver=False,
                # Ray's INFO/WARNING lines (its start, the token notice we document) would
                # interleave with our progress bar; errors still show.
                logging_level=logging.ERROR,
            )
    except (ConnectionError, RuntimeError, ValueError, RayError) as exc:
        reason = str(exc).split(". ")[0]  # Ray's own advice follows; ours names our settings
        raise VidscopeError(
            f"Ray could not start or connect{f' to {address}' if address else ''} ({reason}); "
            "check --ray-address, and RAY_AUTH_TOKEN_PATH for a cluster with token "
            "authentication (README, 'Running on a cluster')",
            code="batch.ray_unavailable",
        ) from exc
    try:
        yield _cpus()
    finally:
        ray.shutdown()


# Ray Client's proxy starts a server process per driver, and that start now and then fails
# at once (seen in full-suite CI runs, on heads that served the next driver); such a failure
# is worth another try, unlike a refused token or a wrong address.
CLIENT_CONNECT_ATTEMPTS = 3


def _connect(address: str, runtime_env: dict[str, Any]) -> None:
    import ray

    for attempt in range(1, CLIENT_CONNECT_ATTEMPTS + 1):
        try:
            ray.init(
                address=address,
                runtime_env=runtime_env,
                log_to_driver=False,
                logging_level=logging.ERROR,
            )
            return
        except ConnectionError as exc:
            # The proxy's own words when its server process died while starting.
            transient = any(
                words in str(exc)
                for words in ("Starting Ray client server failed", "start_specific_server")
            )
            if not transient or attempt == CLIENT_CONNECT_ATTEMPTS:
                raise
            log.warning("batch.ray_client_retry", attempt=attempt, reason=str(exc)[:300])
            ray.shutdown()  # the failed client connection, so the next init starts afresh
            time.sleep(attempt)


def _cpus() -> float:
    import ray

    resources: dict[str, float] = ray.cluster_resources()  # type: ignore[no-untyped-call]
    return float(resources.get("CPU", 1))


def plan_workers(cpus: float, workers: int) -> tuple[int, int]:
    """(actors, threads per actor) for ``workers`` requested, so that actors × threads ≤ CPUs.
    The default, one single-threaded actor per CPU, took 13 % less wall time than one actor
    on both cores here (docs/benchmarks.md): Whisper's threads do not scale perfectly."""
    total = max(1, int(cpus))
    if workers > total:
        raise VidscopeError(
            f"--workers {workers} is more than the {total} CPU(s) Ray has; each worker needs "
            "one CPU at least",
            code="batch.too_many_workers",
        )
    actors = workers or total
    return actors, max(1, total // actors)


def _probe(path: str, title: str, limits: LimitsSettings) -> dict[str, Any]:
    """Runs on a Ray worker: the content checks and the hash, as plain values."""
    try:
        checked = check_file(path, limits=limits)
    except VidscopeError as exc:
        return {"ok": False, "code": exc.code, "message": exc.message}
    source = ShardSource(checked.sha256, title, str(checked.path), checked.info, checked.track)
    return {"ok": True, "source": source.to_json()}


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
            return {"ok": False, "code": exc.code, "message": exc.message}
        write_shard(self.folder, source, artifact)
        return {"ok": True, "compute_s": time.perf_counter() - started, "pid": os.getpid()}

    def _warm_up(self) -> None:
        # In the constructor: the models load while the files are probed, and an actor that
        # is killed unused (nothing left to do) has no task to report as failed.
        from pipelines.embed import load_embedder
        from pipelines.transcribe import load_whisper

        t = self.options.transcribe
        load_whisper(t.model, t.compute_type, t.threads, t.decoders)
        load_embedder(self.options.embed_model, self.options.threads, self.options.model_cache)


def _final(code: str) -> bool:
    """Errors no retry can fix: the file itself is the problem."""
    return code.startswith("media.")


def ingest_batch(
    items: Sequence[BatchItem],
    *,
    writer: BatchWriter,
    options: ComputeOptions,
    limits: LimitsSettings,
    address: str | None = None,
    workers: int = 0,
    cpus: int | None = None,
    max_attempts: int = 3,
    progress: Progress | None = None,
    batch_id: str | None = None,
    merge_every_s: float = 0.0,
) -> BatchReport:
    """Probes, computes and merges ``items``; each ends indexed, already_indexed,
    duplicate or failed (with its code and reason). Safe to run again after a kill.

    The writer stores what was computed every ``merge_every_s`` seconds (0: once, at the
    end), each merge with one index update, so a long batch fills the library as it goes."""
    started = time.perf_counter()
    batch_id = batch_id or new_batch_id()
    shards = writer.shards_folder()
    report = BatchReport(batch_id, workers=0, threads=0, cpus=0.0)
    done: dict[int, ItemOutcome] = {}
    first_of: dict[str, int] = {}  # sha256 -> the index of the first file with that content
    pending: list[str] = []  # sha256s whose shards wait for the next merge
    compute_times: dict[str, tuple[float, int]] = {}
    counted: set[int] = set()  # files computed or finished: what the progress counts
    report_progress = progress or (lambda outcome, n, total: None)
    last_merge = started

    def outcome_for(index: int, status: str, **fields: Any) -> ItemOutcome:
        """An outcome named as the batch's input names the file (path and title)."""
        return ItemOutcome(str(items[index].path), items[index].title, status, **fields)

    def finish(index: int, outcome: ItemOutcome) -> None:
        done[index] = outcome
        counted.add(index)
        report_progress(outcome, len(counted), len(items))

    def merge_pending() -> None:
        """The one writer stores the shards computed since the last merge, then updates
        the owner's indexes once."""
        nonlocal last_merge
        shas = list(pending)
        pending.clear()
        phase = time.perf_counter()
        merged = writer.merge_shards(shas, batch_id=batch_id)
        report.merge_s += time.perf_counter() - phase
        report.merge_index_s += merged.index_s
        by_sha = {o.sha256: o for o in merged.outcomes}
        for sha in shas:
            index = first_of[sha]
            outcome = by_sha.get(sha) or outcome_for(
                index,
                "failed",
                sha256=sha,
                error_code="batch.not_merged",
                message="the writer did not report this shard",
            )
            outcome.path, outcome.title = str(items[index].path), items[index].title
            outcome.compute_s, outcome.attempts = compute_times.get(sha, (0.0, 0))
            finish(index, outcome)
        last_merge = time.perf_counter()

    def computed_one(source: ShardSource, seconds: float = 0.0, attempts: int = 0) -> None:
        """A shard is ready; the next merge stores its file, but the progress moves now (a
        long batch would otherwise sit still until the merge)."""
        pending.append(source.sha256)
        compute_times[source.sha256] = (seconds, attempts)
        index = first_of[source.sha256]
        counted.add(index)
        interim = outcome_for(
            index,
            "computed",
            sha256=source.sha256,
            audio_s=source.info.duration,
            compute_s=seconds,
            attempts=attempts,
        )
        report_progress(interim, len(counted), len(items))
        if merge_every_s and time.perf_counter() - last_merge >= merge_every_s:
            merge_pending()

    with ray_session(address, cpus=cpus) as available:
        import ray

        actors, threads = plan_workers(available, workers)
        report.workers, report.threads, report.cpus = actors, threads, available
        report.ray_start_s = time.perf_counter() - started
        pool_options = replace(
            options, threads=threads, transcribe=replace(options.transcribe, threads=threads)
        )
        # The actors start now and load their models while the first files are probed.
        pool = ActorPool(
            pool_options,
            shards,
            actors=min(actors, len(items)),
            threads=threads,
            max_attempts=max_attempts,
        )
        # Probe tasks reserve no CPU (they mostly wait on the disk), so they run beside a pool
        # that holds every CPU and can never starve behind it; one per CPU is in flight.
        probe = ray.remote(num_cpus=0, max_retries=RAY_TASK_RETRIES)(_probe)
        window = max(1, int(available))
        to_probe = deque(enumerate(items))
        probing: dict[Any, int] = {}

        def probed(index: int, result: dict[str, Any]) -> None:
            """Sorts a probed file: failed, a duplicate, already indexed, computed by a run
            that was killed before its merge, or work for the pool."""
            if not result["ok"]:
                finish(index, _failed(items[index], result, attempts=1))
                return
            source = ShardSource.from_json(result["source"])
            sha = source.sha256
            if sha in first_of:
                original = items[first_of[sha]].path
                finish(
                    index,
                    outcome_for(index, "duplicate", sha256=sha, message=f"same file as {original}"),
                )
                return
            first_of[sha] = index
            if writer.ready_sha256s([sha]):
                finish(index, outcome_for(index, "already_indexed", sha256=sha))
            elif shard_path(shards, sha).exists():  # computed by a run killed before its merge
                computed_one(source)
            else:
                pool.enqueue(source)

        # Probing, checking and computing overlap: a file goes to the pool as soon as it is
        # known to be new, so no phase waits for the slowest file of the one before.
        phase = time.perf_counter()
        while to_probe or probing or pool.busy():
            while to_probe and len(probing) < window:
                index, item = to_probe.popleft()
                probing[probe.remote(str(item.path), item.title, limits)] = index
            pool.dispatch()
            [ready], _ = ray.wait([*probing, *pool.running], num_returns=1)
            if ready in probing:
                probed(probing.pop(ready), ray.get(ready))
                if not to_probe and not probing:
                    report.probe_s = time.perf_counter() - phase
                continue
            finished = pool.collect(ready)
            if finished is None:  # queued again for another attempt
                continue
            source, result, attempts = finished
            if result["ok"]:
                computed_one(source, float(result["compute_s"]), attempts)
            else:
                index = first_of[source.sha256]
                finish(
                    index, _failed(items[index], result, attempts=attempts, sha256=source.sha256)
                )
        pool.close()
        report.worker_restarts = pool.replaced
        report.compute_s = time.perf_counter() - phase - report.merge_s  # merges so far

    if pending:
        merge_pending()
    report.outcomes = [done[i] for i in sorted(done)]
    report.wall_s = time.perf_counter() - started
    log.info("batch.finished", **{k: v for k, v in report.to_json().items() if k != "outcomes"})
    return report


def _failed(
    item: BatchItem, result: dict[str, Any], *, attempts: int, sha256: str = ""
) -> ItemOutcome:
    return ItemOutcome(
        str(item.path),
        item.title,
        "failed",
        sha256=sha256,
        attempts=attempts,
        error_code=str(result.get("code", "processing.failed")),
        message=str(result.get("message", "")),
    )


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

    def collect(self, ref: Any) -> tuple[ShardSource, dict[str, Any], int] | None:
        """The finished task's (source, result, attempts), or None when it failed in a way
        that may pass and was queued again."""
        import ray
        from ray.exceptions import ActorDiedError, ActorUnavailableError, RayError

        actor, source = self.running.pop(ref)
        try:
            result = ray.get(ref)
        except (ActorDiedError, ActorUnavailableError) as exc:
            log.warning("batch.worker_lost", sha256=source.sha256, reason=str(exc)[:300])
            actor, self.replaced = self._start(), self.replaced + 1
            result = {"ok": False, "code": "processing.crashed", "message": "a worker died"}
        except RayError as exc:  # our code raised something unexpected
            log.error("batch.task_failed", sha256=source.sha256, reason=str(exc)[:2000])
            cause = exc.cause if hasattr(exc, "cause") else exc
            message = f"{type(cause).__name__}: {cause}"[:500]
            result = {"ok": False, "code": "processing.failed", "message": message}
        self.idle.append(actor)
        tries = self.attempts[source.sha256]
        if result["ok"] or _final(str(result["code"])) or tries >= self.max_attempts:
            return source, result, tries
        log.info("batch.retry", sha256=source.sha256, attempt=tries, code=result["code"])
        self.waiting.append(source)
        return None

    def close(self) -> None:
        import ray

        for actor in self.idle:
            ray.kill(actor)
        self.idle = []


# -- clips -------------------------------------------------------------------------------------
def _cut(plan: ClipPlan) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        path = plan.cut()
    except VidscopeError as exc:
        return {"ok": False, "code": exc.code, "message": exc.message}
    return {"ok": True, "path": str(path), "seconds": time.perf_counter() - started}


def clip_batch(
    plans: Sequence[ClipPlan],
    *,
    address: str | None = None,
    cpus: int | None = None,
    progress: Callable[[dict[str, Any], int, int], None] | None = None,
) -> list[dict[str, Any]]:
    """Cuts every clip as a Ray task (one CPU each; a task whose process dies is re-run).
    Returns one result per plan, in order: {"ok", "path" | "code"/"message"}."""
    results: dict[int, dict[str, Any]] = {}
    with ray_session(address, cpus=cpus):
        import ray

        cut = ray.remote(num_cpus=1, max_retries=RAY_TASK_RETRIES)(_cut)
        pending = {cut.remote(plan): n for n, plan in enumerate(plans)}
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            n = pending.pop(ready[0])
            results[n] = ray.get(ready[0])
            if progress is not None:
                progress(results[n], len(results), len(plans))
    return [results[n] for n in range(len(plans))]
