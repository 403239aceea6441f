"""Batch work, the one writer's half: merging the Parquet shards that batch workers
(``pipelines.jobs.ray_ingest``) wrote.

The merge is keyed by ``(owner_id, sha256)``: a video the owner already has is skipped, a
shard is deleted only after its video is ready (committed and searchable), and each owner's
indexes are updated once per merge, not once per video. So a batch killed at any point and
run again finishes the rest, and nothing is stored twice."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pipelines.config import Settings
from pipelines.ingest import CheckedFile, commit_artifact, new_video, update_indexes
from pipelines.jobs.shards import ShardSource, read_shard, shard_path
from pipelines.logs import get_logger
from pipelines.retrieval.indexes import SearchIndexes
from pipelines.storage.catalog import OwnerCatalog, new_video_id
from pipelines.storage.files import store_media

log = get_logger(__name__)


@dataclass
class ItemOutcome:
    """What happened to one file of a batch; ``status`` is indexed, already_indexed,
    duplicate (the same bytes appear earlier in the batch) or failed — or, reported only as
    progress before the merge, computed."""

    path: str
    title: str
    status: str
    video_id: str = ""
    sha256: str = ""
    chunks: int = 0
    audio_s: float = 0.0
    compute_s: float = 0.0
    attempts: int = 0
    error_code: str | None = None
    message: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class MergeReport:
    outcomes: list[ItemOutcome] = field(default_factory=list)
    catalog_s: float = 0.0  # the catalog transactions
    index_s: float = 0.0  # the one index update per owner


def owner_shards(settings: Settings, owner_id: str) -> Path:
    return settings.layout.shards_dir / owner_id


def ready_sha256s(catalog: OwnerCatalog, sha256s: list[str]) -> set[str]:
    """Which of these contents the owner already has indexed."""
    found = set()
    for sha in sha256s:
        video = catalog.find_video_by_sha256(sha)
        if video is not None and video.status == "ready":
            found.add(sha)
    return found


def merge_shards(
    sha256s: list[str],
    *,
    batch_id: str,
    settings: Settings,
    catalog: OwnerCatalog,
    indexes: SearchIndexes,
) -> MergeReport:
    """Stores each shard's video in one transaction (row, job, transcript, vectors), then
    updates the owner's indexes once. Shards are read from the owner's shard folder."""
    owner_id = catalog.owner_id
    report = MergeReport()
    old: list[np.ndarray] = []
    new: list[int] = []
    vectors: list[np.ndarray] = []
    stored: list[tuple[ItemOutcome, str, Path]] = []  # committed, not yet ready
    folder = owner_shards(settings, owner_id)
    started = time.perf_counter()
    for sha in sha256s:
        path = shard_path(folder, sha)
        try:
            source, artifact = read_shard(path)
        except (OSError, ValueError) as exc:
            report.outcomes.append(
                ItemOutcome(
                    str(path),
                    sha,
                    "failed",
                    sha256=sha,
                    error_code="batch.bad_shard",
                    message=f"the worker's shard cannot be read ({exc}); run the batch "
                    "again to recompute it",
                )
            )
            path.unlink(missing_ok=True)
            continue
        outcome, job_id, replaced, added = _merge_one(
            source,
            artifact,
            batch_id=batch_id,
            settings=settings,
            catalog=catalog,
        )
        report.outcomes.append(outcome)
        if outcome.status == "indexed":
            old.append(replaced)
            new.extend(added)
            vectors.append(artifact.chunk_vectors)
            stored.append((outcome, job_id, path))
        elif outcome.status != "failed" or outcome.error_code != "media.unreadable":
            path.unlink(missing_ok=True)  # known already: the catalog holds it
    report.catalog_s = time.perf_counter() - started
    started = time.perf_counter()
    if new:
        update_indexes(
            indexes,
            catalog,
            old_ids=np.concatenate(old) if old else np.zeros(0, dtype=np.int64),
            new_ids=new,
            vectors=np.vstack(vectors),
        )
    # Ready once searchable. A crash before this leaves them processing, shards kept:
    # start-up repair marks them ready (their rows are stored, Library.repair), and the batch
    # run again finds them indexed and deletes the shards.
    with catalog.transaction():
        for outcome, job_id, _ in stored:
            catalog.mark_ready(catalog.get_video(outcome.video_id), job_id=job_id)
    for _, _, path in stored:
        path.unlink(missing_ok=True)
    report.index_s = time.perf_counter() - started
    log.info(
        "batch.merged",
        batch_id=batch_id,
        owner_id=owner_id,
        videos=sum(o.status == "indexed" for o in report.outcomes),
        chunks=len(new),
        catalog_s=round(report.catalog_s, 3),
        index_s=round(report.index_s, 3),
    )
    return report


def _merge_one(
    source: ShardSource,
    artifact: Any,
    *,
    batch_id: str,
    settings: Settings,
    catalog: OwnerCatalog,
) -> tuple[ItemOutcome, str, np.ndarray, list[int]]:
    none = np.zeros(0, dtype=np.int64)
    existing = catalog.find_video_by_sha256(source.sha256)
    if existing is not None and existing.status == "ready":
        outcome = ItemOutcome(
            source.path, source.title, "already_indexed", existing.id, source.sha256
        )
        return outcome, "", none, []
    # A row left 'processing' by a crash keeps its id, so the rerun finishes that video.
    video_id = existing.id if existing is not None else new_video_id()
    checked = CheckedFile(Path(source.path), source.info, source.track, source.sha256)
    video = new_video(
        checked,
        video_id=video_id,
        title=source.title,
        owner_id=catalog.owner_id,
        settings=settings,
    )
    media_path = settings.home / video.media_path
    try:
        if not media_path.exists():  # stored atomically: an existing file is complete
            store_media(checked.path, media_path)
    except OSError as exc:
        outcome = ItemOutcome(
            source.path,
            source.title,
            "failed",
            sha256=source.sha256,
            error_code="media.unreadable",
            message=f"{source.path}: cannot be copied into the library ({exc.strerror or exc})",
        )
        return outcome, "", none, []
    # One transaction: a crash leaves either nothing of this video or all of it.
    with catalog.transaction():
        job_id = catalog.begin_ingest(video, job={"payload": {"batch": batch_id}})
        old_ids, new_ids = commit_artifact(video, artifact, job_id=job_id, catalog=catalog)
    outcome = ItemOutcome(
        source.path,
        source.title,
        "indexed",
        video_id,
        source.sha256,
        chunks=len(new_ids),
        audio_s=source.info.duration,
    )
    return outcome, job_id, old_ids, new_ids
