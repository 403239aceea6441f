"""The per-video compute: decoded speech → sentences → passages, the pictures' text → screen
passages, and vectors for both. It touches no
database and no index, so the same function runs in the CLI, in the server's worker process,
in a notebook and in a Ray actor; the one writer stores what it returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from pipelines.config import Settings
from pipelines.errors import VidscopeError
from pipelines.media.audio import (
    SAMPLE_RATE,
    SpeechChannel,
    decode_audio,
    speech_channels,
    speech_windows,
    survey_track,
)
from pipelines.media.probe import check_decoded_audio
from pipelines.records import Chunk, MediaInfo, Progress, Segment, Voice, no_progress
from pipelines.retrieval.chunking import ChunkOptions, build_chunks
from pipelines.retrieval.embed import embed_texts
from pipelines.speech.diarize import DiarizeOptions
from pipelines.speech.diarize_alongside import DiarizeAlongside, diarizing_alongside
from pipelines.speech.speaker_turns import attribute
from pipelines.speech.transcribe import TranscribeOptions, shift_segment, transcribe_audio
from pipelines.vision.screen_text import ScreenOptions


@dataclass(frozen=True)
class ComputeOptions:
    """Everything ``process_video`` needs from the settings (plain values: it crosses
    process boundaries)."""

    transcribe: TranscribeOptions
    chunking: ChunkOptions
    screen: ScreenOptions
    speakers: DiarizeOptions
    embed_model: str
    embed_batch_size: int
    threads: int
    model_cache: Path

    @classmethod
    def from_settings(cls, settings: Settings) -> ComputeOptions:
        # The one place the stage options are built from the settings.
        return cls(
            transcribe=TranscribeOptions.from_settings(settings),
            chunking=ChunkOptions.from_settings(settings),
            screen=ScreenOptions.from_settings(settings),
            speakers=DiarizeOptions.from_settings(settings),
            embed_model=settings.embedding.model,
            embed_batch_size=settings.embedding.batch_size,
            threads=settings.threads,
            model_cache=settings.model_cache,
        )

    def with_speakers(self, count: int | None) -> ComputeOptions:
        """These options for a recording in which ``count`` people speak (None: unknown)."""
        return replace(self, speakers=replace(self.speakers, speakers=count))


@dataclass(frozen=True)
class IngestArtifact:
    """What one video's compute produced; the writer stores it in one transaction."""

    audio_track: int | None
    language: str | None
    segments: tuple[Segment, ...]
    chunks: tuple[Chunk, ...]
    chunk_vectors: np.ndarray
    segment_vectors: np.ndarray
    voices: tuple[Voice, ...] = ()  # the speakers the segments name, with voice prints


def process_video(
    media_path: Path,
    info: MediaInfo,
    track: int | None,
    options: ComputeOptions,
    progress: Progress = no_progress,
    *,
    shown_as: Path | None = None,
) -> IngestArtifact:
    """Transcribes audio track ``track`` (None: the file has no sound), tells its speakers
    apart, chunks the sentences, reads the text the pictures show (unless switched off: screen
    passages follow the speech passages) and embeds passages and sentences. Raises
    ``VidscopeError`` for undecodable media, naming the file ``shown_as`` (the user's name
    for it) when given."""

    def screen() -> list[Chunk]:
        if options.screen.enabled and info.has_video:
            return read_screen(media_path, info, options.screen, progress)
        return []

    segments: list[Segment] = []
    voices: tuple[Voice, ...] = ()
    language = None
    if track is None:
        screen_chunks = screen()
    else:
        progress("decode", 0.0)
        try:
            segments, language, voices, screen_chunks = hear(
                media_path, info, track, options, progress, shown_as or media_path, screen
            )
        except VidscopeError as exc:
            if shown_as is not None:  # the stored file's name means nothing to its owner
                exc.message = exc.message.replace(media_path.name, shown_as.name)
                exc.args = (exc.message,)
            raise
    chunks = build_chunks(segments, options.chunking) + screen_chunks
    progress("embed", 0.0)
    # Sentences are embedded too, so a hit can point at the sentence that matches.
    vectors = embed_texts(
        [c.text for c in chunks] + [s.text for s in segments],
        model=options.embed_model,
        batch_size=options.embed_batch_size,
        threads=options.threads,
        cache_dir=options.model_cache,
    )
    # The summary is not made here: it is the ingest's own stage, after the video is
    # searchable (ingest.summarize_ready; the worker's summary stage).
    return IngestArtifact(
        audio_track=track,
        language=language,
        segments=tuple(segments),
        chunks=tuple(chunks),
        chunk_vectors=vectors[: len(chunks)],
        segment_vectors=vectors[len(chunks) :],
        voices=voices,
    )


def hear(
    media_path: Path,
    info: MediaInfo,
    track: int,
    options: ComputeOptions,
    progress: Progress,
    shown_as: Path,
    meanwhile: Callable[[], list[Chunk]],
) -> tuple[list[Segment], str | None, tuple[Voice, ...], list[Chunk]]:
    """The sentences (with their speakers), their language and the voices of track
    ``track``, and what ``meanwhile`` returns: the pictures are read after transcription
    while the speakers are still being told apart. A one-channel recording is diarized on a
    thread of its own from the moment its samples can be had (``diarize_alongside``)."""
    transcribe: Callable[[], tuple[list[Segment], str | None]]
    load: Callable[[], np.ndarray] | None = None
    if info.duration <= options.transcribe.window_s:
        channels = decode_speech(media_path, info, track, shown_as)
        if len(channels) == 1:
            mono = channels[0].samples
            load = lambda: mono  # noqa: E731

        def transcribe() -> tuple[list[Segment], str | None]:
            return transcribe_channels(channels, options.transcribe, progress)

    else:
        picks = survey_picks(media_path, info, track, shown_as)
        if picks == [(None, None)]:
            load = lambda: decode_mix(media_path, info, track)  # noqa: E731

        def transcribe() -> tuple[list[Segment], str | None]:
            return transcribe_long_track(
                media_path, info, track, picks, options.transcribe, progress
            )

    with diarizing_alongside(load, options.speakers) as speakers:
        segments, language = transcribe()
        read = meanwhile()
        segments, voices = tell_speakers(segments, speakers, progress)
    return segments, language, voices, read


def decode_mix(media_path: Path, info: MediaInfo, track: int) -> np.ndarray:
    """The whole track as one mono mix (a long recording's diarization decodes it again)."""
    mix: np.ndarray = decode_audio(
        media_path, container=info.container, track=track, channels=1, expected_s=info.duration
    )[0]
    return mix


def tell_speakers(
    segments: list[Segment], speakers: DiarizeAlongside | None, progress: Progress
) -> tuple[list[Segment], tuple[Voice, ...]]:
    """The sentences with their speakers, and the voices. A two-channel call already names
    a speaker per channel; otherwise the diarization running alongside (None: switched off)
    tells the voices apart once it is done."""
    channel_speakers = sorted({s.speaker for s in segments if s.speaker is not None})
    if channel_speakers:
        talk = {name: 0.0 for name in channel_speakers}
        for s in segments:
            talk[s.speaker or ""] = talk.get(s.speaker or "", 0.0) + s.end - s.start
        return segments, tuple(Voice(name, round(talk[name], 2)) for name in channel_speakers)
    if speakers is None or not segments:
        return segments, ()
    progress("speakers", 0.0)
    found = speakers.result(lambda fraction: progress("speakers", fraction))
    progress("speakers", 1.0)
    return attribute(segments, found.turns), found.voices


def read_screen(
    media_path: Path, info: MediaInfo, options: ScreenOptions, progress: Progress
) -> list[Chunk]:
    """Screen passages, with a progress stage of their own. The OCR engine is imported
    here: a library that never reads a picture does not load it."""
    from pipelines.vision.screen_text import read_screen_text

    progress("screen", 0.0)
    return read_screen_text(
        media_path,
        info.container,
        info.duration,
        options,
        lambda fraction: progress("screen", fraction),
    )


def decode_speech(
    media_path: Path, info: MediaInfo, track: int, shown_as: Path
) -> list[SpeechChannel]:
    """The chosen track as one mono mix, or one channel per speaker for a two-channel call."""
    spec = info.audio_tracks[track]
    audio = decode_audio(
        media_path,
        container=info.container,
        track=track,
        channels=2 if spec.channels == 2 else 1,
        expected_s=info.duration,
    )
    check_decoded_audio(spec, audio.shape[1] / SAMPLE_RATE, shown_as)
    return speech_channels(audio)


def survey_picks(
    media_path: Path, info: MediaInfo, track: int, shown_as: Path
) -> list[tuple[int | None, str | None]]:
    """For a recording longer than a window: a streamed pass checks that the track decodes
    to its end and whether its two channels carry one speaker each. Returns what to
    transcribe: (channel, its speaker) for each, or [(None, None)], the mix."""
    spec = info.audio_tracks[track]
    channels = 2 if spec.channels == 2 else 1
    survey = survey_track(media_path, container=info.container, track=track, channels=channels)
    check_decoded_audio(spec, survey.decoded_s, shown_as)
    if survey.separate_speakers:
        return [(0, "Left"), (1, "Right")]
    return [(None, None)]


def transcribe_long_track(
    media_path: Path,
    info: MediaInfo,
    track: int,
    picks: list[tuple[int | None, str | None]],
    options: TranscribeOptions,
    progress: Progress,
) -> tuple[list[Segment], str | None]:
    """A recording longer than a window, transcribed a window at a time (audio.speech_windows):
    each of ``picks`` (a channel and its speaker, or None: the mix), window by window. The
    language found in the first window holds for the rest."""
    channels = 2 if info.audio_tracks[track].channels == 2 else 1
    segments: list[Segment] = []
    language = options.language
    detected = None

    def heard_from(picked: int, start_s: float, length_s: float) -> Callable[[float], None]:
        """The transcribed share of a window, as a share of all the picks' audio."""

        def heard(share: float) -> None:
            done = min(1.0, (start_s + share * length_s) / max(info.duration, 1e-6))
            progress("transcribe", (picked + done) / len(picks))

        return heard

    progress("transcribe", 0.0)
    for picked, (pick, speaker) in enumerate(picks):
        windows = speech_windows(
            media_path,
            container=info.container,
            track=track,
            channels=channels,
            pick=pick if channels == 2 else 0,
            window_s=options.window_s,
        )
        for start_s, samples in windows:
            heard = heard_from(picked, start_s, len(samples) / SAMPLE_RATE)
            stream, found = transcribe_audio(samples, replace(options, language=language), heard)
            detected = detected or found
            language = language or found
            for segment in stream:
                segments.append(replace(shift_segment(segment, start_s), speaker=speaker))
    progress("transcribe", 1.0)
    segments.sort(key=lambda s: (s.start, s.end))
    return segments, detected


def transcribe_channels(
    channels: list[SpeechChannel],
    options: TranscribeOptions,
    progress: Progress = no_progress,
) -> tuple[list[Segment], str | None]:
    """Transcribes each channel on its own and merges the sentences in time order, each
    labelled with its channel's speaker. Returns (segments, language of the first channel)."""
    segments: list[Segment] = []
    language = None
    for number, channel in enumerate(channels):
        progress("transcribe", number / len(channels))

        def heard(share: float, number: int = number) -> None:
            progress("transcribe", (number + share) / len(channels))

        stream, detected = transcribe_audio(channel.samples, options, heard)
        language = language or detected
        segments += [replace(segment, speaker=channel.speaker) for segment in stream]
    segments.sort(key=lambda s: (s.start, s.end))
    return segments, language
