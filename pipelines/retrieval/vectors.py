"""FAISS vector index of a library, keyed by chunk id. Derived from the catalog: it is
rebuilt from there whenever the two disagree. Saved atomically (temp file, fsync, rename)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import faiss
import numpy as np

from pipelines.errors import VidscopeError
from pipelines.storage.files import atomic_write


class VectorIndex:
    """Brute-force inner-product search over unit vectors (cosine), stored as float16.
    A flat scan is memory-bound: fp16 halves the bytes read, 2.7x faster than float32 at 10^5
    vectors with identical top-10 results, and unlike HNSW it supports removal (measured in
    docs/benchmarks.md; HNSW's recall@10 on random vectors was 0.30)."""

    def __init__(self) -> None:
        # Created on the first vectors, so opening a library never loads the embedding model
        # just to learn its dimension. Any: faiss's bundled stubs do not match its SWIG API.
        self._index: Any = None

    @classmethod
    def load(cls, path: Path) -> VectorIndex:
        index = cls()
        if path.exists():
            index._index = faiss.read_index(str(path))
        return index

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
        """An independent copy (changes to it never reach this one)."""
        twin = VectorIndex()
        if self._index is not None:
            twin._index = faiss.clone_index(self._index)
        return twin

    def ids(self) -> np.ndarray:
        if len(self) == 0:
            return np.zeros(0, dtype=np.int64)
        return np.sort(faiss.vector_to_array(self._index.id_map).astype(np.int64))

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            self._check_dim(int(vectors.shape[1]))
            self._index.add_with_ids(
                np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64)
            )

    def remove(self, ids: np.ndarray) -> None:
        if len(ids) and self._index is not None:
            self._index.remove_ids(np.asarray(ids, dtype=np.int64))

    def search(
        self,
        vector: np.ndarray,
        k: int,
        allowed_ids: np.ndarray | None = None,
        *,
        hidden_ids: np.ndarray | None = None,
    ) -> list[tuple[int, float]]:
        """The ``k`` nearest passages (of ``allowed_ids`` only; never one of ``hidden_ids``:
        removed since this index was built)."""
        if len(self) == 0 or k <= 0:
            return []
        self._check_dim(int(vector.shape[-1]))
        selector: Any = None
        if allowed_ids is not None:
            if hidden_ids is not None and len(hidden_ids):
                allowed_ids = np.setdiff1d(allowed_ids, hidden_ids)
            if len(allowed_ids) == 0:
                return []
            selector = faiss.IDSelectorBatch(np.asarray(allowed_ids, dtype=np.int64))
        elif hidden_ids is not None and len(hidden_ids):
            hidden = faiss.IDSelectorBatch(np.asarray(hidden_ids, dtype=np.int64))
            selector = faiss.IDSelectorNot(hidden)
            selector.referenced = hidden  # the C++ object holds a pointer: keep it alive
        params = None
        if selector is not None:
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
