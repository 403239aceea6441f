"""The two derived search indexes of a library, kept in step with the catalog."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from pipelines.catalog import Catalog
from pipelines.index import VectorIndex
from pipelines.lexical import LexicalIndex
from pipelines.logs import get_logger

log = get_logger(__name__)


class SearchIndexes:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.vectors = VectorIndex.load(directory / "vectors.faiss")
        self.lexical = LexicalIndex.load(directory / "lexical")

    def in_step_with(self, catalog: Catalog) -> bool:
        truth = catalog.chunk_ids()
        return np.array_equal(self.vectors.ids(), truth) and np.array_equal(
            self.lexical.ids(), truth
        )

    def rebuild(self, catalog: Catalog) -> int:
        """Rebuilds both indexes from the catalog (the source of truth); returns the chunk count."""
        ids, texts, vectors = catalog.all_chunks()
        self.vectors = VectorIndex()
        self.vectors.add(ids, vectors)
        self.lexical = LexicalIndex.build(ids, texts)
        self._save()
        log.info("index.rebuilt", chunks=len(ids))
        return len(ids)

    def replace(
        self,
        catalog: Catalog,
        *,
        old_ids: np.ndarray | Sequence[int],
        new_ids: Sequence[int],
        vectors: np.ndarray | None,
    ) -> None:
        """Swaps one video's vectors; BM25 is not incremental, so it is rebuilt from the catalog."""
        self.vectors.remove(np.asarray(old_ids, dtype=np.int64))
        if vectors is not None and len(new_ids):
            self.vectors.add(np.asarray(new_ids, dtype=np.int64), vectors)
        ids, texts = catalog.chunk_texts()
        self.lexical = LexicalIndex.build(ids, texts)
        self._save()

    def _save(self) -> None:
        self.vectors.save(self.directory / "vectors.faiss")
        self.lexical.save(self.directory / "lexical")
