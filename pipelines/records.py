"""Plain result records shared by every stage. Times are seconds from the start of the media."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    text: str
    probability: float = 1.0


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class Chunk:
    """A retrieval passage: consecutive segments, start/end taken from word timestamps."""

    start: float
    end: float
    text: str
    first_segment: int
    last_segment: int


@dataclass(frozen=True)
class MediaInfo:
    container: str
    duration: float
    size_bytes: int
    has_audio: bool
    has_video: bool
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    audio_duration: float | None = None  # as declared by the audio stream's header


@dataclass(frozen=True)
class Video:
    id: str
    sha256: str
    title: str
    status: str
    duration: float
    container: str
    media_path: str
    has_audio: bool
    has_video: bool
    size_bytes: int
    language: str | None = None
    error_code: str | None = None


@dataclass(frozen=True)
class Hit:
    """A search result. ``start``/``end`` bound the sentence that best matches the query (where
    to jump); ``passage_start``/``passage_end`` bound the whole retrieved passage."""

    video_id: str
    title: str
    start: float
    end: float
    text: str
    score: float
    source: str = "speech"
    passage_start: float = 0.0
    passage_end: float = 0.0
    chunk_id: int = field(default=0, compare=False)


@dataclass(frozen=True)
class IngestResult:
    video_id: str
    title: str
    status: str  # "indexed" | "already_indexed" | "failed"
    chunks: int = 0
    error_code: str | None = None
    message: str | None = None
