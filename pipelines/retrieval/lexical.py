"""BM25 lexical index (bm25s), keyed by chunk id.

Why bm25s: it is pure Python on numpy/scipy sparse matrices, answers a query over 10^5
passages in about a millisecond, and does not tie the catalog to one DuckDB version (the FTS
extension must match DuckDB exactly and has no build for DuckDB 2.x). BM25 indexes are not
incremental, so it is rebuilt from the catalog after each change; that costs seconds at 10^5
chunks, far less than transcribing a single video."""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

from pipelines.storage.faults import storage_full
from pipelines.storage.files import fsync_path

_STEMMER = Stemmer.Stemmer("english")


def _tokenize(texts: Sequence[str]) -> bm25s.tokenization.Tokenized:
    return bm25s.tokenize(list(texts), stopwords="en", stemmer=_STEMMER, show_progress=False)


class LexicalIndex:
    def __init__(self) -> None:
        self._ids = np.zeros(0, dtype=np.int64)
        self._model: bm25s.BM25 | None = None

    @classmethod
    def build(cls, ids: np.ndarray, texts: Sequence[str]) -> LexicalIndex:
        index = cls()
        index._ids = np.asarray(ids, dtype=np.int64)
        if len(texts):
            model = bm25s.BM25()
            model.index(_tokenize(texts), show_progress=False)
            index._model = model
        return index

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        index = cls()
        ids_file = directory / "ids.npy"
        if ids_file.exists():
            index._ids = np.load(ids_file)
            if len(index._ids):
                index._model = bm25s.BM25.load(str(directory))
        return index

    def __len__(self) -> int:
        return len(self._ids)

    def ids(self) -> np.ndarray:
        return np.sort(self._ids)

    def search(
        self, query: str, k: int, allowed_ids: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        if self._model is None or k <= 0:
            return []
        tokens = _tokenize([query])
        if not tokens.ids or not tokens.ids[0]:
            return []  # the query is only stopwords or punctuation
        mask = None
        if allowed_ids is not None:
            mask = np.isin(self._ids, allowed_ids).astype(np.float32)
        docs, scores = self._model.retrieve(
            tokens,
            k=min(k, len(self._ids)),
            weight_mask=mask,
            show_progress=False,
            n_threads=1,
        )
        return [
            (int(self._ids[d]), float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0
        ]

    def save(self, directory: Path) -> None:
        """Writes a complete new directory, then swaps it in with renames."""
        directory.parent.mkdir(parents=True, exist_ok=True)
        partial = directory.with_name(directory.name + ".part")
        stale = directory.with_name(directory.name + ".old")
        for leftover in (partial, stale):
            shutil.rmtree(leftover, ignore_errors=True)
        partial.mkdir()
        try:
            if self._model is not None:
                self._model.save(str(partial))
            np.save(partial / "ids.npy", self._ids)
            for file in partial.iterdir():
                with file.open("rb+") as handle:
                    os.fsync(handle.fileno())
        except OSError as exc:  # the old directory is untouched; the partial one goes
            shutil.rmtree(partial, ignore_errors=True)
            if exc.errno == errno.ENOSPC:
                raise storage_full(directory.parent) from exc
            raise
        if directory.exists():
            os.replace(directory, stale)
        os.replace(partial, directory)
        fsync_path(directory.parent)
        shutil.rmtree(stale, ignore_errors=True)
