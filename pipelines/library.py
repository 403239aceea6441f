"""``Library``: the one Python API every face of Vidscope calls (CLI, web, notebooks, Ray)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import TracebackType

import numpy as np

from pipelines import transcripts
from pipelines.catalog import Catalog
from pipelines.clips import ClipOptions, check_clip_range, cut_clip
from pipelines.config import Settings, get_settings
from pipelines.embed import embed_texts
from pipelines.errors import QueryError, VidscopeError
from pipelines.ingest import Progress, ingest_file, purge_video
from pipelines.logs import get_logger
from pipelines.paths import ExpandedPaths, expand_paths
from pipelines.records import Hit, IngestResult, Video
from pipelines.search import search_library
from pipelines.search_indexes import SearchIndexes

log = get_logger(__name__)


class Library:
    """A video library in ``settings.home``: catalog, search indexes and stored media.

    Opening a library migrates an older catalog, finishes interrupted deletes, clears
    what a crashed ingest left behind, and rebuilds the indexes if they disagree with the
    catalog. One process at a time may open a library (the catalog file is locked)."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        try:
            self.settings.media_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise VidscopeError(
                f"cannot use {self.settings.home} as the library folder: {exc.strerror or exc}; "
                "point --home (VIDSCOPE_HOME) at a folder you can write to",
                code="library.unreadable",
                home=str(self.settings.home),
            ) from exc
        self.catalog = Catalog(self.settings.catalog_path)
        self.indexes = SearchIndexes(self.settings.index_dir)
        self.repair()

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
        """Brings catalog, media and indexes back in step after a crash; returns what it did."""
        done = {
            "jobs_interrupted": self.catalog.interrupt_stale_jobs(),
            "videos_purged": 0,
            "files_removed": 0,
            "index_rebuilt": 0,
        }
        interrupted = self.catalog.list_videos("processing") + self.catalog.list_videos("deleting")
        for video in interrupted:
            purge_video(video.id, self.media_path(video), self.catalog, self.indexes)
            done["videos_purged"] += 1
        known = {Path(v.media_path).name for v in self.catalog.list_videos()}
        for file in self.settings.media_dir.iterdir():
            if file.is_file() and file.name not in known:
                file.unlink()
                done["files_removed"] += 1
        if not self.indexes.in_step_with(self.catalog):
            self.indexes.rebuild(self.catalog)
            done["index_rebuilt"] = 1
        if any(done.values()):
            log.warning("library.repaired", **done)
        return done

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
            catalog=self.catalog,
            indexes=self.indexes,
            force=force,
            audio_track=audio_track,
            **kwargs,
        )

    def expand_paths(self, paths: Iterable[str | Path]) -> ExpandedPaths:
        """Files to ingest, and the files inside the given folders that are skipped, each
        with the reason. A path named directly is always tried (ingest then reports it)."""
        return expand_paths(paths, self.settings.allowed_containers)

    # -- read --------------------------------------------------------------------------------
    def list_videos(self) -> list[Video]:
        return self.catalog.list_videos()

    def sentence_counts(self) -> dict[str, int]:
        """Transcribed sentences per video id; a video with none (no speech found) is absent."""
        return self.catalog.segment_counts()

    def get_video(self, video_id: str) -> Video:
        return self.catalog.get_video(video_id)

    def media_path(self, video: Video) -> Path:
        return self.settings.home / video.media_path

    def search(self, query: str, *, k: int | None = None, video_id: str | None = None) -> list[Hit]:
        return search_library(
            query,
            catalog=self.catalog,
            vectors=self.indexes.vectors,
            lexical=self.indexes.lexical,
            embed_query=self._embed_query,
            k=self.settings.search_k if k is None else k,
            video_id=video_id,
            rrf_k=self.settings.rrf_k,
            min_similarity=self.settings.search_min_similarity,
        )

    def _embed_query(self, text: str) -> np.ndarray:
        settings = self.settings
        vectors = embed_texts(
            [text],
            model=settings.embed_model,
            threads=settings.threads,
            cache_dir=settings.model_cache,
        )
        return np.asarray(vectors[0], dtype=np.float32)

    def transcript(self, video_id: str, fmt: str = "txt") -> str:
        self.catalog.get_video(video_id)
        return transcripts.export_transcript(self.catalog.segments(video_id), fmt)

    # -- clips -------------------------------------------------------------------------------
    def clip(self, video_id: str, *, start: float, end: float, output: str | Path) -> Path:
        """Cuts [start, end) seconds of a video to ``output``; end is clamped to the duration."""
        video = self.catalog.get_video(video_id)
        check_clip_range(video, start, end)
        end = min(end, video.duration)
        return cut_clip(
            self.media_path(video),
            Path(output),
            start=start,
            end=end,
            has_video=video.has_video,
            has_audio=video.audio_track is not None,
            audio_track=video.audio_track or 0,
            options=ClipOptions(
                preset=self.settings.clip_preset, timeout_s=self.settings.ffmpeg_timeout_s
            ),
        )

    def clip_query(
        self, query: str, *, output: str | Path, video_id: str | None = None
    ) -> tuple[Hit, Path]:
        """Cuts the best hit for ``query``; its bounds are word timestamps, padded a little."""
        hits = self.search(query, k=1, video_id=video_id)
        if not hits:
            raise QueryError(f"nothing in the library matches {query!r}", code="query.no_match")
        hit = hits[0]
        pad = self.settings.clip_padding_s
        video = self.catalog.get_video(hit.video_id)
        start, end = max(0.0, hit.start - pad), min(video.duration, hit.end + pad)
        return hit, self.clip(hit.video_id, start=start, end=end, output=output)

    # -- management --------------------------------------------------------------------------
    def delete(self, video_id: str) -> None:
        """Removes a video's rows, vectors and stored media."""
        video = self.catalog.get_video(video_id)
        purge_video(video.id, self.media_path(video), self.catalog, self.indexes)
        log.info("video.deleted", video_id=video_id)

    def reindex(self) -> int:
        """Rebuilds the search indexes from the catalog; returns the number of chunks."""
        return self.indexes.rebuild(self.catalog)
