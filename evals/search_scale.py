"""`python -m evals.search_scale` (in `make bench`): one owner's library of 10^6 passages
(issue 27): opening it, `vidscope reindex`'s rebuild, in-process search latency, the
process's memory, and what a 20-video batch costs to merge into it — with the delta layer
(pipelines/retrieval/layered.py) against the whole rebuild every merge made before, in the
same run, as a ratio.

The library is the search benchmark's synthetic one (evals/synthetic.py: 100 videos, clustered
unit vectors, Zipf pseudo-word text), built once into bench-work/search-1m (it takes a while:
four million vectors go into DuckDB) and reused. The batch: 20 more synthetic videos of 50
passages each, stored in the catalog first (as a merge does, not timed here), then taken into
the indexes (timed). The base's vector index against an exact one of the same vectors:
recall@10 and latency of 200 held-out queries of the same distribution.

`--indexes-only`: the two indexes alone, without a catalog, at each ``--sizes``: the vector
index a base gets (exact below ``EXACT_BELOW``, else IVF) against the exact one (build time,
nprobe, recall@10, p50/p99 of single queries, memory-mapped from its file as a server loads
it), and the BM25 build against bm25s's own (``bm25s.tokenize`` then ``BM25.index``)."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from evals.common import ROOT, WORK, log, machine
from evals.search_load import CLIENTS, bench_served_search
from evals.synthetic import (
    clustered_vectors,
    library_queries,
    search_latencies,
    store_video,
    synthetic_library,
    vocabulary_of,
)
from evals.understanding import peak_rss_mb
from pipelines.config import load_settings
from pipelines.jobs.tracking import log_run
from pipelines.library import Library
from pipelines.retrieval.indexes import SearchIndexes
from pipelines.retrieval.vectors import VectorIndex
from pipelines.storage.catalog import LOCAL_OWNER

COMMAND = "python -m evals.search_scale"
BATCH_VIDEOS = 20
BATCH_PASSAGES = 50


def rss_gb() -> float:
    """This process's resident memory now, in GB (its peak: evals.understanding.peak_rss_mb)."""
    return os.sysconf("SC_PAGE_SIZE") * int(Path("/proc/self/statm").read_text().split()[1]) / 1e9


def vector_figures(
    index: VectorIndex, ids: np.ndarray, vectors: np.ndarray, prefix: str
) -> dict[str, float]:
    """``index`` (holding ``vectors`` under ``ids``) against an exact index of the same
    vectors, on 200 single queries of the same distribution, held out: recall@10 against the
    exact answer (float32), p50/p99 ms of each, and the exact p50 over ``index``'s."""
    import faiss

    asked = clustered_vectors(200, np.random.default_rng(99))
    _, truth = faiss.knn(
        asked, np.ascontiguousarray(vectors), 10, metric=faiss.METRIC_INNER_PRODUCT
    )
    exact = VectorIndex()
    exact.add(ids, vectors)
    results: dict[str, float] = {}
    for name, searched in (("exact", exact), ("base", index)):
        timings, recalls = [], []
        for vector, right in zip(asked, ids[truth], strict=True):
            started = time.perf_counter()
            found = searched.search(vector, 10)
            timings.append((time.perf_counter() - started) * 1000)
            recalls.append(len({i for i, _ in found} & set(right.tolist())) / 10)
        results[f"{prefix}{name}_recall_at_10"] = float(np.mean(recalls))
        results[f"{prefix}{name}_p50_ms"] = statistics.median(timings)
        results[f"{prefix}{name}_p99_ms"] = float(np.percentile(timings, 99))
    results[f"{prefix}nprobe"] = float(index.nprobe or 0)
    results[f"{prefix}exact_over_base_p50"] = (
        results[f"{prefix}exact_p50_ms"] / results[f"{prefix}base_p50_ms"]
    )
    return results


def synthetic_texts(count: int, rng: np.random.Generator) -> list[str]:
    """``count`` passages of the synthetic library's text (36 Zipf pseudo-words each)."""
    vocabulary = vocabulary_of(rng)
    texts: list[str] = []
    for start in range(0, count, 100_000):
        ranks = np.minimum(rng.zipf(1.2, size=(min(100_000, count - start), 36)) - 1, 19_999)
        texts.extend(" ".join(words) for words in vocabulary[ranks])
    return texts


def measure_indexes(sizes: list[int]) -> dict[str, float]:
    """The vector and BM25 indexes alone (no catalog) at each size (see the module's doc)."""
    import bm25s
    import Stemmer

    from pipelines.retrieval.lexical import LexicalIndex

    results: dict[str, float] = {}
    for size in sizes:
        log(f"indexes alone: {size:,} vectors")
        ids = np.arange(size, dtype=np.int64) * 2 + 1
        vectors = clustered_vectors(size, np.random.default_rng(size))
        started = time.perf_counter()
        built = VectorIndex.built(ids, vectors)
        results[f"vectors_build_s_{size}"] = time.perf_counter() - started
        with tempfile.TemporaryDirectory() as folder:
            built.save(Path(folder) / "vectors.faiss")
            mapped = VectorIndex.load(Path(folder) / "vectors.faiss", mmap=True)
            results |= vector_figures(mapped, ids, vectors, f"vectors_{size}_")
        del built, mapped, vectors
    size = max(sizes)
    log(f"indexes alone: BM25 of {size:,} passages, bm25s's build then ours")
    texts = synthetic_texts(size, np.random.default_rng(5))
    started = time.perf_counter()
    tokens = bm25s.tokenize(
        texts, stopwords="en", stemmer=Stemmer.Stemmer("english"), show_progress=False
    )
    bm25s.BM25().index(tokens, show_progress=False)
    results[f"bm25_bm25s_build_s_{size}"] = time.perf_counter() - started
    del tokens
    started = time.perf_counter()
    LexicalIndex.build(np.arange(size), texts)
    results[f"bm25_build_s_{size}"] = time.perf_counter() - started
    results[f"bm25_build_ratio_{size}"] = (
        results[f"bm25_bm25s_build_s_{size}"] / results[f"bm25_build_s_{size}"]
    )
    return results


def library_home(passages: int) -> Path:
    """The benchmark library, built once (its catalog kept; its index files rebuilt here)."""
    home = WORK / ("search-1m" if passages == 1_000_000 else f"search-scale-{passages}")
    if not (home / "catalog.duckdb").exists():
        log(f"building a {passages:,}-passage library into {home} (once)")
        built = synthetic_library(passages, np.random.default_rng(7))
        shutil.move(str(built), str(home))
    return home


def merge_batch(library: Library, indexes: SearchIndexes, first: int, seed: int) -> float:
    """Stores 20 synthetic videos (numbers from ``first``) and times taking them into
    ``indexes``, as the batch merge does after its transactions: one index update."""
    rng = np.random.default_rng(seed)
    vocabulary = vocabulary_of(rng)
    owner = library.catalog.for_owner(LOCAL_OWNER)
    new: list[int] = []
    vectors: list[np.ndarray] = []
    for number in range(first, first + BATCH_VIDEOS):
        vectors.append(store_video(library.catalog, number, BATCH_PASSAGES, rng, vocabulary))
        new.extend(int(i) for i in owner.chunk_ids(f"{number:016x}"))
    started = time.perf_counter()
    indexes.replace(owner, old_ids=[], new_ids=new, vectors=np.vstack(vectors))
    return time.perf_counter() - started


def measure(passages: int) -> dict[str, float]:
    home = library_home(passages)
    shutil.rmtree(home / "index", ignore_errors=True)  # the rebuild at opening is timed
    results: dict[str, float] = {}
    started = time.perf_counter()
    library = Library(load_settings(home=home))
    results["open_with_build_s"] = time.perf_counter() - started
    with library:
        owner = library.catalog.for_owner(LOCAL_OWNER)
        started = time.perf_counter()
        library.indexes.rebuild(owner)
        results["reindex_s"] = time.perf_counter() - started
        started = time.perf_counter()
        fresh = SearchIndexes(library.settings.layout.index_dir)
        fresh.snapshot(LOCAL_OWNER)
        results["load_indexes_s"] = time.perf_counter() - started
        queries = library_queries(library)
        results["search_p50_ms"], results["search_p99_ms"] = search_latencies(
            library, queries=queries
        )
        results["rss_steady_gb"] = rss_gb()
        ids, _, vectors = owner.all_chunks()
        base = library.indexes.snapshot(LOCAL_OWNER).vectors.base
        results |= vector_figures(base, ids, vectors, "vectors_")
        del vectors
        # A 20-video batch into the library: the delta (now) against a whole rebuild (before
        # this layering), one after the other on the same library and catalog.
        log("merging a 20-video batch: delta layer")
        results["merge_layered_s"] = merge_batch(library, library.indexes, 10_000, 1)
        library.indexes.wait(None)
        log("merging a 20-video batch: whole rebuild")
        whole = SearchIndexes(library.settings.layout.index_dir, layered_from=10**12)
        results["merge_whole_s"] = merge_batch(library, whole, 20_000, 2)
        results["merge_ratio"] = results["merge_whole_s"] / results["merge_layered_s"]
        results["rss_peak_gb"] = peak_rss_mb() * 1024 / 1e6
    # A server on the same library (its own process, the index files just written, memory-
    # mapped): as a person's searches reach it, and its memory after them.
    return results | bench_served_search(home, queries, log)


def report(results: dict[str, float], passages: int) -> str:
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    rows = [
        ("open, indexes built from the catalog", f"{results['open_with_build_s']:.1f} s"),
        ("`vidscope reindex` (rebuild, whole)", f"{results['reindex_s']:.1f} s"),
        ("indexes loaded from their files", f"{results['load_indexes_s']:.1f} s"),
        (
            "search p50 / p99, in process, k = 10",
            (f"{results['search_p50_ms']:.1f} ms / {results['search_p99_ms']:.1f} ms"),
        ),
        (
            "RSS after the searches / peak",
            (f"{results['rss_steady_gb']:.2f} GB / {results['rss_peak_gb']:.2f} GB"),
        ),
        (
            "merge a 20-video batch (1,000 passages): delta layer",
            (f"{results['merge_layered_s']:.2f} s"),
        ),
        ("the same, whole rebuild (before)", f"{results['merge_whole_s']:.1f} s"),
        ("whole / delta", f"{results['merge_ratio']:.1f}x"),
        *vector_rows(results, "vectors_"),
        *served_rows(results),
    ]
    table = "\n".join(f"| {name} | {value} |" for name, value in rows)
    return (
        f"\n## {when} — `{COMMAND} --passages {passages}` (in `make bench`)\n\n"
        f"Machine: {machine()}. One owner's synthetic library of {passages:,} passages "
        "(evals/synthetic.py). The merge's catalog writes are not in its time. Queries: ten of "
        "four words each from the library's own passages (evals/synthetic.library_queries), "
        "so BM25 scores what a person's words would; the synthetic vectors are not MiniLM's, "
        "so the hits still fall under the relevance floor after every stage before it ran.\n\n"
        f"| measure | value |\n| --- | --- |\n{table}\n"
    )


def served_rows(results: dict[str, float]) -> list[tuple[str, str]]:
    """Table rows of ``bench_served_search``."""
    r = {name[len("served_") :]: value for name, value in results.items() if "served_" in name}
    return [
        (
            "`GET /api/v1/search` of a server, one client: p50 / p99",
            f"{r['one_p50_ms']:.1f} ms / {r['one_p99_ms']:.1f} ms",
        ),
        (
            f"the same, {CLIENTS} clients at once ({r['load_requests']:.0f} requests, "
            f"{r['load_errors']:.0f} failed): p50 / p99",
            f"{r['load_p50_ms']:.1f} ms / {r['load_p99_ms']:.1f} ms",
        ),
        (
            "the server's resident memory after them: all (anonymous + mapped files) / peak",
            f"{r['rss_mb'] / 1000:.2f} GB ({r['rss_anon_mb'] / 1000:.2f} + "
            f"{r['rss_file_mb'] / 1000:.2f}) / {r['rss_peak_mb'] / 1000:.2f} GB",
        ),
    ]


def vector_rows(results: dict[str, float], prefix: str) -> list[tuple[str, str]]:
    """Table rows of ``vector_figures``."""
    r = {name[len(prefix) :]: value for name, value in results.items() if name.startswith(prefix)}
    kind = f"IVF, nprobe {r['nprobe']:.0f}" if r["nprobe"] else "exact"
    return [
        (
            f"base vector index ({kind}): recall@10 against exact, p50 / p99",
            f"{r['base_recall_at_10']:.3f}, {r['base_p50_ms']:.2f} ms / {r['base_p99_ms']:.2f} ms",
        ),
        (
            "the same vectors, exact (flat float16): recall@10, p50 / p99",
            f"{r['exact_recall_at_10']:.3f}, {r['exact_p50_ms']:.2f} ms / "
            f"{r['exact_p99_ms']:.2f} ms",
        ),
        ("exact p50 / base p50", f"{r['exact_over_base_p50']:.1f}x"),
    ]


def report_indexes(results: dict[str, float], sizes: list[int], command: str) -> str:
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    rows: list[tuple[str, str]] = []
    for size in sizes:
        rows.append(
            (
                f"**{size:,} vectors**: built (train, add, tune)",
                f"{results[f'vectors_build_s_{size}']:.1f} s",
            )
        )
        rows.extend(vector_rows(results, f"vectors_{size}_"))
    size = max(sizes)
    rows += [
        (
            f"BM25 of {size:,} passages: bm25s's build",
            f"{results[f'bm25_bm25s_build_s_{size}']:.1f} s",
        ),
        ("ours (LexicalIndex.build)", f"{results[f'bm25_build_s_{size}']:.1f} s"),
        ("bm25s / ours", f"{results[f'bm25_build_ratio_{size}']:.1f}x"),
    ]
    table = "\n".join(f"| {name} | {value} |" for name, value in rows)
    return (
        f"\n## {when} — `{command}`\n\n"
        f"Machine: {machine()}, load average {os.getloadavg()[0]:.1f} at the end. The indexes "
        "alone, no catalog: clustered synthetic vectors (evals/synthetic.clustered_vectors), "
        "200 held-out queries of the same distribution, one at a time; the index searched is "
        "memory-mapped from its file. BM25 over the synthetic library's text.\n\n"
        f"| measure | value |\n| --- | --- |\n{table}\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=1_000_000)
    parser.add_argument("--indexes-only", action="store_true", help="the indexes alone")
    parser.add_argument("--sizes", default="30000,100000,300000,1000000")
    parser.add_argument("--no-log", action="store_true", help="no MLflow run, no docs section")
    parser.add_argument(
        "--served-only",
        action="store_true",
        help="only the server on the library's index files as they are (no rebuild)",
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.served_only:
        home = library_home(args.passages)
        with Library(load_settings(home=home)) as library:
            queries = library_queries(library)
        for name, value in bench_served_search(home, queries, log).items():
            log(f"{name}: {value:.3f}")
        return
    if args.indexes_only:
        results = measure_indexes(sizes)
    else:
        results = measure(args.passages)
    for name, value in results.items():
        log(f"{name}: {value:.3f}")
    if args.no_log:
        return
    params: dict[str, Any] = {"passages": args.passages, "batch_videos": BATCH_VIDEOS}
    if args.indexes_only:
        params = {"sizes": args.sizes}
    log_run(
        "bench",
        uri=load_settings().tracking_uri,
        name="search-scale-indexes" if args.indexes_only else "search-scale",
        params=params,
        metrics=results,
    )
    if args.indexes_only:
        text = report_indexes(results, sizes, f"{COMMAND} --indexes-only --sizes {args.sizes}")
    else:
        text = report(results, args.passages)
    with (ROOT / "docs" / "benchmarks.md").open("a", encoding="utf-8") as handle:
        handle.write(text)


if __name__ == "__main__":
    main()
