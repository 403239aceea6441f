"""BM25 lexical index (bm25s), keyed by chunk id.

Why bm25s: it is pure Python on numpy/scipy sparse matrices, answers a query over 10^5
passages in about a millisecond, and does not tie the catalog to one DuckDB version (the FTS
extension must match DuckDB exactly and has no build for DuckDB 2.x). BM25 indexes are not
incremental: a large library keeps a base index, rebuilt rarely, and a small delta of the
passages added since (pipelines/retrieval/layered.py); the delta's scores are computed with
the statistics of both indexes together (``build(within=)``), so the two rank alike."""

from __future__ import annotations

import errno
import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np
import scipy.sparse
import Stemmer

from pipelines.storage.faults import storage_full
from pipelines.storage.files import fsync_path

_STEMMER = Stemmer.Stemmer("english")
STATS = "stats.json"  # beside bm25s's files: the mean passage length, for a delta's scores


def _idf(passages: float, holding: np.ndarray) -> np.ndarray:
    """BM25's (Lucene's) inverse document frequency."""
    return np.log(1.0 + (passages - holding + 0.5) / (holding + 0.5))


def _score_within(
    model: bm25s.BM25, token_ids: list[list[int]], lengths: np.ndarray, base: LexicalIndex
) -> None:
    """Replaces ``model``'s precomputed scores with those its passages would have in one
    index with ``base``'s: IDF from both indexes' passage and document counts, length
    normalised by both indexes' mean passage length (bm25s's Lucene variant, same k1 and b)."""
    n_cols = len(model.scores["indptr"]) - 1  # bm25s's empty token, last, has no column
    vocab = model.vocab_dict
    tokens = sorted((t for t in vocab if vocab[t] < n_cols), key=vocab.__getitem__)
    rows = np.repeat(np.arange(len(token_ids)), [len(doc) for doc in token_ids])
    cols = np.fromiter((t for doc in token_ids for t in doc), dtype=np.int64, count=len(rows))
    counts = scipy.sparse.csc_matrix(
        (np.ones(len(cols)), (rows, cols)), shape=(len(token_ids), n_cols)
    )
    counts.sum_duplicates()
    counts.sort_indices()
    mine, theirs = float(len(token_ids)), float(len(base))
    passages = mine + theirs
    mean = base._mean_length if base._mean_length is not None else float(lengths.mean())
    mean = (mean * theirs + float(lengths.sum())) / passages
    idf = _idf(passages, np.diff(counts.indptr) + base.frequencies(tokens))
    column = np.repeat(np.arange(n_cols), np.diff(counts.indptr))
    tf, length = counts.data, lengths[counts.indices]
    k1, b = model.k1, model.b
    data = idf[column] * tf / (k1 * ((1 - b) + b * length / mean) + tf)
    scores = model.scores
    model.scores = {
        "data": data.astype(scores["data"].dtype),
        "indices": counts.indices.astype(scores["indices"].dtype),
        "indptr": counts.indptr.astype(scores["indptr"].dtype),
        "num_docs": scores["num_docs"],
    }


def _tokenize(texts: Sequence[str]) -> bm25s.tokenization.Tokenized:
    return bm25s.tokenize(list(texts), stopwords="en", stemmer=_STEMMER, show_progress=False)


class LexicalIndex:
    def __init__(self) -> None:
        self._ids = np.zeros(0, dtype=np.int64)
        self._model: bm25s.BM25 | None = None
        self._mean_length: float | None = None  # tokens per passage (None: not recorded)

    @classmethod
    def build(
        cls, ids: np.ndarray, texts: Sequence[str], *, within: LexicalIndex | None = None
    ) -> LexicalIndex:
        """BM25 over ``texts`` (keyed by ``ids``). ``within``: a larger index these passages
        are searched beside (the delta beside its base): scored with the statistics of both
        together, so that a word is as rare, and a passage as long, as it is in the library,
        and the two indexes' scores rank alike."""
        index = cls()
        index._ids = np.asarray(ids, dtype=np.int64)
        if len(texts):
            tokens = _tokenize(texts)
            model = bm25s.BM25()
            model.index(tokens, show_progress=False)
            lengths = np.array([len(doc) for doc in tokens.ids], dtype=np.float64)
            index._mean_length = float(lengths.mean())
            if within is not None and within._model is not None:
                _score_within(model, tokens.ids, lengths, within)
            index._model = model
        return index

    @classmethod
    def load(cls, directory: Path, *, mmap: bool = False) -> LexicalIndex:
        """The index saved in ``directory``; ``mmap``: its score arrays read from the file
        as pages are needed (a million passages' arrays stay out of the process's memory)."""
        index = cls()
        ids_file = directory / "ids.npy"
        if ids_file.exists():
            index._ids = np.load(ids_file)
            if len(index._ids):
                index._model = bm25s.BM25.load(str(directory), mmap=mmap)
        stats = directory / STATS
        if stats.exists():  # an index an older release wrote has none
            index._mean_length = float(json.loads(stats.read_text())["mean_length"])
        return index

    def frequencies(self, tokens: Sequence[str]) -> np.ndarray:
        """How many of this index's passages hold each token (0 for a token it lacks)."""
        if self._model is None:
            return np.zeros(len(tokens), dtype=np.int64)
        vocab, indptr = self._model.vocab_dict, self._model.scores["indptr"]
        held = np.diff(indptr)  # one column per token id; bm25s's empty token has none
        found = [vocab.get(token, len(held)) for token in tokens]
        return np.array([int(held[t]) if t < len(held) else 0 for t in found], dtype=np.int64)

    def __len__(self) -> int:
        return len(self._ids)

    def ids(self) -> np.ndarray:
        return np.sort(self._ids)

    def search(
        self,
        query: str,
        k: int,
        allowed_ids: np.ndarray | None = None,
        *,
        keep: np.ndarray | None = None,
    ) -> list[tuple[int, float]]:
        """The best ``k`` passages for ``query`` (of ``allowed_ids`` only); ``keep``: a 0/1
        weight per passage in index order (0 hides it: removed since the index was built)."""
        if self._model is None or k <= 0:
            return []
        tokens = _tokenize([query])
        if not tokens.ids or not tokens.ids[0]:
            return []  # the query is only stopwords or punctuation
        mask = keep
        if allowed_ids is not None:
            mask = np.isin(self._ids, allowed_ids).astype(np.float32)
            if keep is not None:
                mask *= keep
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

    def keep_mask(self, hidden: np.ndarray) -> np.ndarray | None:
        """``search``'s ``keep`` for hiding the ids ``hidden`` (None when none is here)."""
        hide = np.isin(self._ids, hidden)
        return None if not hide.any() else (~hide).astype(np.float32)

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
            if self._mean_length is not None:
                (partial / STATS).write_text(json.dumps({"mean_length": self._mean_length}))
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
