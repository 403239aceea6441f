"""`python -m evals.search_scale` (in `make bench`): one owner's library of 10^6 passages
(issue 27): opening it, `vidscope reindex`'s rebuild, in-process search latency, the
process's memory, and what a 20-video batch costs to merge into it — with the delta layer
(pipelines/retrieval/layered.py) against the whole rebuild every merge made before, in the
same run, as a ratio.

The library is the search benchmark's synthetic one (evals/synthetic.py: 100 videos, random
unit vectors, Zipf pseudo-word text), built once into bench-work/search-1m (it takes a while:
four million vectors go into DuckDB) and reused. The batch: 20 more synthetic videos of 50
passages each, stored in the catalog first (as a merge does, not timed here), then taken into
the indexes (timed)."""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np

from evals.common import ROOT, WORK, log, machine
from evals.synthetic import search_latencies, store_video, synthetic_library, vocabulary_of
from pipelines.config import load_settings
from pipelines.jobs.tracking import log_run
from pipelines.library import Library
from pipelines.retrieval.indexes import SearchIndexes
from pipelines.storage.catalog import LOCAL_OWNER

COMMAND = "python -m evals.search_scale"
BATCH_VIDEOS = 20
BATCH_PASSAGES = 50


def memory_gb(field: str) -> float:
    """This process's VmRSS (now) or VmHWM (peak), in GB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1e6
    return float("nan")


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
        results["search_p50_ms"], results["search_p99_ms"] = search_latencies(library)
        results["rss_steady_gb"] = memory_gb("VmRSS")
        # A 20-video batch into the library: the delta (now) against a whole rebuild (before
        # this layering), one after the other on the same library and catalog.
        log("merging a 20-video batch: delta layer")
        results["merge_layered_s"] = merge_batch(library, library.indexes, 10_000, 1)
        library.indexes.wait()
        log("merging a 20-video batch: whole rebuild")
        whole = SearchIndexes(library.settings.layout.index_dir, layered_from=10**12)
        results["merge_whole_s"] = merge_batch(library, whole, 20_000, 2)
        results["merge_ratio"] = results["merge_whole_s"] / results["merge_layered_s"]
        results["rss_peak_gb"] = memory_gb("VmHWM")
    return results


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
    ]
    table = "\n".join(f"| {name} | {value} |" for name, value in rows)
    return (
        f"\n## {when} — `{COMMAND} --passages {passages}` (in `make bench`)\n\n"
        f"Machine: {machine()}. One owner's synthetic library of {passages:,} passages "
        "(evals/synthetic.py). The merge's catalog writes are not in its time.\n\n"
        f"| measure | value |\n| --- | --- |\n{table}\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=1_000_000)
    parser.add_argument("--no-log", action="store_true", help="no MLflow run, no docs section")
    args = parser.parse_args()
    results = measure(args.passages)
    for name, value in results.items():
        log(f"{name}: {value:.3f}")
    if args.no_log:
        return
    params: dict[str, Any] = {"passages": args.passages, "batch_videos": BATCH_VIDEOS}
    log_run(
        "bench",
        uri=load_settings().tracking_uri,
        name="search-scale",
        params=params,
        metrics=results,
    )
    with (ROOT / "docs" / "benchmarks.md").open("a", encoding="utf-8") as handle:
        handle.write(report(results, args.passages))


if __name__ == "__main__":
    main()
