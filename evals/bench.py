"""`make bench`: ingest throughput and WER against a plain faster-whisper script, search latency
at 10^3..10^5 chunks, clip speed and accuracy against moviepy, peak RSS, and the search endpoint
under load against in-process search (evals/load.py). Every comparison is made in the same
run. Results go to MLflow (the library's store, or VIDSCOPE_MLFLOW_URI) and
docs/benchmarks.md."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import av
import jiwer
import numpy as np

from evals.common import BIN, ROOT, WORK, log, machine
from evals.search_load import PASSAGES as LOAD_PASSAGES
from evals.search_load import bench_search_load, report_lines
from evals.synthetic import QUERIES, search_latencies, synthetic_library
from evals.talk_videos import DATA, TALKS, slide_video, talk_video
from pipelines.config import load_settings
from pipelines.editing.clips import ClipOptions, cut_clip
from pipelines.jobs.tracking import log_run
from pipelines.library import Library
from pipelines.media.ffmpeg import ffmpeg_executable

# Several espeak-ng voices and accents taking turns (evals/fixtures.py VOICES): ~10.7 min and
# ~2.1 min. The two-minute file is where model loading weighs most.
COMMAND = "make bench"
SEARCH_SIZES = (1_000, 10_000, 100_000)
OPTIONS = ClipOptions.from_settings(load_settings())  # the clip settings a user gets
CLIP_START, CLIP_LENGTH = 123.37, 60.0


def measured(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one child process."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        raise RuntimeError(f"{command} exited with status {status}")
    return wall, usage.ru_maxrss / 1024


def wer(reference: str, hypothesis: str) -> float:
    normalize = jiwer.Compose(
        [
            jiwer.ToLowerCase(),
            jiwer.RemovePunctuation(),
            jiwer.RemoveMultipleSpaces(),
            jiwer.Strip(),
            jiwer.ReduceToListOfListOfWords(),
        ]
    )
    return float(
        jiwer.wer(
            reference, hypothesis, reference_transform=normalize, hypothesis_transform=normalize
        )
    )


def bench_ingest(key: str) -> dict[str, float]:
    """`vidscope ingest` and the baseline script on one talk, each a fresh process (imports
    and model loading included), run back to back."""
    video = talk_video(key)
    manifest = json.loads((DATA / f"{TALKS[key]}.json").read_text())
    reference = " ".join(s["text"] for s in manifest["sentences"])
    audio_s = float(manifest["duration"])
    home = WORK / f"ingest-home-{key}"
    shutil.rmtree(home, ignore_errors=True)
    log(f"ingest {key}: vidscope ingest")
    ours_wall, ours_rss = measured(
        [str(BIN / "vidscope"), "ingest", str(video)], {"VIDSCOPE_HOME": str(home)}
    )
    with Library(load_settings(home=home)) as library:
        [item] = library.local.list_videos()
        ours_text = " ".join(s.text for s in library.catalog.segments(item.id))
    log(f"ingest {key}: baseline script")
    transcript = WORK / f"baseline-{key}.txt"
    base_wall, base_rss = measured(
        [sys.executable, "-m", "evals.baseline_ingest", str(video), str(transcript)]
    )
    ours_wer, base_wer = wer(reference, ours_text), wer(reference, transcript.read_text())
    results = {
        "audio_s": audio_s,
        "ingest_wall_s": ours_wall,
        "baseline_wall_s": base_wall,
        "ingest_x_realtime": audio_s / ours_wall,
        "baseline_x_realtime": audio_s / base_wall,
        "ingest_speedup": base_wall / ours_wall,
        "ingest_wer": ours_wer * 100,
        "baseline_wer": base_wer * 100,
        "wer_delta_points": (ours_wer - base_wer) * 100,
        "ingest_peak_rss_mb": ours_rss,
        "baseline_peak_rss_mb": base_rss,
    }
    return {f"{name}_{key}": value for name, value in results.items()}


# Paraphrases of single sentences of talk-10min-voices (sentence index) and queries about
# nothing in it: the relevance floor must keep the first and answer "no results" to the second.
PARAPHRASES = (
    ("the lawyers showed the pricing test, helped by the designers", 5),
    ("our biggest client delayed the yearly budget forecast after arguing for a long time", 10),
    ("warehouse staff raised questions about the new search function at the daily standup", 25),
    ("engineers made the quarterly roadmap simpler because the due date changed", 35),
    ("the designers celebrated the database move going smoothly", 50),
    ("lawyers simplified last week's incident report", 70),
    ("legal signed off on the spring marketing campaign with no big issues", 85),
    ("data scientists wrote documentation for the accessibility review", 100),
)
NONSENSE = (
    "a " * 500,
    "zxqv blorf",
    "recipe for chocolate cake",
    "football world cup final score",
    "medieval castle architecture",
    "how to knit a sweater",
    "lorem ipsum dolor sit amet",
    "purple elephant dancing in the rain",
)


def bench_relevance(key: str) -> dict[str, float]:
    """With the relevance floor and without it (0): how many paraphrases get hits with their
    sentence among the top 5, and how many nonsense queries get no results."""
    sentences = json.loads((DATA / f"{TALKS[key]}.json").read_text())["sentences"]
    results: dict[str, float] = {}
    for label, floor in (("floor", None), ("no_floor", 0.0)):
        overrides = {} if floor is None else {"search_min_similarity": floor}
        home = WORK / f"ingest-home-{key}"
        with Library(load_settings(home=home, **overrides)) as library:
            found = 0
            for query, index in PARAPHRASES:
                truth = sentences[index]
                hits = library.local.search(query, k=5)
                found += any(h.start < truth["end"] and h.end > truth["start"] for h in hits)
            empty = sum(1 for query in NONSENSE if not library.local.search(query, k=10))
        results[f"paraphrase_top5_{label}_{key}"] = found / len(PARAPHRASES)
        results[f"nonsense_no_results_{label}_{key}"] = empty / len(NONSENSE)
    return results


def bench_search(rng: np.random.Generator) -> dict[str, float]:
    results: dict[str, float] = {}
    for size in SEARCH_SIZES:
        log(f"search: building a {size}-chunk library")
        home = synthetic_library(size, rng)
        started = time.perf_counter()
        with Library(load_settings(home=home)) as library:  # start-up builds the indexes
            results[f"index_build_s_{size}"] = time.perf_counter() - started
            p50, p99 = search_latencies(library)
        results[f"search_p50_ms_{size}"], results[f"search_p99_ms_{size}"] = p50, p99
        shutil.rmtree(home, ignore_errors=True)
    return results


def first_frame_offset(source: Path, clip: Path, start: float) -> float:
    """Seconds between `start` and the source frame that the clip's first frame shows."""
    with av.open(str(clip)) as media:
        first = next(media.decode(video=0)).to_ndarray(format="gray").astype(np.int16)
    best_time, best_diff = 0.0, float("inf")
    with av.open(str(source)) as media:
        stream = media.streams.video[0]
        media.seek(int((start - 12) / stream.time_base), stream=stream)
        for frame in media.decode(stream):
            t = float(frame.pts * frame.time_base)
            if t > start + 1:
                break
            if t >= start - 11:
                diff = float(
                    np.abs(frame.to_ndarray(format="gray").astype(np.int16) - first).mean()
                )
                if diff < best_diff:
                    best_time, best_diff = t, diff
    return best_time - start


def clip_duration(clip: Path) -> float:
    """Length as shown: decoded frames (honours edit lists, unlike the header's count)."""
    with av.open(str(clip)) as media:
        return sum(1 for _ in media.decode(video=0)) / 25.0


def bench_clips(video: Path, key: str, *, variants: bool) -> dict[str, float]:
    """A 60 s clip of ``video`` by vidscope and by moviepy (and, with ``variants``, by a full
    re-encode and a plain stream copy), timed in this process, then checked frame by frame."""
    from moviepy import VideoFileClip

    start, end = CLIP_START, CLIP_START + CLIP_LENGTH
    out = WORK / f"clips-{key}"
    out.mkdir(exist_ok=True)
    results: dict[str, float] = {}
    names = ["ours", "moviepy"]

    log(f"clip {key}: vidscope smart cut (re-encode partial GOPs, copy the rest)")
    t0 = time.perf_counter()
    cut_clip(video, out / "ours.mp4", start=start, end=end, has_video=True, options=OPTIONS)
    results["clip_ours_s"] = time.perf_counter() - t0

    if variants:
        names += ["full", "copy"]
        log(f"clip {key}: seek + re-encode the whole clip")
        t0 = time.perf_counter()
        cut_clip(
            video,
            out / "full.mp4",
            start=start,
            end=end,
            has_video=True,
            options=replace(OPTIONS, smart=False),
        )
        results["clip_full_s"] = time.perf_counter() - t0

        log(f"clip {key}: ffmpeg stream copy (keyframe-bound)")
        t0 = time.perf_counter()
        subprocess.run(
            [
                ffmpeg_executable(),
                "-y",
                "-loglevel",
                "error",
                "-ss",
                str(start),
                "-i",
                str(video),
                "-t",
                str(CLIP_LENGTH),
                "-c",
                "copy",
                str(out / "copy.mp4"),
            ],
            check=True,
        )
        results["clip_copy_s"] = time.perf_counter() - t0

    log(f"clip {key}: moviepy subclipped + write_videofile")
    t0 = time.perf_counter()
    with VideoFileClip(str(video)) as source:
        source.subclipped(start, end).write_videofile(str(out / "moviepy.mp4"), logger=None)
    results["clip_moviepy_s"] = time.perf_counter() - t0

    for name in names:
        results[f"clip_{name}_first_frame_offset_s"] = first_frame_offset(
            video, out / f"{name}.mp4", start
        )
        results[f"clip_{name}_duration_error_s"] = clip_duration(out / f"{name}.mp4") - CLIP_LENGTH
        results[f"clip_{name}_av_offset_s"] = av_offset(out / f"{name}.mp4")
    results["clip_speedup_vs_moviepy"] = results["clip_moviepy_s"] / results["clip_ours_s"]
    return {f"{name}_{key}": value for name, value in results.items()}


def av_offset(clip: Path) -> float:
    """Audio start minus video start, in seconds (0 is in sync)."""
    with av.open(str(clip)) as media:
        video, audio = media.streams.video[0], media.streams.audio[0]
        return float(audio.start_time * audio.time_base) - float(  # type: ignore[operator]
            video.start_time * video.time_base  # type: ignore[operator]
        )


def write_report(results: dict[str, float]) -> None:
    r = results
    ingest_rows = []
    for key, stem in TALKS.items():
        ingest_rows += [
            (
                f"Ingest throughput, {r[f'audio_s_{key}'] / 60:.1f} min talk (audio s / wall s)",
                f"{r[f'ingest_x_realtime_{key}']:.1f}× ({r[f'ingest_wall_s_{key}']:.1f} s)",
                f"{r[f'baseline_x_realtime_{key}']:.1f}× ({r[f'baseline_wall_s_{key}']:.1f} s)",
                f"**{r[f'ingest_speedup_{key}']:.2f}× faster** (target ≥ 1.5×)",
            ),
            (
                f"WER, {stem}",
                f"{r[f'ingest_wer_{key}']:.2f} %",
                f"{r[f'baseline_wer_{key}']:.2f} %",
                f"{r[f'wer_delta_points_{key}']:+.2f} points (target ≤ +1)",
            ),
            (
                f"Ingest peak RSS, {key}",
                f"{r[f'ingest_peak_rss_mb_{key}']:.0f} MB",
                f"{r[f'baseline_peak_rss_mb_{key}']:.0f} MB",
                "",
            ),
        ]
    clip_rows = []
    for key, label, target in (
        ("motion", "high-motion talk (testsrc2, keyframe every 10 s)", "≥ 10×"),
        ("slides", "slide talk (still slides + webcam inset, keyframe every 2 s)", "≥ 6×"),
    ):
        clip_rows += [
            (
                f"60 s clip, {label}",
                f"{r[f'clip_ours_s_{key}']:.2f} s",
                f"moviepy {r[f'clip_moviepy_s_{key}']:.2f} s",
                f"**{r[f'clip_speedup_vs_moviepy_{key}']:.1f}× faster** (target {target})",
            ),
            (
                f"60 s clip, {key}: first frame vs asked start / length error / audio−video start",
                f"{r[f'clip_ours_first_frame_offset_s_{key}']:+.3f} s / "
                f"{r[f'clip_ours_duration_error_s_{key}']:+.3f} s / "
                f"{r[f'clip_ours_av_offset_s_{key}']:+.3f} s",
                f"{r[f'clip_moviepy_first_frame_offset_s_{key}']:+.3f} s / "
                f"{r[f'clip_moviepy_duration_error_s_{key}']:+.3f} s / "
                f"{r[f'clip_moviepy_av_offset_s_{key}']:+.3f} s",
                "one frame = 0.040 s",
            ),
        ]
    clip_rows.append(
        (
            "Other ways to cut the high-motion clip",
            f"full re-encode: {r['clip_full_s_motion']:.2f} s",
            f"stream copy: {r['clip_copy_s_motion']:.2f} s",
            f"copy shows {r['clip_copy_first_frame_offset_s_motion']:+.3f} s / "
            f"{r['clip_copy_duration_error_s_motion']:+.3f} s only through an MP4 edit list: "
            "the file starts at the previous keyframe, and players that ignore edit lists show it",
        )
    )
    lines = [
        f"\n## {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC — `{COMMAND}`\n",
        f"Machine: {machine()}. Talks: espeak-ng speech by eight voices taking turns (en-us, "
        "en-gb, en-gb-x-rp, Scottish, Caribbean, New York and West Midlands accents, female "
        "and male variants, 140–175 words a minute; `evals/data/talk-10min-voices.ogg` and "
        "`talk-2min-voices.ogg`), each muxed with a 1280×720 25 fps H.264 test pattern. "
        "Baseline: `python -m evals.baseline_ingest` (faster-whisper defaults: beam 5, no VAD; "
        "same tiny.en int8 model, same MiniLM embedding). Both run as fresh processes, "
        "imports and model loading included, one after the other.\n",
        "| measure | vidscope | baseline | ratio |",
        "| --- | --- | --- | --- |",
        *(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in ingest_rows + clip_rows),
        "\nRelevance floor (`VIDSCOPE_SEARCH_MIN_SIMILARITY`) on the 10-minute talk, "
        f"{len(PARAPHRASES)} paraphrased questions and {len(NONSENSE)} unrelated or nonsense "
        "queries (`evals/bench.py`): paraphrases with their sentence in the top 5 hits: "
        f"{r['paraphrase_top5_floor_10min'] * 100:.0f} % with the floor, "
        f"{r['paraphrase_top5_no_floor_10min'] * 100:.0f} % without; nonsense answered "
        f'"no results": {r["nonsense_no_results_floor_10min"] * 100:.0f} % with the floor, '
        f"{r['nonsense_no_results_no_floor_10min'] * 100:.0f} % without.\n",
        "\nSearch latency per query (query embedding + FAISS + BM25 + fusion + catalog reads), "
        "k = 10, 200 queries after warm-up, clustered synthetic vectors (evals/synthetic.py) and "
        "Zipf pseudo-word text:\n",
        "| chunks | p50 | p99 | index build at start-up |",
        "| --- | --- | --- | --- |",
        *(
            f"| {size:,} | {r[f'search_p50_ms_{size}']:.1f} ms "
            f"| {r[f'search_p99_ms_{size}']:.1f} ms | {r[f'index_build_s_{size}']:.1f} s |"
            for size in SEARCH_SIZES
        ),
        *report_lines(r),
        "",
    ]
    report = ROOT / "docs" / "benchmarks.md"
    if not report.exists():
        report.write_text(
            "# Benchmarks\n\nEach section is one run of `make bench`, appended by "
            "`evals/bench.py`; all comparisons in a section come from that run.\n"
        )
    with report.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines))


def log_to_mlflow(results: dict[str, float]) -> None:
    log_run(
        "bench",
        uri=load_settings().tracking_uri,
        name=f"bench {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M}",
        params={
            "command": COMMAND,
            "machine": machine(),
            "talks": ",".join(TALKS.values()),
            "clip_start": CLIP_START,
        },
        metrics=results,
    )


def main() -> None:
    WORK.mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    results: dict[str, float] = {}
    for key in TALKS:
        results |= bench_ingest(key)
    results |= bench_relevance("10min")
    results |= bench_clips(talk_video("10min"), "motion", variants=True)
    results |= bench_clips(slide_video(), "slides", variants=False)
    results |= bench_search(rng)
    log("load: building the 10^4-passage library")
    results |= bench_search_load(synthetic_library(LOAD_PASSAGES, rng), QUERIES, log)
    (WORK / "results.json").write_text(json.dumps(results, indent=2))
    write_report(results)
    log_to_mlflow(results)
    for key, value in results.items():
        log(f"{key} = {value:.3f}")


if __name__ == "__main__":
    main()
