"""What the extractive summary costs as a transcript grows (``python -m evals.summary_cost``,
part of ``make bench``): ``understanding.chapters.summarize`` (sentences, chapters, titles,
key points, summary) on transcripts of 100, 1,000 and 10,000 sentences and on a 4-hour one,
with the growth exponent fitted to the seconds (1 is linear; the quadratic-per-pick code it
replaced measured 1.06 s at 100 sentences and 30.8 s at 400, an exponent near 3).

The transcripts are realistic in what the cost depends on: the committed eval talks'
sentences (evals/data/*.json) embedded once with the library's MiniLM, laid out in topics
of 8 to 40 sentences drawn from one talk each, every vector moved by noise (a norm of about
0.3) and normalised again, one sentence every 4.5 s. Embedding is done before any clock
starts: at ingest the vectors are already stored."""

from __future__ import annotations

import datetime as dt
import json
import time

import numpy as np

from evals.common import ROOT, log, machine
from pipelines.config import load_settings
from pipelines.jobs.tracking import log_run
from pipelines.records import Segment
from pipelines.retrieval.embed import embed_texts
from pipelines.understanding.chapters import summarize

COMMAND = "python -m evals.summary_cost"
SIZES = (100, 1_000, 10_000)
FOUR_HOURS_S = 4 * 3600.0
SENTENCE_S = 4.5
TALKS = ("talk-10min-voices", "talk-2min-voices", "talk-topics-a", "talk-topics-b")


def fixture_sentences() -> list[list[str]]:
    return [
        [
            s["text"]
            for s in json.loads((ROOT / "evals" / "data" / f"{t}.json").read_text())["sentences"]
        ]
        for t in TALKS
    ]


def transcript(
    count: int, talks: list[list[str]], vectors: list[np.ndarray], seed: int = 0
) -> tuple[list[Segment], np.ndarray]:
    """``count`` sentences in topics of 8-40, each topic from one talk, vectors with noise."""
    rng = np.random.default_rng(seed)
    texts: list[str] = []
    rows: list[np.ndarray] = []
    while len(texts) < count:
        talk = int(rng.integers(len(talks)))
        size = int(rng.integers(8, 41))
        first = int(rng.integers(max(1, len(talks[talk]) - size)))
        for i in range(first, min(len(talks[talk]), first + size)):
            texts.append(talks[talk][i])
            rows.append(vectors[talk][i])
    noisy = np.asarray(rows[:count]) + rng.normal(scale=0.3 / np.sqrt(384), size=(count, 384))
    noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
    segments = [
        Segment(i * SENTENCE_S, i * SENTENCE_S + SENTENCE_S - 0.5, text)
        for i, text in enumerate(texts[:count])
    ]
    return segments, noisy.astype(np.float32)


def timed(segments: list[Segment], vectors: np.ndarray) -> tuple[float, int]:
    """Best of three runs (seconds) and how many chapters came out."""
    duration = segments[-1].end + 0.5
    best = np.inf
    chapters = 0
    for _ in range(3 if len(segments) <= 1_000 else 2):
        started = time.perf_counter()
        made = summarize(segments, vectors, duration)
        best = min(best, time.perf_counter() - started)
        chapters = len(made.chapters)
    return float(best), chapters


def growth_exponent(sizes: list[int], seconds: list[float]) -> float:
    """The slope of log(seconds) on log(sentences): 1 is linear, 2 quadratic."""
    slope, _ = np.polyfit(np.log(sizes), np.log(seconds), 1)
    return float(slope)


def main() -> None:
    settings = load_settings()
    talks = fixture_sentences()
    log(f"embedding {sum(map(len, talks))} fixture sentences with {settings.embedding.model}")
    vectors = [
        embed_texts(
            t,
            model=settings.embedding.model,
            threads=settings.threads,
            cache_dir=settings.model_cache,
        )
        for t in talks
    ]
    four_hours = int(FOUR_HOURS_S / SENTENCE_S)
    rows: dict[int, tuple[float, int]] = {}
    for count in (*SIZES, four_hours):
        segments, unit = transcript(count, talks, vectors)
        rows[count] = timed(segments, unit)
        log(f"{count} sentences: {rows[count][0]:.3f} s, {rows[count][1]} chapters")
    exponent = growth_exponent(list(SIZES), [rows[n][0] for n in SIZES])
    lines = [
        f"\n## {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC — `{COMMAND}` (in `make bench`)\n",
        f"Machine: {machine()}. `summarize` alone (whole sentences, chapters, titles, key points, "
        "summary) on stored sentence vectors: MiniLM embeddings of the eval talks' sentences in "
        f"topics of 8–40, with noise; one sentence every {SENTENCE_S} s; best of 2–3 runs.\n",
        "| sentences | transcript | summary | chapters |",
        "| --- | --- | --- | --- |",
        *(
            f"| {n:,} | {n * SENTENCE_S / 3600:.1f} h | **{rows[n][0]:.3f} s** | {rows[n][1]} |"
            for n in sorted(rows)
        ),
        "",
        f"Growth exponent fitted over {', '.join(f'{n:,}' for n in SIZES)} sentences: "
        f"**{exponent:.2f}** (1 is linear). A 4-hour transcript ({four_hours:,} sentences): "
        f"{rows[four_hours][0]:.2f} s (the target is 5 s or less).",
        "",
    ]
    with (ROOT / "docs" / "benchmarks.md").open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines))
    log_run(
        "bench",
        uri=settings.tracking_uri,
        name=f"summary cost {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M}",
        params={"command": COMMAND, "machine": machine()},
        metrics={
            **{f"summary_s_{n}": rows[n][0] for n in rows},
            "growth_exponent": exponent,
            "four_hour_summary_s": rows[four_hours][0],
        },
    )
    log(f"growth exponent {exponent:.2f}; 4-hour transcript {rows[four_hours][0]:.2f} s")


if __name__ == "__main__":
    main()
