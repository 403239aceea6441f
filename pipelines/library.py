"""``Library``: the composition root every face of Vidscope opens (CLI, server, notebooks).

``Library.open(settings)`` owns the lifecycle — the catalog connection, migrations, start-up
repair, the per-owner indexes — and ``library.for_owner(user_id)`` builds the services one
owner may use. Every read and write of an ``OwnerLibrary`` is scoped to its owner when it is
built, so no caller can forget the filter: another owner's id is "not found"."""

from __future__ import annotations

import functools
import os
import shutil
from functools import cached_property
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from pipelines.config import Settings, get_settings
from pipelines.errors import VidscopeError
from pipelines.logs import ensure_logging, get_logger
from pipelines.purge import purge_video
from pipelines.retrieval.indexes import SearchIndexes
from pipelines.services.answer_service import AnswerService
from pipelines.services.ingest_service import IngestService
from pipelines.services.job_service import JobService
from pipelines.services.reel_service import ReelService
from pipelines.services.speaker_service import SpeakerService
from pipelines.services.video_service import VideoService
from pipelines.storage.catalog import LOCAL_OWNER, Catalog
from pipelines.storage.faults import library_fault

if TYPE_CHECKING:
    import numpy as np

    from pipelines.accounts import Accounts
    from pipelines.administration import Administration
    from pipelines.understanding.cache import Cache
    from pipelines.understanding.generators import Generator

log = get_logger(__name__)


def _cannot_write(home: Path, catalog: Path) -> bool:
    """True for an existing library whose folder or catalog this process cannot write
    (os.access answers EROFS on a read-only mount, even for root)."""
    if not home.is_dir():
        return False
    if not os.access(home, os.W_OK):
        return True
    return catalog.exists() and not os.access(catalog, os.W_OK)


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
        # A library that cannot be written (a read-only mount, a backup copy) is opened to
        # read: list, search, transcripts and exports; writes say library.read_only.
        self.read_only = _cannot_write(self.settings.home, self.settings.layout.catalog_path)
        if self.read_only:
            os.umask(0o077)
            log.info("library.read_only", home=str(self.settings.home))
        else:
            self._prepare_folders()
        self.catalog = Catalog(self.settings.layout.catalog_path, read_only=self.read_only)
        try:
            self.system = self.catalog.system()  # across owners: repair, worker, administrators
            self.indexes = SearchIndexes(self.settings.layout.index_dir)
            self.local = self.for_owner(LOCAL_OWNER)
            self.repaired: dict[str, int] = {} if self.read_only else self.repair()
        except Exception as exc:
            self.catalog.close()
            fault = library_fault(exc, self.settings.home)
            if fault is None or fault is exc:
                raise
            raise fault from exc

    def _prepare_folders(self) -> None:
        try:
            make_private(self.settings.home)
            for folder in (self.settings.layout.media_dir, self.settings.layout.clips_dir):
                folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise VidscopeError(
                f"cannot use {self.settings.home} as the library folder: {exc.strerror or exc}; "
                "choose a library folder you can write to (VIDSCOPE_HOME)",
                code="library.unreadable",
                home=str(self.settings.home),
            ) from exc

    @classmethod
    def open(cls, settings: Settings | None = None) -> Library:
        return cls(settings)

    def for_owner(self, owner_id: str) -> OwnerLibrary:
        """The services of one owner's library."""
        return OwnerLibrary(
            settings=self.settings,
            catalog=self.catalog.for_owner(owner_id),
            indexes=self.indexes,
            embed_query=functools.partial(self.embed_query, owner_id=owner_id),
            generator=lambda: self.generator,
            cache=lambda: self.answer_cache,
        )

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

        return Administration(self.catalog, self.accounts, self.settings, self.indexes)

    @cached_property
    def generator(self) -> Generator:
        """What writes answers (``VIDSCOPE_ASK_GENERATOR``), built once: a language model's
        circuit breaker must remember failures across requests and owners."""
        from pipelines.understanding.generators import ExtractiveGenerator

        answers = self.settings.answers
        extractive = ExtractiveGenerator(max_sentences=answers.max_citations)
        if answers.generator == "local":
            from pipelines.understanding.local_model import local_generator

            return local_generator(
                answers.local_model, threads=self.settings.threads, cache=self.settings.model_cache
            )
        if answers.generator == "extractive" or answers.llm_base_url is None:
            return extractive
        import pybreaker

        from pipelines.understanding.openai_chat import OpenAIGenerator

        key = answers.llm_api_key.get_secret_value() if answers.llm_api_key else None
        return OpenAIGenerator(
            base_url=answers.llm_base_url,
            model=answers.llm_model,
            api_key=key,
            timeout_s=answers.llm_timeout_s,
            retries=answers.llm_retries,
            breaker=pybreaker.CircuitBreaker(
                fail_max=answers.llm_breaker_failures,
                reset_timeout=answers.llm_breaker_reset_s,
                name="llm",
            ),
            fallback=extractive,
        )

    @cached_property
    def answer_cache(self) -> Cache:
        """Answers to repeated questions: in Redis when VIDSCOPE_REDIS_URL is set, else here."""
        from pipelines.understanding.cache import MemoryCache, RedisCache

        answers = self.settings.answers
        if self.settings.server.redis_url:
            return RedisCache(self.settings.server.redis_url, answers.cache_ttl_s)
        return MemoryCache(answers.cache_entries)

    # -- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        # A compaction reads the catalog and publishes index files: wait for it (a bounded
        # while, indexes.CLOSE_WAIT_S) rather than cut it off with the catalog closed under
        # it; one still running then publishes nothing.
        self.indexes.close()
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
        system.finish_committed_ingests()  # before their jobs are failed as interrupted
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
        folders = (
            (self.settings.layout.media_dir, known_media),
            (self.settings.layout.clips_dir, known_clips),
        )
        for folder, known in folders:
            for file in folder.iterdir():
                if file.is_file() and file.name not in known:
                    file.unlink()
                    done["files_removed"] += 1
        # Uploads a killed server was still receiving: nobody is sending them any more.
        if self.settings.layout.staging_dir.exists():
            for file in self.settings.layout.staging_dir.iterdir():
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

    def embed_query(self, text: str, *, owner_id: str = "") -> np.ndarray:
        """The query's unit vector (read-only), remembered per owner
        (``retrieval.embed.query_vector``)."""
        from pipelines.retrieval.embed import query_vector

        settings = self.settings
        return query_vector(
            owner_id, text, settings.embedding.model, settings.threads, settings.model_cache
        )

    def reindex(self) -> int:
        """Rebuilds every owner's search indexes from the catalog; returns the passages."""
        owners = set(self.system.owners()) | set(self.indexes.stored_owners())
        return sum(self.indexes.rebuild(self.catalog.for_owner(owner)) for owner in sorted(owners))


class OwnerLibrary(
    VideoService, IngestService, ReelService, AnswerService, JobService, SpeakerService
):
    """One owner's library: every service, scoped to the owner it was built for
    (``Library.for_owner``). It implements ``pipelines.ports.LibraryPort``, as the HTTP client
    does."""
