"""Ingest, written by the one writer: check → probe → hash → store → compute → catalog →
index. The catalog write is one transaction and comes before the index update, so a crash at
any point leaves either the old state or something start-up repair can finish.

Two ways in: ``ingest_file`` runs the whole thing now (the CLI, notebooks), and
``accept_upload`` checks a staged upload and queues it for the server's worker, which calls
``store_artifact`` with what ``compute.process_video`` returned."""

from __future__ import annotations

import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipelines.compute import ComputeOptions, IngestArtifact, process_video
from pipelines.config import MAX_SPEAKERS, LimitsSettings, Settings
from pipelines.errors import MediaError, VidscopeError
from pipelines.logs import get_logger
from pipelines.media.intake import check_local_file
from pipelines.media.probe import choose_audio_track, probe, validate
from pipelines.purge import purge_video
from pipelines.quota import ensure_quota
from pipelines.quota import quota_exceeded as quota_exceeded  # the faces import it from here
from pipelines.records import IngestResult, MediaInfo, Progress, Video, no_progress
from pipelines.retrieval.indexes import SearchIndexes
from pipelines.storage.catalog import OwnerCatalog, new_video_id
from pipelines.storage.faults import ensure_free_space
from pipelines.storage.files import fsync_path, sha256_file, store_media

log = get_logger(__name__)


@dataclass(frozen=True)
class CheckedFile:
    """A file that passed every content check, with what ingest needs to know of it."""

    path: Path
    info: MediaInfo
    track: int | None
    sha256: str


def check_file(
    path: str | Path,
    *,
    limits: LimitsSettings,
    audio_track: int | None = None,
    sha256: str | None = None,
    progress: Progress = no_progress,
) -> CheckedFile:
    """The content checks every way in shares; raises ``VidscopeError`` (``media.*``)."""
    progress("probe", 0.0)
    source = check_local_file(path, max_bytes=limits.max_file_bytes)
    info = probe(
        source, allowed=limits.allowed_containers, max_frame_pixels=limits.max_frame_pixels
    )
    validate(
        info,
        source,
        max_duration_s=limits.max_duration_s,
        max_frame_pixels=limits.max_frame_pixels,
    )
    track = choose_audio_track(info, audio_track, source)
    if sha256 is None:
        progress("hash", 0.0)
        sha256 = sha256_file(source)
    return CheckedFile(source, info, track, sha256)


def new_video(
    checked: CheckedFile, *, video_id: str, title: str, owner_id: str, settings: Settings
) -> Video:
    media_path = settings.layout.media_dir / f"{video_id}.{checked.info.container}"
    return Video(
        id=video_id,
        sha256=checked.sha256,
        title=title,
        status="processing",
        duration=checked.info.duration,
        container=checked.info.container,
        media_path=str(media_path.relative_to(settings.home)),
        has_audio=checked.info.has_audio,
        has_video=checked.info.has_video,
        size_bytes=checked.info.size_bytes,
        audio_track=checked.track,
        audio_tracks=len(checked.info.audio_tracks),
        owner_id=owner_id,
    )


def check_speakers(speakers: int | None) -> None:
    """Raises ``speaker.bad_count`` for a count of speakers outside 1-``MAX_SPEAKERS``."""
    if speakers is not None and not 1 <= speakers <= MAX_SPEAKERS:
        raise VidscopeError(
            f"speakers must be between 1 and {MAX_SPEAKERS}, got {speakers}; leave it out "
            "to have the voices counted",
            code="speaker.bad_count",
        )


def ingest_file(
    path: str | Path,
    *,
    settings: Settings,
    catalog: OwnerCatalog,
    indexes: SearchIndexes,
    force: bool = False,
    audio_track: int | None = None,
    speakers: int | None = None,
    progress: Progress = no_progress,
) -> IngestResult:
    """Ingests one file into the catalog owner's library now, transcribing ``audio_track`` (0:a:N;
    default: the track marked default, else the first); ``speakers`` people speak in it, when
    the person knows (else diarization counts the voices). Every failure comes back as a
    'failed' result with a code and leaves nothing half-written; an unexpected one is logged
    with its traceback as ``processing.failed``, so one bad file never stops a batch."""
    title = Path(str(path)).stem
    check_speakers(speakers)
    try:
        checked = check_file(
            path, limits=settings.limits, audio_track=audio_track, progress=progress
        )
    except VidscopeError as exc:
        # Expected, user-caused: the result carries the error to the caller, so INFO.
        log.info("ingest.rejected", path=str(path), code=exc.code, reason=exc.message)
        return IngestResult("", title, "failed", error_code=exc.code, message=exc.message)

    existing = catalog.find_video_by_sha256(checked.sha256)
    if existing is not None and existing.status == "ready" and not force:
        log.info("ingest.already_indexed", video_id=existing.id, path=str(path))
        return IngestResult(existing.id, existing.title, "already_indexed")

    # A row left 'processing' by a crash keeps its id, so the rerun finishes that video.
    video_id = existing.id if existing is not None else new_video_id()
    video = new_video(
        checked, video_id=video_id, title=title, owner_id=catalog.owner_id, settings=settings
    )
    media_path = settings.home / video.media_path
    # A forced re-run keeps the current version 'ready' and searchable until the new one
    # commits; a failure or crash then leaves it exactly as it was.
    replacing = existing is not None and existing.status == "ready"
    started = time.perf_counter()
    progress("store", 0.0)
    stored = media_path.exists()  # stored atomically: an existing file is complete
    # Room for the copy (unless stored already) and the margin, before anything is written.
    ensure_free_space(
        media_path.parent,
        0 if stored else checked.path.stat().st_size,
        settings.limits.min_free_bytes,
    )
    if not stored:
        store_media(checked.path, media_path)
    job_id = catalog.begin_ingest(video, keep_ready=replacing)
    try:
        artifact = process_video(
            media_path,
            checked.info,
            checked.track,
            ComputeOptions.from_settings(settings).with_speakers(speakers),
            progress,
            shown_as=checked.path,
        )
        progress("index", 0.0)
        chunks = store_artifact(video, artifact, job_id=job_id, catalog=catalog, indexes=indexes)
    except Exception as exc:
        code, message = describe_failure(exc, video_id=video_id)
        abandon_ingest(
            video,
            job_id,
            code,
            message,
            settings=settings,
            catalog=catalog,
            indexes=indexes,
            purge=not replacing,
        )
        return IngestResult(video_id, title, "failed", error_code=code, message=message)
    summarize_ready(video, settings=settings, catalog=catalog, progress=progress)
    progress("done", 1.0)
    log.info(
        "ingest.indexed",
        video_id=video_id,
        title=title,
        chunks=chunks,
        duration_s=round(checked.info.duration, 2),
        wall_s=round(time.perf_counter() - started, 2),
    )
    return IngestResult(video_id, title, "indexed", chunks=chunks)


# What a job's owner must not be shown: the server's paths (absolute, or two folders deep
# like data/library/clips/x.mp4) and exception class names. The docs' own pages stay.
_SERVER_PATH = re.compile(
    r"(?<![\w:/])(?:~|\.{1,2})?/[^\s'\"(),;]+"  # /srv/x, ./x, ~/x
    r"|(?<![\w/.:-])(?!docs/)[\w.-]+/[\w.-]+/[^\s'\"(),;]*"  # data/library/x (a URL is not)
)
_EXCEPTION_NAME = re.compile(r"\b[A-Z]\w*(?:Error|Exception)\b:?\s*")
SERVER_PATH_SHOWN_AS = "a file on the server"


def plain_message(message: str) -> str:
    """``message`` as a job's owner may read it: no server path, no exception class name."""
    return _EXCEPTION_NAME.sub("", _SERVER_PATH.sub(SERVER_PATH_SHOWN_AS, message)).strip()


def describe_failure(exc: BaseException, *, video_id: str) -> tuple[str, str]:
    """(code, message) of a failed job, as its owner is shown them: a coded error's own words
    with any server path taken out; anything else ``processing.failed`` in plain words. The
    whole error (its class, text and traceback) goes to the server's log only."""
    if isinstance(exc, VidscopeError):
        if plain_message(exc.message) != exc.message:
            log.warning("job.error_detail", code=exc.code, video_id=video_id, detail=exc.message)
        return exc.code, plain_message(exc.message)
    log.error("job.unexpected_error", video_id=video_id, exc_info=exc)
    return (
        "processing.failed",
        "the server could not finish this job (an unexpected error, recorded in the server's "
        "log); try again, and if it fails again tell the operator the job's id",
    )


def store_artifact(
    video: Video,
    artifact: IngestArtifact,
    *,
    job_id: str | None,
    catalog: OwnerCatalog,
    indexes: SearchIndexes,
) -> int:
    """Stores a video's compute (one transaction), publishes it to the owner's indexes, then
    marks it ready and finishes its job: ready means found by search. Storing the same
    artifact twice replaces, never duplicates. Returns the number of passages."""
    old_ids, new_ids = commit_artifact(video, artifact, job_id=job_id, catalog=catalog)
    update_indexes(
        indexes,
        catalog,
        old_ids=old_ids,
        new_ids=new_ids,
        vectors=artifact.chunk_vectors,
    )
    catalog.mark_ready(video, job_id=job_id)
    return len(new_ids)


def commit_artifact(
    video: Video, artifact: IngestArtifact, *, job_id: str | None, catalog: OwnerCatalog
) -> tuple[np.ndarray, list[int]]:
    """The catalog half of ``store_artifact``: one transaction, the video not yet ready.
    Returns (the chunk ids it replaced, the new ones) for the index update."""
    old_ids = catalog.chunk_ids(video.id)
    with catalog.transaction():
        new_ids = catalog.replace_transcript(
            video,
            job_id=job_id,
            audio_track=artifact.audio_track,
            language=artifact.language,
            segments=artifact.segments,
            chunks=artifact.chunks,
            chunk_vectors=artifact.chunk_vectors,
            segment_vectors=artifact.segment_vectors,
            voices=artifact.voices,
            ready=False,
        )
    return old_ids, new_ids


def summarize_ready(
    video: Video, *, settings: Settings, catalog: OwnerCatalog, progress: Progress = no_progress
) -> None:
    """The ingest's "summary" stage, once the video is searchable: its chapters, titles and
    summary, kept in the catalog. A failure is logged and leaves the summary to be made when
    first asked for; the video stays ready."""
    from pipelines.understanding.summaries import SummaryOptions, summarize_stored

    progress("summary", 0.0)
    options = SummaryOptions.from_settings(settings)
    try:
        summarize_stored(
            catalog, video.id, video.duration, options, lambda f: progress("summary", f)
        )
    except Exception:
        log.warning("summary.failed", video_id=video.id, exc_info=True)


def update_indexes(
    indexes: SearchIndexes,
    catalog: OwnerCatalog,
    *,
    old_ids: np.ndarray,
    new_ids: list[int],
    vectors: np.ndarray,
) -> None:
    """Publishes committed passages to the owner's indexes. A failure is logged, not raised:
    the catalog is the truth, and start-up repair rebuilds indexes that are out of step."""
    try:
        indexes.replace(catalog, old_ids=old_ids, new_ids=new_ids, vectors=vectors)
    except Exception:
        log.error("index.update_failed", owner_id=catalog.owner_id, exc_info=True)


_QUOTA_LOCK = threading.Lock()


def accept_upload(
    staged: Path,
    *,
    title: str,
    sha256: str,
    settings: Settings,
    catalog: OwnerCatalog,
    max_attempts: int,
    shown_as: str = "upload",
    speakers: int | None = None,
) -> tuple[Video, str | None]:
    """Checks a staged upload and, when it is new to the owner, moves it into the library and
    queues its ingest job, atomically with the video row. Returns (video, job id), with no job
    when the owner already has these bytes. The staged file is gone afterwards either way;
    a rejected one raises ``VidscopeError`` (naming the file ``shown_as``, never the server's
    staging path) and leaves nothing. ``speakers`` (how many speak, if known) goes with the job."""
    try:
        check_speakers(speakers)
        # Moved, not copied, into the library; its ingest then needs the margin to work in
        # (every face's uploads come here: the API's and the web page's).
        ensure_free_space(settings.layout.media_dir, 0, settings.limits.min_free_bytes)
        checked = check_file(staged, limits=settings.limits, sha256=sha256)
        # The quota check and the row that counts against it happen under one lock, so
        # uploads running side by side cannot each see the same room and all be stored.
        with _QUOTA_LOCK:
            existing = catalog.find_video_by_sha256(sha256)
            if existing is not None and existing.status in ("ready", "processing"):
                return existing, None
            if existing is not None:  # failed or being deleted: start again under a new id
                raise MediaError(
                    "this file is being removed from your library; upload it again in a moment",
                    code="media.busy",
                )
            ensure_quota(checked.info.size_bytes, settings=settings, catalog=catalog)
            video = new_video(
                checked,
                video_id=new_video_id(),
                title=title,
                owner_id=catalog.owner_id,
                settings=settings,
            )
            media_path = settings.home / video.media_path
            media_path.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, media_path)
            fsync_path(media_path.parent)
            try:
                job_id = catalog.begin_ingest(
                    video,
                    job={
                        "status": "queued",
                        "payload": {"resumable": True, "title": title, "speakers": speakers},
                        "max_attempts": max_attempts,
                        # job.queue_full past the owner's cap, counted with the insert
                        "max_active": settings.jobs.max_active_per_owner,
                    },
                )
            except BaseException:
                media_path.unlink(missing_ok=True)
                raise
        return video, job_id
    except VidscopeError as exc:
        exc.message = exc.message.replace(str(staged), shown_as).replace(staged.name, shown_as)
        exc.args = (exc.message,)
        raise
    finally:
        staged.unlink(missing_ok=True)


def abandon_ingest(
    video: Video,
    job_id: str,
    code: str,
    message: str,
    *,
    settings: Settings,
    catalog: OwnerCatalog,
    indexes: SearchIndexes,
    purge: bool,
) -> None:
    """A failed ingest leaves only its job record: a new video's rows, vectors and stored
    media go; a video that was being re-processed keeps its previous version."""
    unexpected = code == "processing.failed"
    (log.error if unexpected else log.info)(
        "ingest.failed", video_id=video.id, code=code, reason=message
    )
    # The job says "failed" only once the video is gone: a client that sees the failure and
    # asks for the video must get 404, not the row being purged (a CI run caught the race).
    try:
        if purge:
            purge_video(video, settings=settings, catalog=catalog, indexes=indexes)
    finally:
        catalog.finish_job(job_id, error_code=code, error_message=message)
