"""One owner's view of the catalog: every method is scoped to the owner it was built for, and
none takes an owner argument, so no caller can forget the filter or pass the wrong one. An id
that belongs to another owner is "not found", exactly like a missing one. Built by
``Catalog.for_owner``; the owner's library and the stages it drives (ingest, merge, indexes,
search) see only this."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from pipelines.errors import NotFoundError
from pipelines.records import (
    Chunk,
    Clip,
    Job,
    JobStatus,
    Reel,
    ReelPart,
    Segment,
    User,
    Video,
    VideoStatus,
    Voice,
)

if TYPE_CHECKING:
    import numpy as np

    from pipelines.storage.catalog import Catalog
    from pipelines.storage.catalog.db import Transaction
    from pipelines.storage.catalog.passages import Passage
    from pipelines.storage.catalog.speakers import SpeakerRow, VoiceBook


class OwnerCatalog:
    def __init__(self, catalog: Catalog, owner_id: str) -> None:
        self._catalog = catalog
        self.owner_id = owner_id

    def transaction(self) -> Transaction:
        return self._catalog.transaction()

    # -- the account ----------------------------------------------------------------------------
    def user(self) -> User:
        return self._catalog.get_user(self.owner_id)

    def audit(
        self, event: str, *, ip: str | None = None, request_id: str | None = None, **detail: Any
    ) -> None:
        """Records a security event of this owner's."""
        self._catalog.audit(
            event,
            user_id=self.owner_id,
            username=self.user().username,
            ip=ip,
            request_id=request_id,
            **detail,
        )

    # -- videos ---------------------------------------------------------------------------------
    def get_video(self, video_id: str) -> Video:
        return self._catalog.get_video(video_id, owner_id=self.owner_id)

    def find_video_by_sha256(self, sha256: str) -> Video | None:
        return self._catalog.find_video_by_sha256(sha256, owner_id=self.owner_id)

    def list_videos(
        self, status: VideoStatus | None = None, *, limit: int | None = None, offset: int = 0
    ) -> list[Video]:
        return self._catalog.list_videos(status, owner_id=self.owner_id, limit=limit, offset=offset)

    def count_videos(self) -> int:
        return self._catalog.count_videos(owner_id=self.owner_id)

    def stored_bytes(self) -> int:
        return self._catalog.stored_bytes(owner_id=self.owner_id)

    def begin_ingest(
        self, video: Video, *, keep_ready: bool = False, job: dict[str, Any] | None = None
    ) -> str:
        self._own(video)
        return self._catalog.begin_ingest(video, keep_ready=keep_ready, job=job)

    def replace_transcript(
        self,
        video: Video,
        *,
        job_id: str | None,
        audio_track: int | None,
        language: str | None,
        segments: Sequence[Segment],
        chunks: Sequence[Chunk],
        chunk_vectors: np.ndarray,
        segment_vectors: np.ndarray,
        voices: Sequence[Voice] = (),
        ready: bool = True,
    ) -> list[int]:
        self._own(video)
        return self._catalog.replace_transcript(
            video_id=video.id,
            job_id=job_id,
            audio_track=audio_track,
            language=language,
            segments=segments,
            chunks=chunks,
            chunk_vectors=chunk_vectors,
            segment_vectors=segment_vectors,
            voices=voices,
            ready=ready,
        )

    def mark_ready(self, video: Video, *, job_id: str | None = None) -> None:
        self._own(video)
        self._catalog.mark_ready(video.id, job_id=job_id)

    def begin_delete(self, video: Video) -> None:
        self._own(video)
        self._catalog.begin_delete(video.id)

    def finish_delete(self, video: Video) -> None:
        self._own(video)
        self._catalog.finish_delete(video.id)

    # -- transcripts and passages ---------------------------------------------------------------
    def segments(self, video_id: str) -> list[Segment]:
        """The sentences of one of the owner's videos; another owner's id is not found."""
        self.get_video(video_id)
        return self._catalog.segments(video_id)

    def speakers(self, video_id: str) -> list[SpeakerRow]:
        """The speakers of one of the owner's videos (none when nobody told them apart)."""
        self.get_video(video_id)
        return self._catalog.speakers(video_id)

    def rename_speaker(self, video_id: str, current: str, new_name: str | None) -> SpeakerRow:
        """Names a speaker of one of the owner's videos (``SpeakerTables.rename_speaker``:
        ``current`` is its label or name; None or its label clears the name)."""
        self.get_video(video_id)
        return self._catalog.rename_speaker(video_id, current, new_name)

    def voice_book(self, video_id: str) -> VoiceBook:
        """One of the owner's videos' unnamed voices, and the owner's named voices in their
        other videos: what name suggestions are made from (no other owner's voice)."""
        self.get_video(video_id)
        return self._catalog.voice_book(video_id, owner_id=self.owner_id)

    def reject_name(self, video_id: str, current: str, name: str) -> SpeakerRow:
        """Records that a speaker of one of the owner's videos is not ``name``
        (``SpeakerTables.reject_name``)."""
        self.get_video(video_id)
        return self._catalog.reject_name(video_id, current, name)

    def speaker_names(self) -> set[str]:
        """The names the owner gave speakers."""
        return self._catalog.speaker_names(owner_id=self.owner_id)

    def chunk_ids_spoken_by(self, speaker: str, video_id: str | None = None) -> set[int]:
        """The owner's speech passages where ``speaker`` (a name or a label, any case) says
        at least one sentence (``video_id``: in that video only)."""
        return self._catalog.chunk_ids_spoken_by(speaker, owner_id=self.owner_id, video_id=video_id)

    def sentences(self, video_id: str) -> tuple[list[Segment], np.ndarray]:
        """The sentences of one of the owner's videos and their embeddings, in order."""
        segments = self.segments(video_id)
        return segments, self._catalog.segment_vectors(video_id)

    def stored_summary(self, video_id: str, *, method: str) -> tuple[str, str | None]:
        """(the transcript's fingerprint, the summary stored for it or None)."""
        self.get_video(video_id)
        fingerprint = self._catalog.transcript_fingerprint(video_id)
        found = self._catalog.stored_summary(video_id, method=method, fingerprint=fingerprint)
        return fingerprint, found

    def store_summary(self, video_id: str, *, method: str, fingerprint: str, payload: str) -> None:
        self.get_video(video_id)
        self._catalog.store_summary(
            video_id, method=method, fingerprint=fingerprint, payload=payload
        )

    def segment_counts(self) -> dict[str, int]:
        return self._catalog.segment_counts(owner_id=self.owner_id)

    def passage_counts(self) -> dict[str, int]:
        return self._catalog.passage_counts(owner_id=self.owner_id)

    def passages(self, chunk_ids: Iterable[int]) -> dict[int, Passage]:
        """The owner's passages among ``chunk_ids``; another owner's are left out."""
        return self._catalog.passages(chunk_ids, owner_id=self.owner_id)

    def chunk_ids(self, video_id: str | None = None) -> np.ndarray:
        return self._catalog.chunk_ids(owner_id=self.owner_id, video_id=video_id)

    def chunk_digest(self) -> str:
        """SHA-256 of the owner's chunk ids (``ids_digest``), computed by the catalog."""
        return self._catalog.chunk_digest(owner_id=self.owner_id)

    def fingerprint(self) -> str:
        """Changes whenever the owner's passages do (what cached answers are keyed by)."""
        return self._catalog.fingerprint(owner_id=self.owner_id)

    def chunk_texts(self, *, among: np.ndarray | None = None) -> tuple[np.ndarray, list[str]]:
        return self._catalog.chunk_texts(owner_id=self.owner_id, among=among)

    def all_chunks(self) -> tuple[np.ndarray, list[str], np.ndarray]:
        return self._catalog.all_chunks(owner_id=self.owner_id)

    # -- jobs, clips and reels ----------------------------------------------------------------
    def add_job(
        self,
        *,
        kind: str,
        video_id: str | None = None,
        clip_id: str | None = None,
        status: JobStatus = "running",
        payload: dict[str, Any] | None = None,
        max_attempts: int = 1,
        max_active: int | None = None,
    ) -> str:
        return self._catalog.add_job(
            kind=kind,
            owner_id=self.owner_id,
            video_id=video_id,
            clip_id=clip_id,
            status=status,
            payload=payload,
            max_attempts=max_attempts,
            max_active=max_active,
        )

    def get_job(self, job_id: str) -> Job:
        return self._catalog.get_job(job_id, owner_id=self.owner_id)

    def list_jobs(
        self, *, status: JobStatus | None = None, limit: int = 50, offset: int = 0
    ) -> list[Job]:
        return self._catalog.list_jobs(
            owner_id=self.owner_id, status=status, limit=limit, offset=offset
        )

    def latest_job(self, video_id: str) -> Job | None:
        return self._catalog.latest_job(video_id=video_id, owner_id=self.owner_id)

    def finish_job(
        self, job_id: str, *, error_code: str | None = None, error_message: str | None = None
    ) -> None:
        self.get_job(job_id)
        self._catalog.finish_job(job_id, error_code=error_code, error_message=error_message)

    def requeue_failed_job(self, job_id: str, *, max_active: int | None = None) -> None:
        self.get_job(job_id)
        self._catalog.requeue_failed_job(job_id, max_active=max_active)

    def add_clip(self, *, video_id: str, start: float, end: float) -> str:
        self.get_video(video_id)
        return self._catalog.add_clip(
            owner_id=self.owner_id, video_id=video_id, start=start, end=end
        )

    def get_clip(self, clip_id: str) -> Clip:
        return self._catalog.get_clip(clip_id, owner_id=self.owner_id)

    def clips_of_video(self, video: Video) -> list[Clip]:
        self._own(video)
        return self._catalog.clips_of_video(video.id)

    def delete_clips_of_video(self, video: Video) -> None:
        self._own(video)
        self._catalog.delete_clips_of_video(video.id)

    def add_reel(self, parts: Sequence[ReelPart], *, options: dict[str, Any]) -> str:
        for video_id in {p.video_id for p in parts}:
            self.get_video(video_id)
        return self._catalog.add_reel(owner_id=self.owner_id, parts=parts, options=options)

    def get_reel(self, reel_id: str) -> Reel:
        return self._catalog.get_reel(reel_id, owner_id=self.owner_id)

    def reels_of_video(self, video: Video) -> list[Reel]:
        self._own(video)
        return self._catalog.reels_of_video(video.id, owner_id=self.owner_id)

    def delete_reel(self, reel_id: str) -> None:
        self._catalog.delete_reel(reel_id, owner_id=self.owner_id)

    def _own(self, video: Video) -> None:
        """A record handed in must be this owner's: a write never crosses owners."""
        if video.owner_id != self.owner_id:
            raise NotFoundError(
                f"no video with id {video.id!r}; the list of your videos shows their ids",
                code="video.not_found",
                video_id=video.id,
            )
