"""Getting videos into an owner's library: files ingested now (the CLI), uploads queued for the
worker (the server), and the writer's half of a Ray batch (merging shards)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.media.inputs import ExpandedPaths, expand_paths
from pipelines.records import IngestResult, Video
from pipelines.services.scope import OwnerScope

if TYPE_CHECKING:
    from pipelines.jobs.merge import MergeReport
    from pipelines.records import Progress


class IngestService(OwnerScope):
    def ingest(
        self,
        paths: Iterable[str | Path],
        *,
        force: bool = False,
        audio_track: int | None = None,
        speakers: int | None = None,
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
                speakers=speakers,
                progress=progress(path) if progress else None,
            )

    def ingest_file(
        self,
        path: str | Path,
        *,
        force: bool = False,
        audio_track: int | None = None,
        speakers: int | None = None,
        progress: Progress | None = None,
    ) -> IngestResult:
        """One file now; ``speakers``: how many people speak, when known."""
        from pipelines.ingest import ingest_file

        kwargs = {"progress": progress} if progress else {}
        return ingest_file(
            path,
            settings=self.settings,
            catalog=self._catalog,
            indexes=self.indexes,
            force=force,
            audio_track=audio_track,
            speakers=speakers,
            **kwargs,
        )

    def expand_paths(self, paths: Iterable[str | Path]) -> ExpandedPaths:
        """Files to ingest, and the files inside the given folders that are skipped, each
        with the reason. A path named directly is always tried (ingest then reports it)."""
        return expand_paths(paths, self.settings.limits.allowed_containers)

    def accept_upload(
        self,
        staged: Path,
        *,
        title: str,
        sha256: str,
        shown_as: str,
        speakers: int | None = None,
    ) -> tuple[Video, str | None]:
        """A staged upload into the owner's library and its ingest job queued (no job when the
        owner already has these bytes), ``speakers`` people speaking in it when known; see
        ``ingest.accept_upload``."""
        from pipelines.ingest import accept_upload

        return accept_upload(
            staged,
            title=title,
            sha256=sha256,
            settings=self.settings,
            catalog=self._catalog,
            max_attempts=self.settings.jobs.max_attempts,
            shown_as=shown_as,
            speakers=speakers,
        )

    def shards_folder(self) -> Path:
        """Where batch workers put this owner's Parquet shards for the writer to merge."""
        from pipelines.jobs.merge import owner_shards

        return owner_shards(self.settings, self.owner_id)

    def ready_sha256s(self, sha256s: list[str]) -> set[str]:
        from pipelines.jobs.merge import ready_sha256s

        return ready_sha256s(self._catalog, sha256s)

    def merge_shards(self, sha256s: list[str], *, batch_id: str) -> MergeReport:
        from pipelines.jobs.merge import merge_shards

        return merge_shards(
            sha256s,
            batch_id=batch_id,
            settings=self.settings,
            catalog=self._catalog,
            indexes=self.indexes,
        )
