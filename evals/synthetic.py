"""A synthetic library of any size for the search benchmarks: a real catalog and real indexes,
random unit vectors and Zipf pseudo-word text, with the queries the benchmarks ask of it."""

from __future__ import annotations

import shutil
import statistics
import time
from pathlib import Path

import numpy as np

from evals.common import WORK
from pipelines.library import Library
from pipelines.records import Chunk, Segment, Video
from pipelines.storage.catalog import LOCAL_OWNER, Catalog

QUERIES = (
    "how did the finance department handle the annual budget forecast",
    "who approved the pricing experiment",
    "problems with the database migration",
    "what happened in the accessibility review",
    "security audit of the new search feature",
    "customer survey results",
    "changes to the travel policy",
    "onboarding checklist for hires",
    "why was the marketing campaign postponed",
    "incident report from last week",
)


def vocabulary_of(rng: np.random.Generator) -> np.ndarray:
    """20,000 pseudo-words of 3 to 9 letters."""
    return np.array(
        [
            "".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz"), size=int(rng.integers(3, 10))))
            for _ in range(20_000)
        ]
    )


def store_video(
    catalog: Catalog, number: int, passages: int, rng: np.random.Generator, vocabulary: np.ndarray
) -> np.ndarray:
    """Stores synthetic video ``number`` with ``passages`` chunks (3 sentences each, Zipf
    pseudo-word text, random unit vectors); returns the chunks' vectors."""
    video_id = f"{number:016x}"
    catalog.upsert_processing_video(
        Video(
            id=video_id,
            sha256=f"{number:064x}",
            title=f"synthetic {number}",
            status="processing",
            duration=passages * 30.0,
            container="mp4",
            media_path=f"media/{video_id}.mp4",
            has_audio=True,
            has_video=True,
            size_bytes=1,
            owner_id=LOCAL_OWNER,
        )
    )
    ranks = np.minimum(rng.zipf(1.2, size=(passages * 3, 12)) - 1, len(vocabulary) - 1)
    segments = [
        Segment(i * 10.0, i * 10.0 + 9.0, " ".join(vocabulary[r])) for i, r in enumerate(ranks)
    ]
    chunks = [
        Chunk(
            i * 30.0,
            i * 30.0 + 29.0,
            " ".join(s.text for s in segments[3 * i : 3 * i + 3]),
            3 * i,
            3 * i + 2,
        )
        for i in range(passages)
    ]
    vectors = rng.normal(size=(passages * 4, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    catalog.replace_transcript(
        video_id=video_id,
        language="en",
        segments=segments,
        chunks=chunks,
        chunk_vectors=vectors[:passages],
        segment_vectors=vectors[passages:],
    )
    return vectors[:passages]


def synthetic_library(size: int, rng: np.random.Generator) -> Path:
    """A real catalog and real indexes holding `size` chunks with random unit vectors and
    Zipf-distributed pseudo-word text (3 sentences each), in 100 videos."""
    home = WORK / f"search-{size}"
    shutil.rmtree(home, ignore_errors=True)
    vocabulary = vocabulary_of(rng)
    catalog = Catalog(home / "catalog.duckdb")
    per_video = size // 100
    for v in range(100):
        store_video(catalog, v, per_video, rng, vocabulary)
    catalog.close()
    return home


def search_latencies(library: Library, rounds: int = 20) -> tuple[float, float]:
    """(p50, p99) in ms of ``library``'s local searches for QUERIES (k = 10), ``rounds``
    times each, after one warm-up round (the embedding model, the indexes' pages)."""
    for query in QUERIES:
        library.local.search(query, k=10)
    timings = []
    for _ in range(rounds):
        for query in QUERIES:
            started = time.perf_counter()
            library.local.search(query, k=10)
            timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), float(np.percentile(timings, 99))
