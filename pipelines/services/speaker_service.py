"""The speakers of an owner's videos: who talks how long, naming them, and who an unnamed
voice may be. A name is stored once and every face reads it with the sentences, so a rename
shows in transcripts, exports and search at once; a named voice is suggested, by voice print,
for the owner's voices in other videos (``speech.voice_match``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipelines.errors import NotFoundError, VidscopeError
from pipelines.logs import get_logger
from pipelines.services.scope import OwnerScope
from pipelines.storage.catalog.speakers import Renamed, SpeakerRow, plain_name, speaker_key

if TYPE_CHECKING:  # the public models load when a face shows one
    from pipelines.public import SpeakerPublic
    from pipelines.speech.voice_match import Suggestion
    from pipelines.storage.catalog.speakers import VoiceBook

log = get_logger(__name__)


class SpeakerService(OwnerScope):
    def speakers(self, video_id: str) -> list[SpeakerPublic]:
        """The video's speakers in label order, each with its talk time and share, its
        suggested name and the names turned down for it; empty when nobody told them apart.
        Another owner's video is ``video.not_found``."""
        from pipelines.public import SpeakerPublic

        rows = self._catalog.speakers(video_id)
        total = sum(row.seconds for row in rows)
        book = self._catalog.voice_book(video_id) if rows else None
        suggested = self._suggestions(book) if book is not None else {}
        return [
            SpeakerPublic.of(
                row,
                total_s=total,
                suggestion=suggested.get(row.label),
                rejected=sorted(book.rejected.get(row.label, ())) if book is not None else (),
            )
            for row in rows
        ]

    def _suggestions(self, book: VoiceBook) -> dict[str, Suggestion]:
        """Names for the video's unnamed voices, worked out now from the owner's names in
        their other videos: a name given anywhere is suggested everywhere at once."""
        from pipelines.speech.voice_match import suggest_names

        return suggest_names(
            book.unnamed,
            book.named,
            threshold=self.settings.speakers.match,
            taken=book.taken,
            rejected=book.rejected,
        )

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
        videos; ``name`` None, or the speaker's label, gives it back its label. The name
        another speaker of the video has merges ``current`` into that one (a voice
        diarization split in two): the answer is the speaker they became, whose ``joined``
        says who joined it. Raises ``video.not_found``, ``speaker.unknown``,
        ``speaker.bad_name`` or ``speaker.name_like_label``. Audited as ``speaker.renamed``,
        or ``speaker.merged``; a rename to the name it has already changes nothing and is
        not audited."""
        row = self._catalog.rename_speaker(video_id, current, name)
        # OwnerCatalog passes the storage's answer on as the SpeakerRow it is: the rename's
        # own fields are read here.
        joined = row.joined if isinstance(row, Renamed) else None
        if isinstance(row, Renamed) and not row.changed:
            return next(s for s in self.speakers(video_id) if s.label == row.label)
        if joined is not None:
            found = self._changed(
                "speaker.merged",
                video_id,
                row,
                name=row.name,
                ip=ip,
                request_id=request_id,
                joined=joined,
            )
            return found.model_copy(update={"joined": joined})
        return self._changed(
            "speaker.renamed", video_id, row, name=row.name, ip=ip, request_id=request_id
        )

    def reject_speaker_name(
        self,
        video_id: str,
        current: str,
        name: str,
        *,
        ip: str | None = None,
        request_id: str | None = None,
    ) -> SpeakerPublic:
        """Turns down ``name`` for the speaker ``current`` (its label or name) of one of the
        owner's videos: it is never suggested for that speaker again, and a speaker called
        that loses the name. Returns the speaker with its next suggestion, if any. Raises
        ``video.not_found``, ``speaker.unknown`` or ``speaker.bad_name``. Audited as
        ``speaker.rejected``."""
        row = self._catalog.reject_name(video_id, current, name)
        return self._changed(
            "speaker.rejected", video_id, row, name=plain_name(name), ip=ip, request_id=request_id
        )

    def _changed(
        self,
        event: str,
        video_id: str,
        row: SpeakerRow,
        *,
        name: str | None,
        ip: str | None,
        request_id: str | None,
        **more: str,
    ) -> SpeakerPublic:
        """After a rename, a merge or a rejection: the audit event (who, from where, which
        speaker, the name, ``more``: who joined it), the log line, and the speaker as every
        face now shows it, read again with its next suggestion (a name given or turned down
        changes what is suggested)."""
        self._catalog.audit(
            event,
            ip=ip,
            request_id=request_id,
            video_id=video_id,
            label=row.label,
            name=name,
            **more,
        )
        log.info(event, video_id=video_id, owner_id=self.owner_id, label=row.label, **more)
        return next(s for s in self.speakers(video_id) if s.label == row.label)

    def speaker_names(self) -> list[str]:
        """The names the owner gave speakers in any of their videos, in alphabetical order
        (any case): whom a search or a question may be narrowed to across the library (a
        label such as 'Speaker 1' is a different voice in each video, so none is listed)."""
        return sorted(self._catalog.speaker_names(), key=lambda name: (speaker_key(name), name))

    def chunk_ids_spoken_by(self, speaker: str, video_id: str | None = None) -> set[int]:
        """The owner's speech passages where ``speaker`` (a name or a label, any case) says a
        sentence: what a search or a question filtered by speaker may draw on."""
        return self._catalog.chunk_ids_spoken_by(speaker, video_id)


def speaker_in(speakers: list[SpeakerPublic], current: str) -> SpeakerPublic | None:
    """The speaker ``current`` names among a video's ``speakers``: by label, else by name,
    any case (as the library finds it); None when none."""
    wanted = speaker_key(current)
    return next((s for s in speakers if speaker_key(s.label) == wanted), None) or next(
        (s for s in speakers if s.name and speaker_key(s.name) == wanted), None
    )


def called_so_already(speaker: SpeakerPublic, name: str | None) -> bool:
    """Whether naming ``speaker`` ``name`` would change nothing: it has that name, as stored
    ('dana' for a Dana changes its case), or it has no name and ``name`` is its label."""
    if name is None or speaker_key(name) == speaker_key(speaker.label):
        return speaker.name is None
    return plain_name(name) == speaker.name


def suggested(
    speakers: list[SpeakerPublic], current: str, video_id: str
) -> tuple[SpeakerPublic, str]:
    """The speaker ``current`` (its label or name, any case) of a video's ``speakers`` and the
    name suggested for it: what confirming or turning down a suggestion acts on. Raises
    ``speaker.unknown`` or ``speaker.no_suggestion``."""
    speaker = speaker_in(speakers, current)
    if speaker is None:
        known = ", ".join(s.label for s in speakers) or "none told apart"
        raise NotFoundError(
            f"video {video_id} has no speaker {current!r}; its speakers are {known}",
            code="speaker.unknown",
            video_id=video_id,
        )
    if speaker.suggestion is None:
        if speaker.name:
            why = f"it is named {speaker.name!r} already"
        elif speaker.rejected:
            # Turning a suggestion down is why it has none now, whatever else sounds alike.
            turned = ", ".join(repr(n) for n in speaker.rejected)
            why = (
                f"you turned down {turned} for it, and no other voice you named sounds "
                "enough like it"
            )
        else:
            why = "no voice you named in another video sounds enough like it"
        raise VidscopeError(
            f"{speaker.label} of video {video_id} has no suggested name: {why}; name it with "
            "a rename instead",
            code="speaker.no_suggestion",
            video_id=video_id,
        )
    return speaker, speaker.suggestion.name
