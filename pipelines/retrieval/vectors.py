"""FAISS vector index of a library, keyed by chunk id. Derived from the catalog: it is
rebuilt from there whenever the two disagree. Saved atomically (temp file, fsync, rename).

Exact (a flat scan) below ``EXACT_BELOW`` vectors; from there, when built whole
(``VectorIndex.built``: a library's base), an inverted-file index (IVF) whose ``nprobe`` is
chosen at build time so that recall@10 against the exact answer is at least ``RECALL`` on a
sample of the library's own passages. Both store float16 and are memory-mapped on load."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import faiss
import numpy as np

from pipelines.errors import VidscopeError
from pipelines.storage.files import atomic_write

# Below this many vectors a base is searched exactly: a flat scan of 10^5 float16 vectors
# takes a few ms, and an IVF index's training costs more than it saves (docs/benchmarks.md,
# `python -m evals.search_scale --vectors-only`).
EXACT_BELOW = 100_000
RECALL = 0.995  # recall@10 an IVF index's nprobe is chosen for (a margin over 0.99)
_TUNING_QUERIES = 200  # of the library's own passages, each its own nearest left out
_TRAINING_PER_LIST = 40  # vectors per inverted list k-means trains on (FAISS's minimum: 39)
_TRUTH_BLOCK = 65_536  # vectors scored at a time for the tuning's exact answers (50 MB)
_TRUTH_MARGIN = 64  # nearest in float32 re-scored as float16 stores them


def _recall(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean share of each row of ``truth`` found in the same row of ``found``."""
    return float(
        np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth, strict=True)])
    )


class VectorIndex:
    """Inner-product search over unit vectors (cosine), stored as float16: a flat scan (fp16
    halves the bytes a memory-bound scan reads: 2.7x faster than float32 at 10^5 vectors, the
    same top-10) or, for a large base, IVF over the same float16 codes (exact scores of the
    passages it looks at, so they merge with the delta's by value)."""

    def __init__(self) -> None:
        # Created on the first vectors, so opening a library never loads the embedding model
        # just to learn its dimension. Any: faiss's bundled stubs do not match its SWIG API.
        self._index: Any = None
        self._ids: np.ndarray | None = None  # sorted, cached until the next change

    @classmethod
    def load(cls, path: Path, *, mmap: bool = False) -> VectorIndex:
        """The index in ``path``; ``mmap``: its codes read from the file as pages are needed
        (a base, never changed in place)."""
        index = cls()
        if path.exists():
            flags = 0
            if mmap:  # IVF's lists (FAISS's "Iw" indexes) and flat codes are mapped apart
                with path.open("rb") as handle:
                    ivf = handle.read(2) == b"Iw"
                flags = faiss.IO_FLAG_MMAP if ivf else faiss.IO_FLAG_MMAP_IFC
            index._index = faiss.read_index(str(path), flags)
        return index

    @classmethod
    def built(
        cls, ids: np.ndarray, vectors: np.ndarray, *, exact_below: int = EXACT_BELOW
    ) -> VectorIndex:
        """An index of these vectors built whole: exact below ``exact_below`` of them, else IVF
        (about sqrt(n) lists) with the smallest ``nprobe`` reaching ``RECALL``."""
        index = cls()
        if len(ids) < max(exact_below, _TUNING_QUERIES):
            index.add(ids, vectors)
            return index
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        ids = np.asarray(ids, dtype=np.int64)
        dim, lists = int(vectors.shape[1]), int(np.sqrt(len(ids)))
        ivf = faiss.IndexIVFScalarQuantizer(
            faiss.IndexFlatIP(dim),
            dim,
            lists,
            faiss.ScalarQuantizer.QT_fp16,
            faiss.METRIC_INNER_PRODUCT,
            False,  # codes of the vectors, not of residuals: fp16 is exact enough either way
        )
        ivf.cp.niter = 10  # k-means: the lists need not be optimal, only reasonable
        rng = np.random.default_rng(0)
        sample = rng.choice(len(ids), min(len(ids), lists * _TRAINING_PER_LIST), replace=False)
        ivf.train(vectors[np.sort(sample)])
        ivf.add_with_ids(vectors, ids)
        ivf.nprobe = _tuned_nprobe(ivf, ids, vectors, rng)
        index._index = ivf
        return index

    @property
    def exact(self) -> bool:
        """Whether a search scans every vector (False: an IVF index)."""
        return self._index is None or not isinstance(self._index, faiss.IndexIVF)

    @property
    def nprobe(self) -> int | None:
        """The inverted lists an IVF index looks in per search (None: exact)."""
        return None if self.exact else int(self._index.nprobe)

    @property
    def dim(self) -> int | None:
        return None if self._index is None else int(self._index.d)

    def _check_dim(self, dim: int) -> None:
        if self._index is None:
            self._index = faiss.IndexIDMap2(
                faiss.IndexScalarQuantizer(
                    dim, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT
                )
            )
        elif self._index.d != dim:
            raise VidscopeError(
                f"this library holds {self._index.d}-dimensional vectors but the embedding "
                f"model makes {dim}-dimensional ones; keep the model the library was built "
                "with (VIDSCOPE_EMBED_MODEL) or use a new VIDSCOPE_HOME",
                code="library.model_mismatch",
            )

    def __len__(self) -> int:
        return 0 if self._index is None else int(self._index.ntotal)

    def copy(self) -> VectorIndex:
        """An independent copy in memory (changes to it never reach this one): serialised and
        read back, since ``clone_index`` of a memory-mapped index keeps viewing the file and
        cannot grow."""
        twin = VectorIndex()
        if self._index is not None:
            twin._index = faiss.deserialize_index(faiss.serialize_index(self._index))
        return twin

    def ids(self) -> np.ndarray:
        """The ids held, in increasing order (worked out once per change)."""
        if self._ids is None:
            self._ids = np.sort(self._stored_ids())
        return self._ids

    def _stored_ids(self) -> np.ndarray:
        if len(self) == 0:
            return np.zeros(0, dtype=np.int64)
        if self.exact:
            return faiss.vector_to_array(self._index.id_map).astype(np.int64)
        lists = self._index.invlists
        sizes = [lists.list_size(n) for n in range(lists.nlist)]
        return np.concatenate(
            [np.zeros(0, dtype=np.int64)]
            + [
                faiss.rev_swig_ptr(lists.get_ids(n), size).astype(np.int64)
                for n, size in enumerate(sizes)
                if size
            ]
        )

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            self._check_dim(int(vectors.shape[1]))
            self._index.add_with_ids(
                np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64)
            )
            self._ids = None

    def remove(self, ids: np.ndarray) -> None:
        if len(ids) and self._index is not None:
            self._index.remove_ids(np.asarray(ids, dtype=np.int64))
            self._ids = None

    def search(
        self,
        vector: np.ndarray,
        k: int,
        allowed_ids: np.ndarray | None = None,
        *,
        hidden: Hidden | None = None,
    ) -> list[tuple[int, float]]:
        """The ``k`` nearest passages (of ``allowed_ids`` only, found exactly: as slow as a
        flat scan on IVF; never one of ``hidden``: removed since this index was built)."""
        if len(self) == 0 or k <= 0:
            return []
        self._check_dim(int(vector.shape[-1]))
        selector: Any = None
        if allowed_ids is not None:
            if hidden is not None and len(hidden.ids):
                allowed_ids = np.setdiff1d(allowed_ids, hidden.ids)
            if len(allowed_ids) == 0:
                return []
            selector = faiss.IDSelectorBatch(np.asarray(allowed_ids, dtype=np.int64))
        elif hidden is not None and len(hidden.ids):
            selector = hidden.selector
        params: Any = None
        if not self.exact:
            # A search kept to some passages (a video, a speaker) probes every list: those
            # passages may sit in lists the query is far from, and IVF only sees the probed.
            nprobe = self._index.nlist if allowed_ids is not None else self._index.nprobe
            params = faiss.SearchParametersIVF(sel=selector, nprobe=nprobe)  # type: ignore[call-arg]
        elif selector is not None:
            params = faiss.SearchParameters(sel=selector)  # type: ignore[call-arg]
        query = np.ascontiguousarray(vector.reshape(1, -1), dtype=np.float32)
        scores, ids = self._index.search(query, min(k, len(self)), params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def save(self, path: Path) -> None:
        if self._index is None:
            path.unlink(missing_ok=True)
            return
        # Serialised in memory and written by Python: faiss.write_index does not report a
        # write its C stdio buffer could not flush (a full disk left a truncated index).
        data = faiss.serialize_index(self._index)
        with atomic_write(path) as partial, partial.open("wb") as handle:
            handle.write(data.tobytes())


class Hidden:
    """Ids a search of a base skips (removed since it was built), with the FAISS selector
    that skips them made once (per snapshot), not once per query."""

    def __init__(self, ids: np.ndarray) -> None:
        self.ids = ids
        self._selector: Any = None

    @property
    def selector(self) -> Any:
        if self._selector is None:
            batch = faiss.IDSelectorBatch(np.asarray(self.ids, dtype=np.int64))
            selector: Any = faiss.IDSelectorNot(batch)
            selector.referenced = batch  # the C++ object holds a pointer: keep it alive
            self._selector = selector
        return self._selector


def _exact_nearest(asked: np.ndarray, vectors: np.ndarray, k: int) -> np.ndarray:
    """(queries, k) positions of each query's ``k`` highest inner products with ``vectors``
    as float16 stores them (what an exact scan of the index's codes ranks), best first: the
    ``_TRUTH_MARGIN`` best in float32, one matrix product per block, then those re-scored in
    float16 (rounding moves a score by ~1e-3, far less than the margin spans). Probing every
    list of the IVF index did the same in 14.6 s at 10^6 vectors (codes decoded one by one),
    most of a rebuild's tuning."""
    keep = min(max(k, _TRUTH_MARGIN), len(vectors))
    best_scores = np.full((len(asked), 0), -np.inf, dtype=np.float32)
    best = np.zeros((len(asked), 0), dtype=np.int64)
    for start in range(0, len(vectors), _TRUTH_BLOCK):
        block = vectors[start : start + _TRUTH_BLOCK]
        scores = np.concatenate([best_scores, asked @ block.T], axis=1)
        places = np.concatenate(
            [best, np.broadcast_to(np.arange(start, start + len(block)), (len(asked), len(block)))],
            axis=1,
        )
        top = np.argpartition(-scores, keep - 1, axis=1)[:, :keep]
        best_scores = np.take_along_axis(scores, top, axis=1)
        best = np.take_along_axis(places, top, axis=1)
    stored = vectors[best].astype(np.float16).astype(np.float32)  # (queries, keep, dim)
    rescored = np.einsum("qkd,qd->qk", stored, asked)
    order = np.argsort(-rescored, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(best, order, axis=1)


def _tuned_nprobe(ivf: Any, ids: np.ndarray, vectors: np.ndarray, rng: np.random.Generator) -> int:
    """The smallest power-of-two ``nprobe`` at which ``ivf`` finds ``RECALL`` of the 10 nearest
    neighbours an exact scan of the same codes finds, for a sample of its own vectors (each
    one's own entry left out). Against float32 both lose a little more: float16 rounding
    reorders near ties (the benchmark reports both)."""
    asked = vectors[rng.choice(len(vectors), _TUNING_QUERIES, replace=False)]
    truth = ids[_exact_nearest(asked, vectors, 11)]
    nprobe = 1
    while nprobe < ivf.nlist:
        ivf.nprobe = nprobe
        _, found = ivf.search(asked, 11)
        if _recall(found[:, 1:], truth[:, 1:]) >= RECALL:
            return nprobe
        nprobe *= 2
    return int(ivf.nlist)
