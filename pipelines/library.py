"""``Library``: the composition root every face of Vidscope opens (CLI, server, notebooks).

``Library.open(settings)`` owns the lifecycle — the catalog connection, migrations, start-up
repair, the per-owner indexes — and ``library.for_owner(user_id)`` builds the services one
owner may use. Every read and write of an ``OwnerLibrary`` is scoped to its owner when it is
built, so no caller can forget the filter: another owner's id is "not found"."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from functools import cached_property
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import numpy as np

from pipelines.compute import Progress
from pipelines.config import Settings, get_settings
from pipelines.editing.clips import ClipOptions, ClipPlan, check_clip_range
from pipelines.errors import ClipError, QueryError, VidscopeError
from pipelines.ingest import accept_upload, ingest_file, purge_video
from pipelines.jobs.merge import MergeReport, merge_shards, owner_shards, ready_sha256s
from pipelines.logs import ensure_logging, get_logger
from pipelines.media.inputs import ExpandedPaths, expand_paths
from pipelines.public import VideoPublic
from pipelines.records import Clip, Hit, IngestResult, Job, JobStatus, Segment, User, Video
from pipelines.retrieval.embed import embed_texts
from pipelines.retrieval.indexes import SearchIndexes
from pipelines.retrieval.search import search_library
from pipelines.speech import export as transcripts
from pipelines.storage.catalog import LOCAL_OWNER, Catalog

if TYPE_CHECKING:
    from pipelines.accounts import Accounts
    from pipelines.administration import Administration
    from pipelines.jobs.manifest import ClipRequest
    from pipelines.jobs.worker import JobWorker

log = get_logger(__name__)


def make_private(home: Path) -> None:
    """The library folder, readable by its owner alone (mode 0700): the catalog holds password
    hashes and transcripts, the media people's recordings. A folder only its owner may enter
    keeps every file inside private, whatever mode an older release gave it; the process
    makes new files private too (umask 077), for copies that leave the folder."""
    os.umask(0o077)
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    info = home.stat()
    if info.st_mode & 0o077 and info.st_uid == os.getuid():
        home.chmod(0o700)


class Library:
    """A video library in ``settings.home``: catalog, search indexes and stored media.

    Opening a library migrates an older catalog, finishes interrupted deletes, clears what a
    crashed ingest left behind, requeues resumable jobs whose process died, and rebuilds any
    owner's indexes that disagree with the catalog. One process at a time may open a library
    (the catalog file is locked): while a server holds it, the CLI talks to the server.

    The methods on ``Library`` itself act for the local owner (the CLI's)."""

    def __init__(self, settings: Settings | None = None) -> None:
        ensure_logging()
        self.settings = settings or get_settings()
        try:
            make_private(self.settings.home)
            for folder in (self.settings.media_dir, self.settings.clips_dir):
                folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise VidscopeError(
                f"cannot use {self.settings.home} as the library folder: {exc.strerror or exc}; "
                "point --home (VIDSCOPE_HOME) at a folder you can write to",
                code="library.unreadable",
                home=str(self.settings.home),
            ) from exc
        self.catalog = Catalog(self.settings.catalog_path)
        self.system = self.catalog.system()  # across owners: repair, the worker, administrators
        self.indexes = SearchIndexes(self.settings.index_dir)
        self.local = self.for_owner(LOCAL_OWNER)
        self.repair()

    @classmethod
    def open(cls, settings: Settings | None = None) -> Library:
        return cls(settings)

    def for_owner(self, owner_id: str) -> OwnerLibrary:
        """The services of one owner's library."""
        return OwnerLibrary(self, owner_id)

    # Built on first use: a command that only lists videos loads no password hashing, JWT or
    # process pool.
    @cached_property
    def accounts(self) -> Accounts:
        """Sign-up, sign-in and tokens against this library's catalog."""
        from pipelines.accounts import Accounts

        return Accounts(self.catalog, self.settings)

    @cached_property
    def administration(self) -> Administration:
        """Accounts and the audit trail, for the local administrator."""
        from pipelines.administration import Administration

        return Administration(self.catalog, self.accounts)

    @cached_property
    def worker(self) -> JobWorker:
        """The job worker (started by the server: ``worker.start()``)."""
        from pipelines.jobs.worker import JobWorker

        return JobWorker(self)

    def audit(
        self,
        event: str,
        *,
        user_id: str | None = None,
        username: str | None = None,
        ip: str | None = None,
        request_id: str | None = None,
        **detail: Any,
    ) -> None:
        """Records a security event (a failed sign-in may have no account behind it)."""
        self.catalog.audit(
            event, user_id=user_id, username=username, ip=ip, request_id=request_id, **detail
        )

    # -- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        self.catalog.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def repair(self) -> dict[str, int]:
        """Brings catalog, media and indexes back in step after a crash; returns what it did.
        Safe because this process holds the only lock on the catalog: whatever was running
        belonged to a process that is gone. Queued jobs stay queued."""
        system = self.system
        requeued, failed = system.recover_jobs(expired_only=False)
        done = {
            "jobs_requeued": len(requeued),
            "jobs_interrupted": len(failed),
            "videos_purged": 0,
            "files_removed": 0,
            "indexes_rebuilt": 0,
        }
        # A 'processing' video without a queued job is what a crashed CLI ingest left.
        waiting = {system.job(job_id).video_id for job_id in requeued} | set(
            system.queued_video_ids()
        )
        for video in system.videos("processing") + system.videos("deleting"):
            if video.id not in waiting:
                purge_video(
                    video,
                    settings=self.settings,
                    catalog=self.catalog.for_owner(video.owner_id),
                    indexes=self.indexes,
                )
                done["videos_purged"] += 1
        known_media = {Path(v.media_path).name for v in system.videos()}
        known_clips = {Path(p).name for p in system.clip_paths()}
        folders = ((self.settings.media_dir, known_media), (self.settings.clips_dir, known_clips))
        for folder, known in folders:
            for file in folder.iterdir():
                if file.is_file() and file.name not in known:
                    file.unlink()
                    done["files_removed"] += 1
        # Uploads a killed server was still receiving: nobody is sending them any more.
        if self.settings.staging_dir.exists():
            for file in self.settings.staging_dir.iterdir():
                if file.is_dir() and not file.is_symlink():  # the web page's upload folder
                    done["files_removed"] += sum(1 for p in file.rglob("*") if p.is_file())
                    shutil.rmtree(file)
                else:
                    file.unlink()
                    done["files_removed"] += 1
        # An older release kept one index for everyone; each owner's is rebuilt below.
        self.indexes.remove_legacy_files()
        for owner_id in sorted(set(system.owners()) | set(self.indexes.stored_owners())):
            owner = self.catalog.for_owner(owner_id)
            if not self.indexes.in_step_with(owner):
                self.indexes.rebuild(owner)
                done["indexes_rebuilt"] += 1
        if any(done.values()):
            log.warning("library.repaired", **done)
        return done

    def embed_query(self, text: str) -> np.ndarray:
        settings = self.settings
        vectors = embed_texts(
            [text],
            model=settings.embedding.model,
            threads=settings.threads,
            cache_dir=settings.model_cache,
        )
        return np.asarray(vectors[0], dtype=np.float32)

    # -- the local owner's library (the CLI's) -----------------------------------------------
    def ingest(
        self,
        paths: Iterable[str | Path],
        *,
        force: bool = False,
        audio_track: int | None = None,
        progress: Callable[[Path], Progress] | None = None,
    ) -> Iterator[IngestResult]:
        return self.local.ingest(paths, force=force, audio_track=audio_track, progress=progress)

    def ingest_file(
        self,
        path: str | Path,
        *,
        force: bool = False,
        audio_track: int | None = None,
        progress: Progress | None = None,
    ) -> IngestResult:
        return self.local.ingest_file(path, force=force, audio_track=audio_track, progress=progress)

    def expand_paths(self, paths: Iterable[str | Path]) -> ExpandedPaths:
        return self.local.expand_paths(paths)

    def list_videos(self) -> list[Video]:
        return self.local.list_videos()

    def sentence_counts(self) -> dict[str, int]:
        return self.local.sentence_counts()

    def get_video(self, video_id: str) -> Video:
        return self.local.get_video(video_id)

    def media_path(self, video: Video) -> Path:
        return self.settings.home / video.media_path

    def search(self, query: str, *, k: int | None = None, video_id: str | None = None) -> list[Hit]:
        return self.local.search(query, k=k, video_id=video_id)

    def transcript(self, video_id: str, fmt: str = "txt") -> str:
        return self.local.transcript(video_id, fmt)

    def clip(self, video_id: str, *, start: float, end: float, output: str | Path) -> Path:
        return self.local.clip(video_id, start=start, end=end, output=output)

    def clip_query(
        self, query: str, *, output: str | Path, video_id: str | None = None
    ) -> tuple[Hit, Path]:
        return self.local.clip_query(query, output=output, video_id=video_id)

    def delete(self, video_id: str) -> None:
        self.local.delete(video_id)

    def reindex(self) -> int:
        """Rebuilds every owner's search indexes from the catalog; returns the passages."""
        owners = set(self.system.owners()) | set(self.indexes.stored_owners())
        return sum(self.indexes.rebuild(self.catalog.for_owner(owner)) for owner in sorted(owners))


class OwnerLibrary:
    """One owner's videos, search, transcripts and clips. Built by ``Library.for_owner``."""

    def __init__(self, library: Library, owner_id: str) -> None:
        self.library = library
        self.owner_id = owner_id
        self.settings = library.settings
        self._catalog = library.catalog.for_owner(owner_id)

    # -- ingest ------------------------------------------------------------------------------
    def ingest(
        self,
        paths: Iterable[str | Path],
        *,
        force: bool = False,
        audio_track: int | None = None,
        progress: Callable[[Path], Progress] | None = None,
    ) -> Iterator[IngestResult]:
        """Ingests files and folders (folders: files with an allowed extension, recursively;
        see ``expand_paths`` for what is skipped). Yields one result per file; a bad file does
        not stop the others."""
        for path in self.expand_paths(paths).files:
            yield self.ingest_file(
                path,
                force=force,
                audio_track=audio_track,
                progress=progress(path) if progress else None,
            )

    def ingest_file(
        self,
        path: str | Path,
        *,
        force: bool = False,
        audio_track: int | None = None,
        progress: Progress | None = None,
    ) -> IngestResult:
        kwargs = {"progress": progress} if progress else {}
        return ingest_file(
            path,
            settings=self.settings,
            catalog=self._catalog,
            indexes=self.library.indexes,
            force=force,
            audio_track=audio_track,
            **kwargs,
        )

    # -- batches (the writer's half; the compute runs on Ray, see pipelines.jobs.ray_ingest) -----
    def shards_folder(self) -> Path:
        """Where batch workers put this owner's Parquet shards for the writer to merge."""
        return owner_shards(self.settings, self.owner_id)

    def ready_sha256s(self, sha256s: list[str]) -> set[str]:
        return ready_sha256s(self._catalog, sha256s)

    def merge_shards(self, sha256s: list[str], *, batch_id: str) -> MergeReport:
        return merge_shards(
            sha256s,
            batch_id=batch_id,
            settings=self.settings,
            catalog=self._catalog,
            indexes=self.library.indexes,
        )

    def expand_paths(self, paths: Iterable[str | Path]) -> ExpandedPaths:
        """Files to ingest, and the files inside the given folders that are skipped, each
        with the reason. A path named directly is always tried (ingest then reports it)."""
        return expand_paths(paths, self.settings.limits.allowed_containers)

    # -- read --------------------------------------------------------------------------------
    def list_videos(self, *, limit: int | None = None, offset: int = 0) -> list[Video]:
        return self._catalog.list_videos(limit=limit, offset=offset)

    def count_videos(self) -> int:
        return self._catalog.count_videos()

    def sentence_counts(self) -> dict[str, int]:
        """Transcribed sentences per video id; a video with none (no speech found) is absent."""
        return self._catalog.segment_counts()

    def quota_left(self) -> int:
        """Bytes of media the owner may still store (``VIDSCOPE_QUOTA_BYTES``)."""
        used = self._catalog.stored_bytes()
        return max(0, self.settings.limits.quota_bytes - used)

    def get_video(self, video_id: str) -> Video:
        return self._catalog.get_video(video_id)

    def public_videos(self, *, limit: int | None = None, offset: int = 0) -> list[VideoPublic]:
        """The owner's videos as every face shows them (API, CLI --json, web)."""
        sentences = self.sentence_counts()
        passages = self._catalog.passage_counts()
        return [
            VideoPublic.of(v, sentences=sentences.get(v.id, 0), passages=passages.get(v.id, 0))
            for v in self.list_videos(limit=limit, offset=offset)
        ]

    def public_video(self, video_id: str) -> VideoPublic:
        video = self.get_video(video_id)
        sentences = self.sentence_counts().get(video_id, 0)
        passages = self._catalog.passage_counts().get(video_id, 0)
        return VideoPublic.of(video, sentences=sentences, passages=passages)

    def search(self, query: str, *, k: int | None = None, video_id: str | None = None) -> list[Hit]:
        if video_id is not None:
            self.get_video(video_id)  # raises video.not_found for another owner's id
        snapshot = self.library.indexes.snapshot(self.owner_id)
        return search_library(
            query,
            catalog=self._catalog,
            vectors=snapshot.vectors,
            lexical=snapshot.lexical,
            embed_query=self.library.embed_query,
            k=self.settings.search.k if k is None else k,
            video_id=video_id,
            rrf_k=self.settings.search.rrf_k,
            min_similarity=self.settings.search.min_similarity,
        )

    def transcript(self, video_id: str, fmt: str = "txt") -> str:
        return transcripts.export_transcript(self._catalog.segments(video_id), fmt)

    # -- clips -------------------------------------------------------------------------------
    def clip(self, video_id: str, *, start: float, end: float, output: str | Path) -> Path:
        """Cuts [start, end) seconds of a video to ``output``; end is clamped to the duration."""
        return self.clip_plan(video_id, start=start, end=end, output=output).cut()

    def clip_plan(self, video_id: str, *, start: float, end: float, output: str | Path) -> ClipPlan:
        """Everything a clip needs, checked, as plain data: a batch cuts it on a Ray worker."""
        video = self.get_video(video_id)
        check_clip_range(video, start, end)
        return ClipPlan(
            source=str(self.settings.home / video.media_path),
            output=str(output),
            start=start,
            end=min(end, video.duration),
            has_video=video.has_video,
            has_audio=video.audio_track is not None,
            audio_track=video.audio_track or 0,
            options=ClipOptions(
                preset=self.settings.clips.preset, timeout_s=self.settings.clips.ffmpeg_timeout_s
            ),
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

    def best_range(self, query: str, *, video_id: str | None = None) -> tuple[Hit, float, float]:
        """The best hit for ``query`` and its bounds (word timestamps, padded a little)."""
        hits = self.search(query, k=1, video_id=video_id)
        if not hits:
            raise QueryError(f"nothing in the library matches {query!r}", code="query.no_match")
        hit = hits[0]
        pad = self.settings.clips.padding_s
        video = self.get_video(hit.video_id)
        return hit, max(0.0, hit.start - pad), min(video.duration, hit.end + pad)

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
        job that cuts it, atomically. The server names the file. Returns (clip id, job id)."""
        if query is not None:
            hit, start, end = self.best_range(query, video_id=video_id)
            video_id = hit.video_id
        if video_id is None or start is None or end is None:
            raise ClipError(
                "give video_id with start and end (seconds), or a query",
                code="clip.missing_range",
            )
        video = self.get_video(video_id)
        if video.status != "ready":
            raise ClipError(
                f"video {video_id} is still {video.status}; cut clips once it is ready",
                code="clip.video_not_ready",
            )
        check_clip_range(video, start, end)
        end = min(end, video.duration)
        with self._catalog.transaction():
            clip_id = self._catalog.add_clip(video_id=video_id, start=start, end=end)
            job_id = self._catalog.add_job(
                kind="clip",
                video_id=video_id,
                clip_id=clip_id,
                status="queued",
                payload={"resumable": True},
                max_attempts=self.settings.jobs.max_attempts,
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

    # -- what the faces show -------------------------------------------------------------------
    def user(self) -> User:
        """The owner's account."""
        return self._catalog.user()

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

    def segments(self, video_id: str) -> list[Segment]:
        """The sentences of one of the owner's videos, in time order."""
        return self._catalog.segments(video_id)  # another owner's id is video.not_found

    def accept_upload(
        self, staged: Path, *, title: str, sha256: str, shown_as: str
    ) -> tuple[Video, str | None]:
        """A staged upload into the owner's library and its ingest job queued (no job when the
        owner already has these bytes); see ``ingest.accept_upload``."""
        return accept_upload(
            staged,
            title=title,
            sha256=sha256,
            settings=self.settings,
            catalog=self._catalog,
            max_attempts=self.settings.jobs.max_attempts,
            shown_as=shown_as,
        )

    def audit(
        self, event: str, *, ip: str | None = None, request_id: str | None = None, **detail: Any
    ) -> None:
        """Records a security event of this owner's."""
        self._catalog.audit(event, ip=ip, request_id=request_id, **detail)

    # -- management --------------------------------------------------------------------------
    def retry_job(self, job_id: str) -> Job:
        """Queues one of the owner's failed jobs again. A clip can always be cut again; a
        failed upload's file was removed when it failed, so it has to be uploaded again."""
        job = self._catalog.get_job(job_id)
        if job.status != "failed":
            raise VidscopeError(
                f"job {job_id} is {job.status}; only failed jobs can be retried",
                code="job.not_retryable",
            )
        if job.kind != "clip" or job.video_id is None:
            raise VidscopeError(
                "a failed upload is removed with its job; upload the file again",
                code="job.not_retryable",
            )
        self.get_video(job.video_id)  # still there, and still the owner's
        self._catalog.requeue_failed_job(job_id)
        log.info("job.retried", job_id=job_id, owner_id=self.owner_id)
        return self._catalog.get_job(job_id)

    def delete(self, video_id: str) -> None:
        """Removes a video's rows, vectors, clips and stored media."""
        video = self.get_video(video_id)
        purge_video(
            video, settings=self.settings, catalog=self._catalog, indexes=self.library.indexes
        )
        log.info("video.deleted", video_id=video_id, owner_id=self.owner_id)
