"""senko's clustering of long recordings (UMAP, then HDBSCAN) with each window's nearest
neighbours found exactly, by NumPy, and given to UMAP.

What UMAP does by itself costs CPU in both of its ways. From 4,096 points it builds a
pynndescent index, whose numba functions take the distance function as an argument; numba
keys their disk cache by that argument's type, which differs in every process, so the cache
never hits: every process that clustered a recording past ~1 h 40 min of windows every 1.5 s
(or ~40 min at senko's 0.6 s) compiled them again, ~40 s of CPU inside the ingest, and wrote
another copy of each to ``~/.cache/senko`` (seen with ``NUMBA_DEBUG_CACHE=1``: the same five
functions saved as ``.6.nbc``, ``.7.nbc``… one per process). Below 4,096 it computes the
whole distance matrix through scikit-learn's ``pairwise_distances`` with its numba distance
as a Python callable, one call per pair: 12.5 s of the one-hour meeting's 2,698 windows
(py-spy, 2026-12-08). The exact neighbours are what that matrix gives UMAP (the same graph,
so the same clusters); here they cost one matrix product per block of rows (5,000 windows ×
192 values: well under a second)."""

from __future__ import annotations

from typing import Any

import numpy as np

# Rows of the distance matrix held at once: 1,024 × n float32 (40 MB at 10,000 windows).
BLOCK_ROWS = 1024


def exact_neighbours(points: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(indices, distances), each (n, k): every point's ``k`` nearest points by euclidean
    distance, itself first, nearest first — the shape UMAP's ``precomputed_knn`` takes."""
    points = np.ascontiguousarray(points, dtype=np.float32)
    count = len(points)
    k = min(k, count)
    squares = np.einsum("ij,ij->i", points, points)
    indices = np.empty((count, k), dtype=np.int64)
    distances = np.empty((count, k), dtype=np.float32)
    for start in range(0, count, BLOCK_ROWS):
        rows = slice(start, min(start + BLOCK_ROWS, count))
        squared = squares[rows, None] + squares[None, :] - 2.0 * (points[rows] @ points.T)
        np.maximum(squared, 0.0, out=squared)
        # A point's distance to itself is 0 exactly (rounding can leave a tiny positive).
        squared[np.arange(rows.stop - rows.start), np.arange(rows.start, rows.stop)] = 0.0
        nearest = np.argpartition(squared, k - 1, axis=1)[:, :k]
        near = np.take_along_axis(squared, nearest, axis=1)
        order = np.argsort(near, axis=1, kind="stable")
        indices[rows] = np.take_along_axis(nearest, order, axis=1)
        distances[rows] = np.sqrt(np.take_along_axis(near, order, axis=1))
    return indices, distances


class ExactNeighbourUmapHdbscan:
    """Stands in for senko's ``UmapHdbscan`` (``diarizer.umap_hdbscan_cluster.cluster``):
    the same UMAP and HDBSCAN with the same settings, the neighbours given exactly."""

    def __init__(self, stock: Any) -> None:
        self.stock = stock

    def __call__(self, points: np.ndarray) -> np.ndarray:
        # UMAP and HDBSCAN as senko's clustering module has them: they come with senko (its
        # dependencies, not this package's), so they are reached through it.
        from senko.cluster import cluster_cpu

        umap, hdbscan = cluster_cpu.umap, cluster_cpu.hdbscan
        stock = self.stock
        settings: dict[str, Any] = {}
        if stock.metric == "euclidean":
            settings["precomputed_knn"] = exact_neighbours(points, stock.n_neighbors)
        reduced = umap.UMAP(
            n_neighbors=stock.n_neighbors,
            min_dist=0.0,
            n_components=min(stock.n_components, points.shape[0] - 2),
            metric=stock.metric,
            random_state=42,  # senko's: the same recording clusters the same way
            # UMAP's own count from 10,000 points; below, it runs 500 "to converge" a picture.
            # Clusters need less: on the one-hour meeting (2,698 windows) 200 gave the same
            # turns (DER 0.9 %) in 10 s less CPU (python -m evals.diarization_meeting).
            n_epochs=200,
            **settings,
        ).fit_transform(points)
        labels: np.ndarray = hdbscan.HDBSCAN(
            min_samples=stock.min_samples, min_cluster_size=stock.min_cluster_size
        ).fit_predict(reduced)
        return labels
