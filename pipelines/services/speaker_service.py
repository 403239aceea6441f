"""The speakers of an owner's videos: who talks how long, and naming them. A name is stored
once and every face reads it with the sentences, so a rename shows in transcripts, exports and
search at once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipelines.logs import get_logger
from pipelines.services.scope import OwnerScope

if TYPE_CHECKING:  # the public models load when a face shows one
    from pipelines.public import SpeakerPublic

log = get_logger(__name__)


class SpeakerService(OwnerScope):
    def speakers(self, video_id: str) -> list[SpeakerPublic]:
        """The video's speakers in label order, each with its talk time and share; empty when
        nobody told them apart. Another owner's video is ``video.not_found``."""
        from pipelines.public import SpeakerPublic

        rows = self._catalog.speakers(video_id)
        total = sum(row.seconds for row in rows)
        return [SpeakerPublic.of(row, total_s=total) for row in rows]

    def rename_speaker(
        self,
        video_id: str,
        current: str,
        name: str | None,
        *,
        ip: str | None = None,
        request_id: str | None = None,
    ) -> SpeakerPublic:
        """Names the speaker ``current`` (its label, or the name it has) of one of the owner's
        videos; ``name`` None, or the speaker's label, gives it back its label. Raises
        ``video.not_found``, ``speaker.unknown``, ``speaker.bad_name`` or
        ``speaker.name_taken``. Audited as ``speaker.renamed``."""
        row = self._catalog.rename_speaker(video_id, current, name)
        self._catalog.audit(
            "speaker.renamed",
            ip=ip,
            request_id=request_id,
            video_id=video_id,
            label=row.label,
            name=row.name,
        )
        log.info("speaker.renamed", video_id=video_id, owner_id=self.owner_id, label=row.label)
        return next(s for s in self.speakers(video_id) if s.label == row.label)

    def chunk_ids_spoken_by(self, speaker: str, video_id: str | None = None) -> set[int]:
        """The owner's speech passages where ``speaker`` (a name or a label, any case) says a
        sentence: what a search or a question filtered by speaker may draw on."""
        return self._catalog.chunk_ids_spoken_by(speaker, video_id)
