"""An owner's search index in two layers, so that adding a batch to a large library costs
what the batch costs, not what the library does.

The **base** holds the library as it was when last built whole (``SearchIndexes.rebuild``, or
a compaction); it is never changed in place. The **delta** holds the passages added since, in
indexes of its own, rebuilt on every change from the catalog's rows of those passages only;
and ``hidden``, the ids removed since the base was built (a re-ingested or deleted video's),
which a search of the base skips. A search asks both layers and merges by score: the vector
scores are cosines either way; the delta's BM25 scores are computed with the library's
statistics (``LexicalIndex.build(within=)``). When the delta grows past a share of the
base, the whole is rebuilt (``SearchIndexes`` does it in the background) and the delta empties.

Chunk ids come from a sequence and are never reused, so an id in the delta is never in the
base, and a hidden id never comes back."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from pipelines.retrieval.index_files import DELTA, HIDDEN
from pipelines.retrieval.lexical import LexicalIndex
from pipelines.retrieval.vectors import EXACT_BELOW, Hidden, VectorIndex

if TYPE_CHECKING:
    from pipelines.storage.catalog import OwnerCatalog

NO_IDS = np.zeros(0, dtype=np.int64)


def _merged(
    found: list[tuple[int, float]], more: list[tuple[int, float]], k: int
) -> list[tuple[int, float]]:
    return sorted(found + more, key=lambda hit: -hit[1])[:k]


@dataclass(frozen=True)
class LayeredVectors:
    """The vector layers, searched as one index."""

    base: VectorIndex
    delta: VectorIndex = field(default_factory=VectorIndex)
    hidden: np.ndarray = field(default_factory=lambda: NO_IDS)

    def __len__(self) -> int:
        # The delta's ids are never in the base, nor hidden (a removed one leaves the delta).
        return len(self.base) - self._hidden_in_base + len(self.delta)

    @cached_property
    def _hidden_in_base(self) -> int:
        base = self.base.ids()
        at = np.minimum(np.searchsorted(base, self.hidden), max(len(base) - 1, 0))
        return int(np.count_nonzero(base[at] == self.hidden)) if len(base) else 0

    @cached_property
    def _hidden(self) -> Hidden:
        return Hidden(self.hidden)  # its FAISS selector made once per snapshot

    def ids(self) -> np.ndarray:
        return np.union1d(np.setdiff1d(self.base.ids(), self.hidden), self.delta.ids())

    def search(
        self, vector: np.ndarray, k: int, allowed_ids: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        found = self.base.search(vector, k, allowed_ids, hidden=self._hidden)
        return _merged(found, self.delta.search(vector, k, allowed_ids), k)


@dataclass(frozen=True)
class LayeredWords:
    """The BM25 layers, searched as one index."""

    base: LexicalIndex
    delta: LexicalIndex = field(default_factory=LexicalIndex)
    hidden: np.ndarray = field(default_factory=lambda: NO_IDS)

    def __len__(self) -> int:
        hidden = 0 if self._keep is None else int(np.count_nonzero(self._keep == 0))
        return len(self.base) - hidden + len(self.delta)

    def ids(self) -> np.ndarray:
        return np.union1d(np.setdiff1d(self.base.ids(), self.hidden), self.delta.ids())

    @cached_property
    def _keep(self) -> np.ndarray | None:
        # Worked out once per snapshot (a million-entry mask), not once per query.
        return self.base.keep_mask(self.hidden) if len(self.hidden) else None

    def search(
        self, query: str, k: int, allowed_ids: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        found = self.base.search(query, k, allowed_ids, keep=self._keep)
        return _merged(found, self.delta.search(query, k, allowed_ids), k)


def delta_size(vectors: LayeredVectors) -> int:
    """Passages in the delta plus ids hidden from the base: what a compaction would fold in."""
    return len(vectors.delta) + len(vectors.hidden)


def built_whole(
    ids: np.ndarray, texts: list[str], vectors: np.ndarray, *, exact_below: int = EXACT_BELOW
) -> tuple[LayeredVectors, LayeredWords]:
    """Indexes of these passages, built whole: a base with no delta (its vectors searched
    exactly below ``exact_below`` passages, through IVF from there)."""
    fresh = VectorIndex.built(ids, vectors, exact_below=exact_below)
    return LayeredVectors(fresh), LayeredWords(LexicalIndex.build(ids, texts))


def delta_words(catalog: OwnerCatalog, delta: VectorIndex, base: LexicalIndex) -> LexicalIndex:
    """The delta's BM25 index: its passages' texts read from the catalog (a passage deleted
    meanwhile is absent: the change that deleted it is on its way), scored as if in one
    index with the base."""
    ids, texts = catalog.chunk_texts(among=delta.ids())
    return LexicalIndex.build(ids, texts, within=base)


def load_layers(folder: Path) -> tuple[LayeredVectors, LayeredWords]:
    """An owner's layers from its files: the base, and the delta when there is one. The
    base's vectors and BM25 arrays are memory-mapped (read as a query needs their pages)."""
    vectors = VectorIndex.load(folder / "vectors.faiss", mmap=True)
    words = LexicalIndex.load(folder / "lexical", mmap=True)
    delta = folder / DELTA
    if not delta.is_dir():
        return LayeredVectors(vectors), LayeredWords(words)
    hidden = np.load(delta / HIDDEN) if (delta / HIDDEN).exists() else NO_IDS
    return (
        LayeredVectors(vectors, VectorIndex.load(delta / "vectors.faiss"), hidden),
        LayeredWords(words, LexicalIndex.load(delta / "lexical"), hidden),
    )
