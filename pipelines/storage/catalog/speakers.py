"""The speakers of each video: stored with its transcript (``VideoTables.replace_transcript``),
named by a person, and shown by name wherever sentences are read back. Sentences keep the
label their ingest gave them ('Left'/'Right', 'Speaker 1..n'); the name is looked up when they
are read, so a rename shows in every face and export at once, without re-ingesting. The voice
prints and names are also what names are suggested from (``voice_book``), and a name a person
turned down for a speaker is kept (``reject_name``) so it is not suggested for it again."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pipelines.errors import NotFoundError
from pipelines.records import Voice
from pipelines.speech.voice_match import NamedVoice
from pipelines.storage.catalog.db import Database
from pipelines.storage.catalog.speaker_rules import (
    merged_voice,
    named_alike,
    plain_name,
    speaker_key,
    valid_name,
)

__all__ = ["Renamed", "SpeakerRow", "SpeakerTables", "VoiceBook", "plain_name", "speaker_key"]


@dataclass(frozen=True)
class SpeakerRow:
    """A speaker of one video: its label, the name a person gave it (None until then), how
    long it talks, and what transcripts show for it (``shown``: the name, else the label;
    None for the one voice of a recording nobody named, whose lines carry no speaker)."""

    label: str
    name: str | None
    seconds: float
    shown: str | None


@dataclass(frozen=True)
class Renamed(SpeakerRow):
    """A speaker as a rename left it: ``joined`` is the speaker (its name, else its label)
    that the rename merged into it, None when none; ``changed`` is False when it had that
    name already, and nothing was written."""

    joined: str | None = None
    changed: bool = True


@dataclass(frozen=True)
class VoiceBook:
    """What suggesting names for one video's voices takes (``voice_match.suggest_names``):
    its voices nobody named (label -> print), the names its speakers have, the names turned
    down for each label, and the owner's named voices in their other ready videos."""

    unnamed: dict[str, list[float]]
    taken: set[str]
    rejected: dict[str, set[str]]
    named: list[NamedVoice]


@dataclass(frozen=True)
class _Stored:
    label: str
    name: str | None
    seconds: float
    voiced: bool  # has a voice print: told apart by diarization, not by a channel


def _shown(rows: Sequence[_Stored]) -> dict[str, str | None]:
    """What transcripts show for each label. A one-person lecture should not say
    "Speaker 1:" before every line, so a lone diarized voice shows nothing until it is named;
    a channel's speaker always shows (the other channel may simply have been silent)."""
    if len(rows) == 1 and rows[0].voiced and rows[0].name is None:
        return {rows[0].label: None}
    return {row.label: row.name or row.label for row in rows}


class SpeakerTables(Database):
    """A video's speakers: written whole with its transcript, renamed one at a time."""

    def _stored_speakers(self, video_ids: Iterable[str]) -> dict[str, list[_Stored]]:
        rows = self.con.execute(
            "SELECT video_id, label, name, seconds, voice IS NOT NULL FROM speakers "
            "WHERE video_id IN (SELECT unnest(?)) ORDER BY video_id, length(label), label",
            [sorted(set(video_ids))],
        ).fetchall()
        found: dict[str, list[_Stored]] = {}
        for video_id, label, name, seconds, voiced in rows:
            found.setdefault(str(video_id), []).append(
                _Stored(str(label), name, float(seconds), bool(voiced))
            )
        return found

    def shown_speakers(self, video_ids: Iterable[str]) -> dict[str, dict[str, str | None]]:
        """Per video id, what its sentences show for each label they carry. A label with no
        row (a video stored before speakers were) is absent: it shows as itself."""
        return {vid: _shown(rows) for vid, rows in self._stored_speakers(video_ids).items()}

    def speakers(self, video_id: str) -> list[SpeakerRow]:
        """The video's speakers, in label order ('Speaker 2' before 'Speaker 10')."""
        rows = self._stored_speakers([video_id]).get(video_id, [])
        shown = _shown(rows)
        return [SpeakerRow(r.label, r.name, r.seconds, shown[r.label]) for r in rows]

    def insert_speakers(self, video_id: str, voices: Sequence[Voice]) -> None:
        """Adds a video's speakers; called inside the transaction that writes its sentences
        (which first removed any older ones and the names turned down for them: a new
        diarization's 'Speaker 2' is not the person the old one was, so names do not carry
        over)."""
        if not voices:
            return
        self.con.execute(
            "INSERT INTO speakers (video_id, label, seconds, voice) "
            "SELECT unnest($1), unnest($2), unnest($3), unnest($4)",
            [
                [video_id] * len(voices),
                [v.label for v in voices],
                [max(0.0, float(v.seconds)) for v in voices],
                [list(v.vector) if v.vector is not None else None for v in voices],
            ],
        )

    def rename_speaker(self, video_id: str, current: str, new_name: str | None) -> Renamed:
        """Names the speaker ``current`` (its label or its name, any case). ``new_name`` None,
        or the speaker's own label, clears the name. The name another speaker of the video
        has says they are one voice: ``current`` is merged into that speaker (``merge``) and
        the answer is the speaker they became, its ``joined`` saying who joined. Raises
        ``speaker.bad_name``, ``speaker.unknown`` (naming the speakers the video has) or
        ``speaker.name_like_label``. The caller has checked that the video is the owner's."""
        name = None if new_name is None else valid_name(new_name)
        with self.transaction():  # the check and the write see one state
            rows = self._stored_speakers([video_id]).get(video_id, [])
            target = _find(rows, current, video_id)
            if name is not None and speaker_key(name) == speaker_key(target.label):
                name = None
            into = None if name is None else named_alike(name, target, rows, video_id)
            if into is not None:
                self._merge(video_id, target, into)
                kept, joined = into.label, target.name or target.label
            else:
                kept, joined = target.label, None
                if name != target.name:
                    self.con.execute(
                        "UPDATE speakers SET name = ? WHERE video_id = ? AND label = ?",
                        [name, video_id, target.label],
                    )
        row = next(s for s in self.speakers(video_id) if s.label == kept)
        return Renamed(**vars(row), joined=joined, changed=into is not None or name != target.name)

    def _merge(self, video_id: str, source: _Stored, into: _Stored) -> None:
        """``source``'s sentences (so its words and turns, which are read through them), talk
        time, voice print and turned-down names become ``into``'s, and ``source`` is gone.
        Called inside the rename's transaction: a failure leaves both as they were."""
        self.con.execute(
            "UPDATE segments SET speaker = ? WHERE video_id = ? AND speaker = ?",
            [into.label, video_id, source.label],
        )
        prints = dict(
            self.con.execute(
                "SELECT label, voice FROM speakers WHERE video_id = ? AND label IN (?, ?)",
                [video_id, source.label, into.label],
            ).fetchall()
        )
        voice = merged_voice(
            (prints.get(into.label), into.seconds), (prints.get(source.label), source.seconds)
        )
        self.con.execute(
            "UPDATE speakers SET seconds = ?, voice = ? WHERE video_id = ? AND label = ?",
            [into.seconds + source.seconds, voice, video_id, into.label],
        )
        self.con.execute(
            "DELETE FROM speakers WHERE video_id = ? AND label = ?", [video_id, source.label]
        )
        # A name turned down for either half is not the person's: it stays turned down.
        turned_down = self.con.execute(
            "SELECT label, name FROM speaker_rejections WHERE video_id = ? AND label IN (?, ?)",
            [video_id, source.label, into.label],
        ).fetchall()
        self.con.execute(
            "DELETE FROM speaker_rejections WHERE video_id = ? AND label = ?",
            [video_id, source.label],
        )
        have = {speaker_key(str(n)) for label, n in turned_down if label == into.label}
        have.add(speaker_key(into.name or ""))
        for label, turned in turned_down:
            if label == source.label and speaker_key(str(turned)) not in have:
                have.add(speaker_key(str(turned)))
                self.con.execute(
                    "INSERT INTO speaker_rejections (video_id, label, name) VALUES (?, ?, ?)",
                    [video_id, into.label, turned],
                )

    def voice_book(self, video_id: str, *, owner_id: str) -> VoiceBook:
        """The prints and names suggestions for ``video_id`` are made from. Only ``owner_id``'s
        videos are read: another owner's names are never compared, let alone suggested."""
        unnamed: dict[str, list[float]] = {}
        taken: set[str] = set()
        for label, name, voice in self.con.execute(
            "SELECT label, name, voice FROM speakers WHERE video_id = ?", [video_id]
        ).fetchall():
            if name is not None:
                taken.add(str(name))
            elif voice is not None:
                unnamed[str(label)] = list(voice)
        rejected: dict[str, set[str]] = {}
        for label, name in self.con.execute(
            "SELECT label, name FROM speaker_rejections WHERE video_id = ?", [video_id]
        ).fetchall():
            rejected.setdefault(str(label), set()).add(str(name))
        named = [
            NamedVoice(str(name), str(vid), list(voice))
            for name, vid, voice in self.con.execute(
                """SELECT k.name, k.video_id, k.voice FROM speakers k
                JOIN videos v ON v.id = k.video_id
                WHERE v.owner_id = ? AND v.status = 'ready' AND k.video_id <> ?
                    AND k.name IS NOT NULL AND k.voice IS NOT NULL
                ORDER BY k.video_id, k.label""",
                [owner_id, video_id],
            ).fetchall()
        ]
        return VoiceBook(unnamed, taken, rejected, named)

    def reject_name(self, video_id: str, current: str, name: str) -> SpeakerRow:
        """Records that the speaker ``current`` (its label or name, any case) is not ``name``,
        so that name is not suggested for it again; if it is called that now, it loses the
        name (a suggestion confirmed by mistake). Raises ``speaker.bad_name`` or
        ``speaker.unknown``. The caller has checked that the video is the owner's."""
        cleaned = valid_name(name)
        with self.transaction():
            target = _find(self._stored_speakers([video_id]).get(video_id, []), current, video_id)
            if speaker_key(target.name or "") == speaker_key(cleaned):
                self.con.execute(
                    "UPDATE speakers SET name = NULL WHERE video_id = ? AND label = ?",
                    [video_id, target.label],
                )
            known = self.con.execute(
                "SELECT name FROM speaker_rejections WHERE video_id = ? AND label = ?",
                [video_id, target.label],
            ).fetchall()
            if speaker_key(cleaned) not in {speaker_key(str(row[0])) for row in known}:
                self.con.execute(
                    "INSERT INTO speaker_rejections (video_id, label, name) VALUES (?, ?, ?)",
                    [video_id, target.label, cleaned],
                )
        return next(s for s in self.speakers(video_id) if s.label == target.label)

    def chunk_ids_spoken_by(
        self, speaker: str, *, owner_id: str, video_id: str | None = None
    ) -> set[int]:
        """The owner's speech passages in which ``speaker`` says at least one sentence:
        matched against each sentence's label and its speaker's name, any case (names are
        stored as ``plain_name`` spells them: so is the one asked for)."""
        query = """SELECT DISTINCT c.id FROM chunks c
            JOIN videos v ON v.id = c.video_id
            JOIN segments s ON s.video_id = c.video_id
                AND s.idx BETWEEN c.first_segment AND c.last_segment
            LEFT JOIN speakers k ON k.video_id = s.video_id AND k.label = s.speaker
            WHERE v.owner_id = $owner AND c.source = 'speech' AND s.speaker IS NOT NULL
                AND (lower(s.speaker) = lower($who) OR lower(k.name) = lower($who))"""
        params: dict[str, str] = {"owner": owner_id, "who": plain_name(speaker)}
        if video_id is not None:
            query += " AND c.video_id = $video"
            params["video"] = video_id
        return {int(row[0]) for row in self.con.execute(query, params).fetchall()}

    def speaker_names(self, *, owner_id: str) -> set[str]:
        """The names the owner gave speakers, in any of their videos."""
        rows = self.con.execute(
            "SELECT DISTINCT k.name FROM speakers k JOIN videos v ON v.id = k.video_id "
            "WHERE v.owner_id = ? AND k.name IS NOT NULL",
            [owner_id],
        ).fetchall()
        return {str(row[0]) for row in rows}


def _find(rows: Sequence[_Stored], current: str, video_id: str) -> _Stored:
    wanted = speaker_key(current)
    for row in rows:
        if speaker_key(row.label) == wanted:
            return row
    for row in rows:
        if row.name is not None and speaker_key(row.name) == wanted:
            return row
    if not rows:
        known = (
            "it has no speakers told apart (one voice, or it was processed with speakers "
            "switched off)"
        )
    else:
        named = [f"{r.label} ({r.name})" if r.name else r.label for r in rows]
        known = f"its speakers are {', '.join(named)}"
    raise NotFoundError(
        f"video {video_id} has no speaker {current!r}; {known}",
        code="speaker.unknown",
        video_id=video_id,
        speakers=", ".join(r.label for r in rows),
    )
