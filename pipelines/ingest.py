"""The per-video pipeline: check → probe → hash → store → transcribe → chunk → embed →
catalog → index. The catalog write is one transaction and comes before the index update, so a
crash at any point leaves either the old state or something start-up repair can finish."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from pipelines.audio import SAMPLE_RATE, SpeechChannel, decode_audio, speech_channels
from pipelines.catalog import Catalog
from pipelines.chunking import ChunkOptions, build_chunks
from pipelines.config import Settings
from pipelines.embed import embed_texts
from pipelines.errors import VidscopeError
from pipelines.logs import get_logger
from pipelines.media import (
    check_decoded_audio,
    check_local_file,
    choose_audio_track,
    probe,
    sha256_file,
    store_media,
    validate,
)
from pipelines.records import IngestResult, MediaInfo, Segment, Video
from pipelines.search_indexes import SearchIndexes
from pipelines.transcribe import TranscribeOptions, transcribe_audio

Progress = Callable[[str, float], None]
log = get_logger(__name__)


def _no_progress(stage: str, fraction: float) -> None:
    return None


def video_id_for(sha256: str) -> str:
    """Ids come from content, so re-running an interrupted ingest reuses the same id and paths."""
    return sha256[:16]


def transcribe_options(settings: Settings) -> TranscribeOptions:
    return TranscribeOptions(
        model=settings.whisper_model,
        compute_type=settings.whisper_compute_type,
        beam_size=settings.whisper_beam_size,
        vad=settings.whisper_vad,
        vad_pad_ms=settings.whisper_vad_pad_ms,
        language=settings.whisper_language,
        threads=settings.threads,
        decoders=settings.whisper_decoders,
    )


def chunk_options(settings: Settings) -> ChunkOptions:
    return ChunkOptions(
        min_s=settings.chunk_min_s,
        target_s=settings.chunk_target_s,
        max_s=settings.chunk_max_s,
        overlap_s=settings.chunk_overlap_s,
    )


def ingest_file(
    path: str | Path,
    *,
    settings: Settings,
    catalog: Catalog,
    indexes: SearchIndexes,
    force: bool = False,
    audio_track: int | None = None,
    progress: Progress = _no_progress,
) -> IngestResult:
    """Ingests one file, transcribing ``audio_track`` (0:a:N; default: the track marked
    default, else the first). Every failure comes back as a 'failed' result with a code and
    leaves nothing half-written; an unexpected one is logged with its traceback as
    ``processing.failed``, so one bad file never stops a batch."""
    title = Path(str(path)).stem
    try:
        progress("probe", 0.0)
        source = check_local_file(path, max_bytes=settings.max_file_bytes)
        info = probe(source, allowed=settings.allowed_containers)
        validate(info, source, max_duration_s=settings.max_duration_s)
        track = choose_audio_track(info, audio_track, source)
        progress("hash", 0.0)
        sha256 = sha256_file(source)
    except VidscopeError as exc:
        # Expected, user-caused: the result carries the error to the caller, so INFO.
        log.info("ingest.rejected", path=str(path), code=exc.code, reason=exc.message)
        return IngestResult("", title, "failed", error_code=exc.code, message=exc.message)

    existing = catalog.find_video_by_sha256(sha256)
    if existing is not None and existing.status == "ready" and not force:
        log.info("ingest.already_indexed", video_id=existing.id, path=str(path))
        return IngestResult(existing.id, existing.title, "already_indexed")

    video_id = video_id_for(sha256)
    media_path = settings.media_dir / f"{video_id}.{info.container}"
    video = Video(
        id=video_id,
        sha256=sha256,
        title=title,
        status="processing",
        duration=info.duration,
        container=info.container,
        media_path=str(media_path.relative_to(settings.home)),
        has_audio=info.has_audio,
        has_video=info.has_video,
        size_bytes=info.size_bytes,
        audio_track=track,
        audio_tracks=len(info.audio_tracks),
    )
    # A forced re-run keeps the current version 'ready' and searchable until the new one
    # commits; a failure or crash then leaves it exactly as it was.
    replacing = existing is not None and existing.status == "ready"
    started = time.perf_counter()
    progress("store", 0.0)
    if not media_path.exists():  # content-addressed: an existing file has these bytes
        store_media(source, media_path)
    job_id = catalog.begin_ingest(video, keep_ready=replacing)
    try:
        segments: list[Segment] = []
        language = None
        if track is not None:
            progress("decode", 0.0)
            channels = decode_speech(media_path, info, track, source)
            segments, language = transcribe_channels(
                channels, transcribe_options(settings), info.duration, progress
            )
        progress("embed", 0.0)
        chunks = build_chunks(segments, chunk_options(settings))
        # Sentences are embedded too, so a hit can point at the sentence that matches.
        vectors = embed_texts(
            [c.text for c in chunks] + [s.text for s in segments],
            model=settings.embed_model,
            batch_size=settings.embed_batch_size,
            threads=settings.threads,
            cache_dir=settings.model_cache,
        )
        chunk_vectors, segment_vectors = vectors[: len(chunks)], vectors[len(chunks) :]
        progress("index", 0.0)
        old_ids = catalog.chunk_ids(video_id)
        new_ids = catalog.replace_transcript(
            video_id=video_id,
            job_id=job_id,
            audio_track=track,
            language=language,
            segments=segments,
            chunks=chunks,
            chunk_vectors=chunk_vectors,
            segment_vectors=segment_vectors,
        )
    except Exception as exc:
        if isinstance(exc, VidscopeError):
            code, message = exc.code, exc.message
        else:
            log.error("ingest.unexpected_error", video_id=video_id, exc_info=True)
            code, message = "processing.failed", f"{type(exc).__name__}: {exc}"
        _abandon(video_id, media_path, catalog, indexes, job_id, code, message, purge=not replacing)
        return IngestResult(video_id, title, "failed", error_code=code, message=message)
    # The catalog commit above finished the job: the video is ready even if the process dies
    # now, and start-up repair rebuilds indexes that missed this update.
    try:
        indexes.replace(catalog, old_ids=old_ids, new_ids=new_ids, vectors=chunk_vectors)
    except Exception:
        log.error("index.update_failed", video_id=video_id, exc_info=True)
    progress("done", 1.0)
    log.info(
        "ingest.indexed",
        video_id=video_id,
        title=title,
        chunks=len(new_ids),
        duration_s=round(info.duration, 2),
        wall_s=round(time.perf_counter() - started, 2),
    )
    return IngestResult(video_id, title, "indexed", chunks=len(new_ids))


def decode_speech(
    media_path: Path, info: MediaInfo, track: int, source: Path
) -> list[SpeechChannel]:
    """The chosen track as one mono mix, or one channel per speaker for a two-channel call."""
    spec = info.audio_tracks[track]
    audio = decode_audio(
        media_path, container=info.container, track=track, channels=2 if spec.channels == 2 else 1
    )
    check_decoded_audio(spec, audio.shape[1] / SAMPLE_RATE, source)
    return speech_channels(audio)


def transcribe_channels(
    channels: list[SpeechChannel],
    options: TranscribeOptions,
    duration: float,
    progress: Progress = _no_progress,
) -> tuple[list[Segment], str | None]:
    """Transcribes each channel on its own and merges the sentences in time order, each
    labelled with its channel's speaker. Returns (segments, language of the first channel)."""
    segments: list[Segment] = []
    language = None
    for number, channel in enumerate(channels):
        progress("transcribe", number / len(channels))
        stream, detected = transcribe_audio(channel.samples, options)
        language = language or detected
        for segment in stream:
            segments.append(replace(segment, speaker=channel.speaker))
            done = (number + min(1.0, segment.end / max(duration, 1e-6))) / len(channels)
            progress("transcribe", done)
    segments.sort(key=lambda s: (s.start, s.end))
    return segments, language


def _abandon(
    video_id: str,
    media_path: Path,
    catalog: Catalog,
    indexes: SearchIndexes,
    job_id: str,
    code: str,
    message: str,
    *,
    purge: bool,
) -> None:
    """A failed ingest leaves only its job record: a new video's rows, vectors and stored
    media go; a video that was being re-processed keeps its previous version."""
    unexpected = code == "processing.failed"
    (log.error if unexpected else log.info)(
        "ingest.failed", video_id=video_id, code=code, reason=message
    )
    catalog.finish_job(job_id, error_code=code, error_message=message)
    if purge:
        purge_video(video_id, media_path, catalog, indexes)


def purge_video(video_id: str, media_path: Path, catalog: Catalog, indexes: SearchIndexes) -> None:
    old_ids = catalog.chunk_ids(video_id)
    catalog.begin_delete(video_id)
    indexes.replace(catalog, old_ids=old_ids, new_ids=[], vectors=None)
    catalog.finish_delete(video_id)
    media_path.unlink(missing_ok=True)
