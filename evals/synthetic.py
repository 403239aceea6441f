"""A synthetic library of any size for the search benchmarks: a real catalog and real indexes,
clustered unit vectors and Zipf pseudo-word text, with the queries the benchmarks ask of it.

The vectors are clustered as sentence embeddings are (``clustered_vectors``), not uniform on
the sphere: on uniform random vectors every neighbour is as far as any other and an
approximate index finds almost none of the exact ten, which says nothing of real libraries."""

from __future__ import annotations

import shutil
import statistics
import time
from collections.abc import Callable
from functools import lru_cache
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


DIM = 384  # all-MiniLM-L6-v2's
# The shape of the vectors, chosen to look like MiniLM's embeddings of 15,000 generated
# sentences (evals/fixtures.bench_sentences): variance falling off with the principal
# component (here 96 % in the first 100 of 384; MiniLM's 98 %), a direction all share (mean
# cosine of two random passages 0.17; MiniLM's 0.26), and passages gathered around subtopics
# within topics (nearest neighbour of a new one at cosine 0.92 in 10^5; MiniLM's 0.99 in
# 15,000 templated sentences). IVF needs more lists probed here than on those (recall@10 0.99
# at 10 % of the lists against 3 %): a harder test than the real sample.
_DECAY = 0.8  # standard deviation along the i-th principal axis ~ i^-0.8
_TOPICS, _SUBTOPICS = 1_000, 20  # topics, and subtopics in each
_SUBTOPIC_SPREAD, _PASSAGE_SPREAD, _SHARED = 0.5, 0.5, 0.5


def _unit(vectors: np.ndarray) -> np.ndarray:
    unit: np.ndarray = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    return unit


@lru_cache(maxsize=1)
def _space() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(shape, shared direction, subtopic centres): the same in every run and process."""
    rng = np.random.default_rng(2024)
    basis, _ = np.linalg.qr(rng.normal(size=(DIM, DIM)))
    scales = np.arange(1, DIM + 1) ** -_DECAY
    shape = (basis * (scales / np.linalg.norm(scales))[:, None]).astype(np.float32)
    shared = _unit(rng.normal(size=(1, DIM)))[0]
    topics = _unit(rng.normal(size=(_TOPICS, DIM)).astype(np.float32) @ shape)
    offsets = _unit(rng.normal(size=(_TOPICS * _SUBTOPICS, DIM)).astype(np.float32) @ shape)
    return shape, shared, _unit(np.repeat(topics, _SUBTOPICS, axis=0) + _SUBTOPIC_SPREAD * offsets)


def clustered_vectors(count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` unit vectors of the synthetic library's distribution (float32, DIM wide):
    each a random subtopic's centre, moved by noise shaped like the space, plus the shared
    direction. Queries drawn from it are as near their passages as the passages are."""
    shape, shared, subtopics = _space()
    chosen = subtopics[rng.integers(0, len(subtopics), count)]
    noise = _unit(rng.normal(size=(count, DIM)).astype(np.float32) @ shape)
    return _unit(chosen + _PASSAGE_SPREAD * noise + _SHARED * shared)


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
    pseudo-word text, clustered unit vectors); returns the chunks' vectors."""
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
    vectors = clustered_vectors(passages * 4, rng)
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
    """A real catalog and real indexes holding `size` chunks with clustered unit vectors and
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


def library_queries(library: Library, count: int = 10, words: int = 4) -> tuple[str, ...]:
    """``count`` queries of ``words`` words each, taken from passages of the local owner's
    library (the same ones for the same library): English QUERIES match no token of the
    synthetic pseudo-word text, so BM25 would score nothing; these match as a person's words
    match their own library (common and rare words alike, Zipf's)."""
    rows = library.catalog.con.execute(
        "SELECT text FROM chunks WHERE id % 100003 = 7 ORDER BY id LIMIT ?", [count]
    ).fetchall()
    return tuple(" ".join(str(text).split()[:words]) for (text,) in rows)


def latencies(
    call: Callable[[str], object], queries: tuple[str, ...], rounds: int = 20
) -> tuple[float, float]:
    """(p50, p99) in ms of ``call`` for each of ``queries``, ``rounds`` times each, one after
    another, after one warm-up round (the embedding model, the indexes' pages)."""
    for query in queries:
        call(query)
    timings = []
    for _ in range(rounds):
        for query in queries:
            started = time.perf_counter()
            call(query)
            timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), float(np.percentile(timings, 99))


def search_latencies(
    library: Library, rounds: int = 20, queries: tuple[str, ...] = QUERIES
) -> tuple[float, float]:
    """``latencies`` of ``library``'s local searches (k = 10)."""
    return latencies(lambda query: library.local.search(query, k=10), queries, rounds)
