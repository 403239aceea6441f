"""The long-recording clustering's exact neighbours, and the check that its compiled code is
cached for this installation rather than another one."""

from __future__ import annotations

import hashlib
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import pytest

from pipelines.speech import diarize
from pipelines.speech.long_clustering import BLOCK_ROWS, exact_neighbours


def test_exact_neighbours_are_sklearns_nearest_self_first_across_blocks() -> None:
    rng = np.random.default_rng(3)
    # More rows than one block, so the blocks' seams are crossed.
    points = rng.standard_normal((BLOCK_ROWS + 300, 24)).astype(np.float32)
    indices, distances = exact_neighbours(points, 20)
    truth = np.sqrt(((points[:, None, :] - points[None, :, :]) ** 2).sum(-1))
    expected = np.argsort(truth, axis=1, kind="stable")[:, :20]
    assert indices.shape == distances.shape == (len(points), 20)
    assert (indices[:, 0] == np.arange(len(points))).all() and (distances[:, 0] == 0).all()
    assert (indices == expected).mean() > 0.999  # ties may order apart
    np.testing.assert_allclose(distances, np.take_along_axis(truth, indices, 1), atol=1e-4)
    assert (np.diff(distances, axis=1) >= 0).all()  # nearest first


def test_fewer_points_than_neighbours_gives_them_all() -> None:
    points = np.eye(5, dtype=np.float32)
    indices, _ = exact_neighbours(points, 20)
    assert indices.shape == (5, 5) and sorted(indices[2]) == [0, 1, 2, 3, 4]


def test_only_this_installations_cache_counts_as_compiled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(diarize, "NUMBA_CACHE", tmp_path)
    assert not diarize.clustering_compiled()
    # Another checkout's umap: numba names its folder after that path.
    other = tmp_path / f"umap_{hashlib.sha1(b'/elsewhere/umap').hexdigest()}"  # nosec B324
    other.mkdir()
    (other / "umap_.smooth_knn_dist-144.py311.nbi").touch()
    assert not diarize.clustering_compiled()
    spec = find_spec("umap")
    assert spec is not None and spec.origin is not None
    source = str(Path(spec.origin).resolve().parent)
    mine = tmp_path / f"umap_{hashlib.sha1(source.encode()).hexdigest()}"  # nosec B324
    mine.mkdir()
    (mine / "umap_.smooth_knn_dist-144.py311.nbi").touch()
    assert diarize.clustering_compiled()
