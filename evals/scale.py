"""`python -m evals.scale` (part of `make bench`): batch ingest on Ray against the in-process
runner on the same cores, the writer's merge cost against library size, and what an IVF or
HNSW index would cost in recall against flat FAISS. Results go to MLflow (vidscope-bench) and
docs/benchmarks.md; docs/scaling.md derives its projections from them.

Inputs: 20 generated talks (espeak-ng, eight voices taking turns, 6–20 sentences, about
20–75 s each, 160x120 H.264 + AAC), made once into bench-work/scale/."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from evals.common import BIN, ROOT, WORK, log, machine
from evals.fixtures import VOICES, bench_sentences, make_talk
from pipelines.compute import IngestArtifact
from pipelines.config import load_settings
from pipelines.jobs.shards import ShardSource, write_shard
from pipelines.jobs.tracking import log_run
from pipelines.library import Library
from pipelines.records import Chunk, MediaInfo, Segment

COMMAND = "python -m evals.scale"
VIDEOS = 20
SCALE = WORK / "scale"
LIBRARY_SIZES = (20, 200, 1000)  # videos already in the library when a 20-video batch merges


def make_videos() -> tuple[Path, float]:
    """20 talks of varied length and voices; returns (folder, total audio seconds)."""
    folder = SCALE / "videos"
    folder.mkdir(parents=True, exist_ok=True)
    total = 0.0
    for n in range(VIDEOS):
        video = folder / f"talk-{n:02d}.mp4"
        meta = video.with_suffix(".json")
        if not meta.exists():
            count = 6 + (n * 7) % 15  # 6..20 sentences
            voices = [VOICES[(n + i) % len(VOICES)] for i in range(1 + n % 3)]
            log(f"making {video.name} ({count} sentences, {len(voices)} voice(s))")
            info = make_talk(
                bench_sentences(count, seed=100 + n), video, size="160x120", voices=voices
            )
            meta.write_text(json.dumps(info))
        total += float(json.loads(meta.read_text())["duration"])
    return folder, total


def timed(command: list[str], home: Path) -> tuple[float, str]:
    shutil.rmtree(home, ignore_errors=True)
    env = {**os.environ, "VIDSCOPE_HOME": str(home)}
    started = time.perf_counter()
    run = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if run.returncode != 0:
        raise RuntimeError(f"{command} failed:\n{run.stderr[-3000:]}")
    return wall, run.stdout


def bench_runners(folder: Path, audio_s: float) -> dict[str, float]:
    """Fresh processes, one after the other, each with a fresh library: imports, model
    loading and (for Ray) starting the local cluster included."""
    results: dict[str, float] = {"scale_audio_s": audio_s, "scale_videos": VIDEOS}
    vidscope = str(BIN / "vidscope")
    log("scale: in-process (vidscope ingest)")
    wall, _ = timed([vidscope, "ingest", str(folder)], SCALE / "home-inprocess")
    results["scale_inprocess_wall_s"] = wall
    for workers in (1, 2):
        log(f"scale: Ray, {workers} worker(s)")
        wall, out = timed(
            [vidscope, "batch", "ingest", str(folder), "--workers", str(workers), "--json"],
            SCALE / f"home-ray{workers}",
        )
        report = json.loads(out)
        assert report["indexed"] == VIDEOS, report
        results[f"scale_ray{workers}_wall_s"] = wall
        for part in ("ray_start_s", "probe_s", "compute_s", "merge_s"):
            results[f"scale_ray{workers}_{part}"] = report[part]
        results[f"scale_ray{workers}_overhead"] = wall / results["scale_inprocess_wall_s"] - 1
        results[f"scale_ray{workers}_x_realtime"] = audio_s / wall
    results["scale_inprocess_x_realtime"] = audio_s / results["scale_inprocess_wall_s"]
    return results


def synthetic_source(n: int, rng: np.random.Generator) -> tuple[ShardSource, IngestArtifact]:
    """A one-minute video's worth of passages (20 sentences, 4 passages) with random unit
    vectors: the merge's cost depends on row counts, not on what the words say."""
    words = ["budget", "roadmap", "release", "hiring", "customer", "search", "incident"]
    segments = tuple(
        Segment(3.0 * i, 3.0 * i + 2.5, " ".join(rng.choice(words, 8))) for i in range(20)
    )
    chunks = tuple(
        Chunk(
            15.0 * c,
            15.0 * c + 15.0,
            " ".join(s.text for s in segments[5 * c : 5 * c + 5]),
            5 * c,
            5 * c + 4,
        )
        for c in range(4)
    )

    def unit(rows: int) -> np.ndarray:
        v = rng.standard_normal((rows, 384)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    sha = f"{n:064x}"
    info = MediaInfo("mp4", 60.0, 1000, True, False)
    return (
        ShardSource(sha, f"synthetic {n}", str(SCALE / "dummy.mp4"), info, None),
        IngestArtifact(None, "en", segments, chunks, unit(len(chunks)), unit(len(segments))),
    )


def bench_merge(rng: np.random.Generator) -> dict[str, float]:
    """Merging a 20-video batch into libraries of 20..1000 videos: catalog time should stay
    flat (O(batch)); the index update grows only with BM25's rebuild (FAISS adds O(batch))."""
    results: dict[str, float] = {}
    (SCALE / "dummy.mp4").write_bytes(b"\0" * 1000)
    for size in LIBRARY_SIZES:
        home = Path(tempfile.mkdtemp(prefix="merge-", dir=SCALE))
        try:
            with Library(load_settings(home=home)) as library:
                owner = library.for_owner("local")
                made = 0
                while made < size + VIDEOS:
                    step = min(100, size - made) if made < size else VIDEOS
                    shas = []
                    for n in range(made, made + step):
                        source, artifact = synthetic_source(n, rng)
                        write_shard(owner.shards_folder(), source, artifact)
                        shas.append(source.sha256)
                    started = time.perf_counter()
                    report = owner.merge_shards(shas, batch_id=f"b{made}")
                    total = time.perf_counter() - started
                    made += step
                assert len(library.local.list_videos()) == size + VIDEOS
            results[f"merge_total_s_{size}"] = total
            results[f"merge_catalog_s_{size}"] = report.catalog_s
            results[f"merge_index_s_{size}"] = report.index_s
        finally:
            shutil.rmtree(home, ignore_errors=True)
    return results


def bench_index_types(rng: np.random.Generator) -> dict[str, float]:
    """Flat (exact) against IVF and HNSW on real MiniLM embeddings of 15,000 generated
    sentences: recall@10 of the approximate indexes and query time, 200 queries."""
    import faiss

    from pipelines.retrieval.embed import embed_texts

    settings = load_settings()
    texts = bench_sentences(15_000, seed=5)  # of 17,280 possible
    queries = bench_sentences(200, seed=99)
    embedded = embed_texts(
        texts + queries,
        model=settings.embedding.model,
        batch_size=256,
        threads=0,
        cache_dir=settings.model_cache,
    )
    vectors, asked = embedded[: len(texts)], embedded[len(texts) :]
    dim = vectors.shape[1]
    flat = faiss.IndexFlatIP(dim)
    flat.add(vectors)
    _, truth = flat.search(asked, 10)
    results: dict[str, float] = {"index_sample_vectors": float(len(texts))}

    def measure(name: str, index: Any) -> None:
        started = time.perf_counter()
        _, found = index.search(asked, 10)
        ms = (time.perf_counter() - started) * 1000 / len(queries)
        recall = np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth, strict=True)])
        results[f"index_{name}_recall_at_10"] = float(recall)
        results[f"index_{name}_ms_per_query"] = ms

    measure("flat", flat)
    quantizer = faiss.IndexFlatIP(dim)
    ivf = faiss.IndexIVFFlat(quantizer, dim, 256, faiss.METRIC_INNER_PRODUCT)
    ivf.train(vectors)
    ivf.add(vectors)
    for nprobe in (4, 16):
        ivf.nprobe = nprobe
        measure(f"ivf256_nprobe{nprobe}", ivf)
    hnsw = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
    hnsw.add(vectors)
    for ef in (16, 64):
        hnsw.hnsw.efSearch = ef
        measure(f"hnsw32_ef{ef}", hnsw)
    return results


def report_lines(r: dict[str, float]) -> list[str]:
    rows = [
        ("in-process (`vidscope ingest DIR`)", r["scale_inprocess_wall_s"], "—", "—", "—"),
        *(
            (
                f"Ray, {w} worker(s) × {2 // w} thread(s) (`vidscope batch ingest DIR --workers "
                f"{w}`)",
                r[f"scale_ray{w}_wall_s"],
                f"{r[f'scale_ray{w}_ray_start_s']:.1f} s",
                f"{r[f'scale_ray{w}_merge_s']:.2f} s",
                f"**{r[f'scale_ray{w}_overhead'] * 100:+.1f} %**",
            )
            for w in (1, 2)
        ),
    ]
    return [
        f"\n## {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC — `{COMMAND}`\n",
        f"Machine: {machine()}. Input: {VIDEOS} generated talks (espeak-ng, one to three of "
        f"eight voices each, 6–20 sentences), {r['scale_audio_s'] / 60:.1f} min of audio in "
        "all, 160×120 H.264 + AAC (`bench-work/scale/videos`, made by `evals/scale.py`). "
        "Each runner is a fresh process with a fresh library, imports, model loading and "
        "Ray's start included, run one after the other. Target: Ray's overhead ≤ 15 % of the "
        "in-process wall time.\n",
        "| runner | wall | Ray start | merge | vs in-process |",
        "| --- | --- | --- | --- | --- |",
        *(
            f"| {a} | {b:.1f} s ({r['scale_audio_s'] / b:.1f}× real time) | {c} | {d} | {e} |"
            for a, b, c, d, e in rows
        ),
        "\nThe writer's merge of one 20-video batch (one minute of speech each: 20 sentences, "
        "4 passages) into a library already holding N videos (`bench_merge`):\n",
        "| N videos | catalog (20 transactions) | index update (once) | total |",
        "| --- | --- | --- | --- |",
        *(
            f"| {n:,} | {r[f'merge_catalog_s_{n}'] * 1000:.0f} ms | "
            f"{r[f'merge_index_s_{n}'] * 1000:.0f} ms | {r[f'merge_total_s_{n}'] * 1000:.0f} ms |"
            for n in LIBRARY_SIZES
        ),
        f"\nFlat FAISS against approximate indexes, {int(r['index_sample_vectors']):,} real "
        "MiniLM vectors of generated sentences, 200 queries, recall@10 against the exact "
        "answer (`bench_index_types`):\n",
        "| index | recall@10 | ms / query |",
        "| --- | --- | --- |",
        *(
            f"| {name} | {r[f'index_{key}_recall_at_10']:.3f} | "
            f"{r[f'index_{key}_ms_per_query']:.3f} |"
            for name, key in (
                ("Flat (exact, today)", "flat"),
                ("IVF 256 lists, nprobe 4", "ivf256_nprobe4"),
                ("IVF 256 lists, nprobe 16", "ivf256_nprobe16"),
                ("HNSW M=32, efSearch 16", "hnsw32_ef16"),
                ("HNSW M=32, efSearch 64", "hnsw32_ef64"),
            )
        ),
        "",
    ]


def main() -> None:
    SCALE.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    folder, audio_s = make_videos()
    results = bench_runners(folder, audio_s)
    results |= bench_merge(rng)
    results |= bench_index_types(rng)
    (SCALE / "results.json").write_text(json.dumps(results, indent=2))
    with (ROOT / "docs" / "benchmarks.md").open("a", encoding="utf-8") as handle:
        handle.write("\n".join(report_lines(results)))
    log_run(
        "bench",
        uri=load_settings().tracking_uri,
        name=f"scale {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M}",
        params={"command": COMMAND, "machine": machine(), "videos": VIDEOS},
        metrics=results,
    )
    log(json.dumps(results, indent=2))


if __name__ == "__main__":
    sys.exit(main())
