"""The surfaces every face is typed against. The in-process owner library
(``library.for_owner(id)``) and the HTTP client (``app.client.RemoteLibrary``, the CLI beside a
running server) both implement ``LibraryPort``; the library's ``Administration`` and the client
both implement ``AdminPort``. A command written against a port works the same either way, and
mypy checks that both sides keep the same shape."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from pipelines.editing.clips import ClipPlan
    from pipelines.errors import VidscopeError
    from pipelines.jobs.manifest import ClipRequest
    from pipelines.jobs.merge import MergeReport
    from pipelines.media.inputs import ExpandedPaths
    from pipelines.public import (
        AnswerPublic,
        SpeakerPublic,
        SummaryPublic,
        UserPublic,
        VideoPublic,
    )
    from pipelines.records import Hit, IngestResult, Progress, ReelPart


class BatchWriterPort(Protocol):
    """The one writer a batch hands its shards to."""

    def shards_folder(self) -> Path: ...

    def ready_sha256s(self, sha256s: list[str]) -> set[str]: ...

    def merge_shards(self, sha256s: list[str], *, batch_id: str) -> MergeReport: ...


class LibraryPort(BatchWriterPort, Protocol):
    """One owner's library: ingest, read, search, transcripts, clips, deletes, batch writes."""

    def expand_paths(self, paths: Iterable[str | Path]) -> ExpandedPaths: ...

    def ingest_file(
        self,
        path: str | Path,
        *,
        force: bool = False,
        audio_track: int | None = None,
        speakers: int | None = None,
        progress: Progress | None = None,
    ) -> IngestResult: ...

    def public_videos(self) -> list[VideoPublic]: ...

    def public_video(self, video_id: str) -> VideoPublic: ...

    def search(
        self,
        query: str,
        *,
        k: int | None = None,
        video_id: str | None = None,
        speaker: str | None = None,
    ) -> list[Hit]: ...

    def transcript(self, video_id: str, fmt: str = "txt") -> str: ...

    def clip(self, video_id: str, *, start: float, end: float, output: str | Path) -> Path: ...

    def clip_query(
        self, query: str, *, output: str | Path, video_id: str | None = None
    ) -> tuple[Hit, Path]: ...

    def clip_plans(self, clips: list[ClipRequest]) -> list[ClipPlan | VidscopeError]: ...

    def delete(self, video_id: str) -> None: ...

    def ask(
        self, question: str, *, video_id: str | None = None, speaker: str | None = None
    ) -> AnswerPublic: ...

    def summary(self, video_id: str, *, regenerate: bool = False) -> SummaryPublic: ...

    def reel_parts(
        self,
        *,
        query: str | None = None,
        hits_file: Path | None = None,
        chapters_of: str | None = None,
    ) -> list[ReelPart]: ...

    def reel(
        self,
        parts: list[ReelPart],
        *,
        output: str | Path,
        vertical: bool = False,
        subtitles: bool = False,
        title_cards: bool = False,
        progress: Progress | None = None,
    ) -> Path: ...

    def chapters(self, video_id: str, fmt: Literal["youtube", "vtt"] = "youtube") -> str: ...

    def speakers(self, video_id: str) -> list[SpeakerPublic]: ...

    def rename_speaker(self, video_id: str, current: str, name: str | None) -> SpeakerPublic: ...

    def reject_speaker_name(self, video_id: str, current: str, name: str) -> SpeakerPublic: ...


class AdminPort(Protocol):
    """Accounts, the audit trail and backups, for the local administrator."""

    def users(self) -> list[UserPublic]: ...

    def create_user(self, username: str, password: str, *, admin: bool) -> UserPublic: ...

    def change_user(
        self, username: str, *, disabled: bool | None = None, password: str | None = None
    ) -> UserPublic: ...

    def audit_events(self, limit: int) -> list[dict[str, Any]]: ...

    def backup(self, dest: Path) -> dict[str, Any]: ...

    def doctor(self, *, fix: bool = False) -> dict[str, Any]: ...
