"""Plain result records shared by every stage. Times are seconds from the start of the media."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, get_args

# Each status set, defined once: the catalog's CHECK constraints, the API's schemas and the
# metrics all read these.
VideoStatus = Literal["processing", "ready", "failed", "deleting"]
JobStatus = Literal["queued", "running", "succeeded", "failed"]
VIDEO_STATUSES: tuple[str, ...] = get_args(VideoStatus)
JOB_STATUSES: tuple[str, ...] = get_args(JobStatus)
# Where a passage's text came from: what was said, or what the picture showed in writing.
Source = Literal["speech", "screen"]
# How long work says how far it is: ``progress(stage, fraction)``, the fraction of that stage
# done (0 to 1). An ingest, a reel and a job followed by the client all report this way.
Progress = Callable[[str, float], None]


def no_progress(stage: str, fraction: float) -> None:
    return None


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
    # Who said it: a channel's name ("Left") when each channel is one speaker, else the label
    # diarization gave the voice ("Speaker 2"); read back from the catalog as the person's
    # name once someone gave it. None: nobody told speakers apart (one voice, or switched off).
    speaker: str | None = None


@dataclass(frozen=True)
class Turn:
    """A stretch of one voice, as diarization heard it."""

    start: float
    end: float
    speaker: str


@dataclass(frozen=True)
class Voice:
    """A speaker of one video: its label, how long it talks, and its voice print (the mean
    speaker embedding, L2-normalised; None for a channel's speaker)."""

    label: str
    seconds: float
    vector: tuple[float, ...] | None = None


@dataclass(frozen=True)
class Chunk:
    """A retrieval passage. Speech: consecutive segments, start/end taken from word
    timestamps. Screen: the text a picture showed from ``start`` to ``end`` (no segments:
    ``first_segment`` and ``last_segment`` are 0)."""

    start: float
    end: float
    text: str
    first_segment: int
    last_segment: int
    source: Source = "speech"


@dataclass(frozen=True)
class AudioTrack:
    """One audio stream; ``number`` counts audio streams only (FFmpeg's ``0:a:N``)."""

    number: int
    codec: str
    channels: int
    duration: float = 0.0  # measured from its packets
    default: bool = False
    language: str | None = None
    title: str | None = None

    def describe(self) -> str:
        extras = [x for x in (self.title, self.language) if x]
        name = f"#{self.number} {self.codec} {self.channels}ch"
        return (
            name
            + (f" ({', '.join(extras)})" if extras else "")
            + (" default" if self.default else "")
        )


@dataclass(frozen=True)
class MediaInfo:
    container: str  # the allowed container the content was sniffed as
    duration: float  # from the header, or measured from the packets when it has none
    size_bytes: int
    has_audio: bool
    has_video: bool
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    audio_tracks: tuple[AudioTrack, ...] = ()
    rotation: int = 0  # degrees the display matrix turns the stored picture

    def default_audio_track(self) -> int | None:
        """The track marked default, else the first; None without audio."""
        if not self.audio_tracks:
            return None
        marked = [t.number for t in self.audio_tracks if t.default]
        return marked[0] if marked else 0


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
    audio_track: int | None = None  # the audio stream transcribed (0:a:N), None without audio
    audio_tracks: int = 0  # how many audio streams the file has
    # Required, by name: a forgotten owner must be an error, never the local administrator.
    owner_id: str = field(kw_only=True)
    created_at: datetime | None = None


@dataclass(frozen=True)
class Hit:
    """A search result. ``start``/``end`` bound the sentence that best matches the query (where
    to jump) or, for a search narrowed to a speaker, the sentences of their turn it shows;
    ``passage_start``/``passage_end`` bound the whole retrieved passage."""

    video_id: str
    title: str
    start: float
    end: float
    text: str
    score: float
    source: Source = "speech"
    passage_start: float = 0.0
    passage_end: float = 0.0
    chunk_id: int = field(default=0, compare=False)
    speaker: str | None = None  # who says the matching sentence, as transcripts show it


@dataclass(frozen=True)
class IngestResult:
    video_id: str
    title: str
    status: str  # "indexed" | "already_indexed" | "failed"
    chunks: int = 0
    error_code: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class Job:
    """A unit of work in the durable queue (an ingest, a clip or a reel)."""

    id: str
    owner_id: str
    kind: str  # "ingest" | "clip" | "reel"
    status: str  # "queued" | "running" | "succeeded" | "failed"
    stage: str | None
    progress: float
    attempts: int
    max_attempts: int
    video_id: str | None
    clip_id: str | None
    payload: dict[str, Any]
    error_code: str | None
    error_message: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class User:
    id: str
    username: str
    role: str  # "user" | "admin"
    disabled: bool
    created_at: datetime


@dataclass(frozen=True)
class ReelPart:
    """One stretch of a video in a highlight reel."""

    video_id: str
    start: float
    end: float


@dataclass(frozen=True)
class Reel:
    """A highlight reel made by the server: its parts were fixed when it was asked for."""

    id: str
    owner_id: str
    status: str  # "pending" | "ready" | "failed"
    parts: tuple[ReelPart, ...]
    options: dict[str, Any]  # {"vertical": bool}
    path: str | None  # relative to the library folder, once ready
    size_bytes: int | None
    created_at: datetime


@dataclass(frozen=True)
class Clip:
    """A clip cut by the server: the owner names the range, the server the file."""

    id: str
    owner_id: str
    video_id: str
    start: float
    end: float
    status: str  # "pending" | "ready" | "failed"
    path: str | None  # relative to the library folder, once ready
    size_bytes: int | None
    created_at: datetime
