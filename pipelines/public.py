"""Public schemas: what every face shows of the library's records. The REST API answers with
them, the CLI's ``--json`` prints them and the web app reads them, so the three never drift.
Pydantic only (no web framework), built from the frozen records in ``records.py``. One job,
long because it is the whole public contract in one place, each model with its examples: split,
the shapes of one face would drift from another's."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from pipelines.records import Clip, Hit, Job, JobStatus, Reel, User, Video

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pipelines.speech.voice_match import Suggestion
    from pipelines.storage.catalog.speakers import SpeakerRow
    from pipelines.understanding.answers import Answer
    from pipelines.understanding.chapters import Summary


def _as_utc(value: datetime) -> datetime:
    # The catalog keeps UTC without an offset; RFC 3339 (and every client) wants one.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]


class _Public(BaseModel):
    model_config = ConfigDict(frozen=True)


class VideoPublic(_Public):
    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "3f2a9c0d1e4b5a6c",
                    "title": "Quarterly planning",
                    "status": "ready",
                    "duration": 1834.2,
                    "container": "mp4",
                    "has_video": True,
                    "has_audio": True,
                    "size_bytes": 81234567,
                    "language": "en",
                    "audio_track": 0,
                    "audio_tracks": 1,
                    "sentences": 412,
                    "passages": 71,
                    "created_at": "2026-11-25T09:30:00Z",
                }
            ]
        },
    )

    id: str
    title: str = Field(description="The uploaded file's name without its extension; plain text")
    status: Literal["processing", "ready", "failed", "deleting", "missing"] = Field(
        description="missing: indexed, but its media file is gone from the library "
        "(search still finds it; playing and clips cannot; the doctor lists it)"
    )
    duration: float = Field(description="Seconds")
    container: str
    has_video: bool
    has_audio: bool
    size_bytes: int
    language: str | None = Field(
        description='Languages heard, most first (ISO 639-1 codes, comma-separated: "es,en")'
    )
    audio_track: int | None = Field(description="The audio stream transcribed (0:a:N)")
    audio_tracks: int
    sentences: int = Field(0, description="Transcribed sentences (0: no speech found)")
    passages: int = Field(0, description="Searchable passages")
    created_at: UtcDatetime | None

    @classmethod
    def of(
        cls, video: Video, *, sentences: int = 0, passages: int = 0, media_missing: bool = False
    ) -> VideoPublic:
        return cls(
            id=video.id,
            title=video.title,
            status="missing" if media_missing and video.status == "ready" else video.status,  # type: ignore[arg-type]
            duration=round(video.duration, 3),
            container=video.container,
            has_video=video.has_video,
            has_audio=video.has_audio,
            size_bytes=video.size_bytes,
            language=video.language,
            audio_track=video.audio_track,
            audio_tracks=video.audio_tracks,
            sentences=sentences,
            passages=passages,
            created_at=video.created_at,
        )


class HitPublic(_Public):
    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "video_id": "3f2a9c0d1e4b5a6c",
                    "title": "Quarterly planning",
                    "start": 83.2,
                    "end": 88.9,
                    "text": "…the solar panels on the warehouse roof produce forty kilowatts…",
                    "score": 0.03279,
                    "source": "speech",
                    "passage_start": 71.4,
                    "passage_end": 102.0,
                    "speaker": "Dana",
                }
            ]
        },
    )

    video_id: str
    title: str
    start: float = Field(description="Start of the best-matching sentence (where to jump), s")
    end: float
    text: str = Field(description="Snippet: the sentence with its neighbours")
    score: float
    source: str
    passage_start: float
    passage_end: float
    speaker: str | None = Field(
        None,
        description="Who says the matching sentence: a name given to the speaker, else "
        "'Speaker n' or a channel ('Left'); null when the video's voices were not told apart",
    )

    @classmethod
    def of(cls, hit: Hit) -> HitPublic:
        return cls(
            video_id=hit.video_id,
            title=hit.title,
            start=hit.start,
            end=hit.end,
            text=hit.text,
            score=hit.score,
            source=hit.source,
            passage_start=hit.passage_start,
            passage_end=hit.passage_end,
            speaker=hit.speaker,
        )


class ErrorBody(_Public):
    code: str = Field(examples=["video.not_found"])
    message: str
    correlation_id: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class JobPublic(_Public):
    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "c48a7a3fb3424aeb8965f41bd5edaeab",
                    "kind": "ingest",
                    "status": "running",
                    "progress": 0.42,
                    "stage": "transcribe",
                    "attempts": 1,
                    "error": None,
                    "video_id": "3f2a9c0d1e4b5a6c",
                    "clip_id": None,
                    "created_at": "2026-11-25T09:30:00Z",
                    "updated_at": "2026-11-25T09:30:41Z",
                }
            ]
        },
    )

    id: str
    kind: Literal["ingest", "clip", "reel"]
    status: JobStatus
    progress: float = Field(description="0 to 1, within the current stage's job")
    stage: str | None = Field(description="probe, decode, transcribe, embed, index, cut, done")
    attempts: int
    error: ErrorBody | None
    video_id: str | None
    clip_id: str | None = None
    created_at: UtcDatetime
    updated_at: UtcDatetime

    @classmethod
    def of(cls, job: Job) -> JobPublic:
        error = (
            ErrorBody(code=job.error_code, message=job.error_message or "")
            if job.error_code and job.status == "failed"
            else None
        )
        return cls(
            id=job.id,
            kind=job.kind,  # type: ignore[arg-type]
            status=job.status,  # type: ignore[arg-type]
            progress=round(job.progress, 3),
            stage=job.stage,
            attempts=job.attempts,
            error=error,
            video_id=job.video_id,
            clip_id=job.clip_id,
            created_at=job.created_at,
            updated_at=job.updated_at,
        )


class ClipPublic(_Public):
    id: str
    video_id: str
    start: float
    end: float
    status: Literal["pending", "ready", "failed"]
    size_bytes: int | None
    created_at: UtcDatetime

    @classmethod
    def of(cls, clip: Clip) -> ClipPublic:
        return cls(
            id=clip.id,
            video_id=clip.video_id,
            start=clip.start,
            end=clip.end,
            status=clip.status,  # type: ignore[arg-type]
            size_bytes=clip.size_bytes,
            created_at=clip.created_at,
        )


class ReelPartPublic(_Public):
    video_id: str
    start: float
    end: float


class ReelPublic(_Public):
    id: str
    status: Literal["pending", "ready", "failed"]
    parts: list[ReelPartPublic]
    vertical: bool
    subtitles: bool
    title_cards: bool
    size_bytes: int | None
    created_at: UtcDatetime

    @classmethod
    def of(cls, reel: Reel) -> ReelPublic:
        return cls(
            id=reel.id,
            status=reel.status,  # type: ignore[arg-type]
            parts=[
                ReelPartPublic(video_id=p.video_id, start=p.start, end=p.end) for p in reel.parts
            ],
            vertical=bool(reel.options.get("vertical")),
            subtitles=bool(reel.options.get("subtitles")),
            title_cards=bool(reel.options.get("title_cards")),
            size_bytes=reel.size_bytes,
            created_at=reel.created_at,
        )


class UserPublic(_Public):
    id: str
    username: str
    role: Literal["user", "admin"]
    disabled: bool
    created_at: UtcDatetime

    @classmethod
    def of(cls, user: User) -> UserPublic:
        return cls(
            id=user.id,
            username=user.username,
            role=user.role,  # type: ignore[arg-type]
            disabled=user.disabled,
            created_at=user.created_at,
        )


class CitationPublic(_Public):
    number: int = Field(description="The [n] that cites it in the answer's text")
    video_id: str
    title: str
    start: float = Field(description="Start of the cited sentence (where to play), seconds")
    end: float
    text: str = Field(description="The cited sentence")
    label: str = Field(description="title @ mm:ss–mm:ss")
    speaker: str | None = Field(
        None, description="Who says it (as transcripts show it); null when not told apart"
    )


class AnswerPublic(_Public):
    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "question": "how big is the marketing budget going to be",
                    "answer": "Second, the marketing budget will grow by 10% next year. [1]",
                    "abstained": False,
                    "generator": "extractive",
                    "fell_back": None,
                    "citations": [
                        {
                            "number": 1,
                            "video_id": "3f2a9c0d1e4b5a6c",
                            "title": "Quarterly planning",
                            "start": 15.1,
                            "end": 19.4,
                            "text": "Second, the marketing budget will grow by 10% next year.",
                            "label": "Quarterly planning @ 0:15–0:19",
                        }
                    ],
                },
                {
                    "question": "what is the capital of Peru",
                    "answer": "Nothing in your library answers this closely enough, so there "
                    "is no answer to cite. Try other words, or search for it.",
                    "abstained": True,
                    "generator": "extractive",
                    "fell_back": None,
                    "citations": [],
                },
            ]
        },
    )

    question: str
    answer: str = Field(description="Plain text; each statement followed by its [n] citation")
    abstained: bool = Field(
        description="True when nothing in the library was similar enough to the question; "
        "then there are no citations"
    )
    generator: str = Field(description="What wrote the answer: extractive or openai")
    fell_back: str | None = Field(
        description="Why the configured generator's answer was replaced by an extractive one"
    )
    citations: list[CitationPublic]

    @classmethod
    def of(cls, answer: Answer) -> AnswerPublic:
        return cls(
            question=answer.question,
            answer=answer.answer,
            abstained=answer.abstained,
            generator=answer.generator,
            fell_back=answer.fell_back,
            citations=[
                CitationPublic(
                    number=c.number,
                    video_id=c.video_id,
                    title=c.title,
                    start=c.start,
                    end=c.end,
                    text=c.text,
                    label=c.label,
                    speaker=c.speaker,
                )
                for c in answer.citations
            ],
        )


class KeyPointPublic(_Public):
    start: float = Field(description="Where it is said, seconds")
    end: float
    text: str


class ChapterPublic(_Public):
    start: float
    end: float
    title: str


class SpanPublic(_Public):
    start: float = Field(description="Seconds")
    end: float


class SummarySentencePublic(_Public):
    text: str
    cites: list[SpanPublic] = Field(description="Where the sentences it rests on are said")


class SummaryPublic(_Public):
    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "video_id": "3f2a9c0d1e4b5a6c",
                    "method": "extractive",
                    "summary": "The solar panels on the warehouse roof now produce forty "
                    "kilowatts of power. The marketing budget will grow by ten percent.",
                    "sentences": [
                        {
                            "text": "The solar panels on the warehouse roof now produce forty "
                            "kilowatts of power.",
                            "cites": [{"start": 4.0, "end": 9.0}],
                        },
                        {
                            "text": "The marketing budget will grow by ten percent.",
                            "cites": [{"start": 15.1, "end": 19.4}],
                        },
                    ],
                    "key_points": [
                        {"start": 4.0, "end": 9.0, "text": "The solar panels on the …"},
                    ],
                    "chapters": [
                        {"start": 0.0, "end": 15.1, "title": "Solar panels"},
                        {"start": 15.1, "end": 35.8, "title": "Marketing budget"},
                    ],
                }
            ]
        },
    )

    video_id: str
    method: str = Field(
        description="Who wrote it: extractive (the video's own sentences) or the language "
        "model's name (its grounded titles and sentences; the extractive ones where not)"
    )
    summary: str
    sentences: list[SummarySentencePublic] = Field(
        default_factory=list, description="The summary's 2 to 5 sentences, each with citations"
    )
    key_points: list[KeyPointPublic] = Field(description="3 to 7, in the order they are said")
    chapters: list[ChapterPublic] = Field(
        description="Where the topic changes; the first starts at 0, the last ends at the end"
    )

    @classmethod
    def of(cls, video_id: str, summary: Summary, method: str) -> SummaryPublic:
        return cls(
            video_id=video_id,
            method=method,
            summary=summary.summary,
            sentences=[
                SummarySentencePublic(
                    text=s.text, cites=[SpanPublic(start=a, end=b) for a, b in s.cites]
                )
                for s in summary.sentences
            ],
            key_points=[
                KeyPointPublic(start=p.start, end=p.end, text=p.text) for p in summary.key_points
            ],
            chapters=[
                ChapterPublic(start=c.start, end=c.end, title=c.title) for c in summary.chapters
            ],
        )


class SuggestionPublic(_Public):
    name: str = Field(description="A name the owner gave a voice like this one in another video")
    similarity: float = Field(
        description="How alike the two voices are: cosine of their voice prints, up to 1; "
        "suggested from VIDSCOPE_SPEAKERS_MATCH up"
    )
    from_video_id: str = Field(description="The video whose named voice is the closest")


class SpeakerPublic(_Public):
    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "label": "Speaker 2",
                    "name": None,
                    "shown": "Speaker 2",
                    "seconds": 312.4,
                    "share": 0.41,
                    "suggestion": {
                        "name": "Dana",
                        "similarity": 0.97,
                        "from_video_id": "8d1e4b5a6c3f2a9c",
                    },
                    "rejected": [],
                    "joined": None,
                }
            ]
        },
    )

    label: str = Field(
        description="What the ingest called the voice: 'Speaker 1..n' (told apart by voice, "
        "numbered in the order they first speak) or 'Left'/'Right' (one per channel of a call)"
    )
    name: str | None = Field(description="The name a person gave it; null until then")
    shown: str | None = Field(
        description="What transcripts and exports show for it: the name, else the label; null "
        "for the one voice of a recording nobody named (its lines carry no speaker)"
    )
    seconds: float = Field(description="Talk time, seconds")
    share: float = Field(description="Its part of the video's talk time, 0 to 1")
    suggestion: SuggestionPublic | None = Field(
        None,
        description="Who this unnamed voice may be: the owner's named voice in another video "
        "that sounds most like it, when alike enough; null otherwise. Confirm it by naming the "
        "speaker so, or turn it down (POST .../reject)",
    )
    rejected: list[str] = Field(
        default_factory=list,
        description="The names turned down for this speaker (POST .../reject): never "
        "suggested for it again",
    )
    joined: str | None = Field(
        default=None,
        description="Only in the answer to a rename that merged two speakers: the one (its "
        "name, else its label) that was given the name this one has, and joined it (one voice "
        "diarization had split in two). Its sentences, talk time and voice print are this "
        "one's now, and the video has a speaker fewer; null otherwise",
    )

    @classmethod
    def of(
        cls,
        row: SpeakerRow,
        *,
        total_s: float,
        suggestion: Suggestion | None = None,
        rejected: Sequence[str] = (),
    ) -> SpeakerPublic:
        return cls(
            label=row.label,
            name=row.name,
            shown=row.shown,
            seconds=round(row.seconds, 2),
            share=round(row.seconds / total_s, 4) if total_s > 0 else 0.0,
            rejected=list(rejected),
            suggestion=None
            if suggestion is None
            else SuggestionPublic(
                name=suggestion.name,
                similarity=suggestion.similarity,
                from_video_id=suggestion.from_video_id,
            ),
        )
