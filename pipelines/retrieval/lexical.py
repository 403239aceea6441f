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
import re
import shutil
from collections import defaultdict
from collections.abc import Callable, Sequence
from itertools import chain, count
from pathlib import Path

import bm25s
import numpy as np
import scipy.sparse
import Stemmer
from bm25s.stopwords import STOPWORDS_EN

from pipelines.storage.faults import storage_full
from pipelines.storage.files import fsync_path

_STEMMER = Stemmer.Stemmer("english")
_SPLIT = re.compile(r"(?u)\b\w\w+\b").findall  # bm25s.tokenize's word pattern
# Every ASCII character that is not a word character (\w), to a space (``_words``).
_NOT_WORD = str.maketrans({chr(c): " " for c in range(128) if not (chr(c).isalnum() or c == 95)})
# Between the texts of a batch joined into one string (``_batch_words``): not a word character
# nor a space (str.split would drop it), so no text's word holds it and it is a word of its
# own; spaces around it, because str.translate keeps its fast path only for one character
# to one character.
_SEPARATOR = "\x00"
_NOT_WORD_BUT_SEPARATOR = str.maketrans(
    {chr(c): " " for c in range(1, 128) if not (chr(c).isalnum() or c == 95)}
)
_STOPWORDS = frozenset(STOPWORDS_EN)  # bm25s's stopwords="en"
_BATCH = 50_000  # passages split at a time: their words, as strings, are held only that long
STATS = "stats.json"  # beside bm25s's files: the mean passage length, for a delta's scores


def _idf(passages: float, holding: np.ndarray) -> np.ndarray:
    """BM25's (Lucene's) inverse document frequency."""
    return np.log(1.0 + (passages - holding + 0.5) / (holding + 0.5))


def _tokenize(texts: Sequence[str]) -> bm25s.tokenization.Tokenized:
    """A query's tokens, as bm25s makes them (``_passage_tokens`` makes the same for many)."""
    return bm25s.tokenize(list(texts), stopwords="en", stemmer=_STEMMER, show_progress=False)


def _words(text: str) -> list[str]:
    """``text``'s words, lower case: those of two characters or more are bm25s.tokenize's (its
    pattern, ``\\b\\w\\w+\\b``, matches whole runs of word characters). An ASCII text is
    split by ``str.split`` after every other character becomes a space: four times faster than
    the regex engine, and the same runs (one-letter ones are dropped by ``_passage_tokens``)."""
    lowered = text.lower()
    return lowered.translate(_NOT_WORD).split() if lowered.isascii() else _SPLIT(lowered)


def _batch_words(
    batch: Sequence[str], number: Callable[[str], int]
) -> tuple[np.ndarray, np.ndarray]:
    """The words of ``batch`` (``_words`` of each text, in order) numbered by ``number``, and
    how many each text has. ASCII texts are joined into one string, lowered, translated and
    split by three C calls, a separator word marking where each text ends: a list per text
    cost the split and, as containers, the garbage collector's passes over millions of them
    (20 % of the build); strings are not tracked."""
    joined = f" {_SEPARATOR} ".join(batch) + f" {_SEPARATOR}"
    if joined.isascii() and joined.count(_SEPARATOR) == len(batch):
        split = joined.lower().translate(_NOT_WORD_BUT_SEPARATOR).split()
        numbered = np.fromiter(map(number, split), dtype=np.int64, count=len(split))
        ends = numbered == number(_SEPARATOR)
        counts = np.diff(np.flatnonzero(ends), prepend=-1) - 1
        return numbered[~ends], counts
    words = [_words(text) for text in batch]
    flat = list(chain.from_iterable(words))
    numbered = np.fromiter(map(number, flat), dtype=np.int64, count=len(flat))
    return numbered, np.array([len(w) for w in words], dtype=np.int64)


def _passage_tokens(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """The tokens ``bm25s.tokenize`` makes of ``texts`` (lower case, its word pattern, English
    stopwords out, then stemmed), as (passage number, token id) per token and the vocabulary.
    bm25s walks every token in Python (109 s for 10^6 passages); here the texts are split in
    C, each word numbered by one dict lookup in C (a new word numbered by the dict itself),
    and each distinct word judged and stemmed once."""
    numbers: defaultdict[str, int] = defaultdict(count().__next__)
    parts = [np.zeros(0, dtype=np.int64)]
    counts = np.empty(len(texts), dtype=np.int64)
    for start in range(0, len(texts), _BATCH):
        batch = texts[start : start + _BATCH]
        numbered, counts[start : start + len(batch)] = _batch_words(batch, numbers.__getitem__)
        parts.append(numbered)
    words = list(numbers)  # in the order they were numbered
    vocab: dict[str, int] = {}
    stem_of = np.array(
        [
            -1 if len(word) < 2 or word in _STOPWORDS else vocab.setdefault(stem, len(vocab))
            for word, stem in zip(words, _STEMMER.stemWords(words), strict=True)
        ],
        dtype=np.int64,
    )
    passages = np.repeat(np.arange(len(texts), dtype=np.int64), counts)
    tokens = stem_of[np.concatenate(parts)]
    kept = tokens >= 0
    return passages[kept], tokens[kept], vocab


def _model(
    passages: np.ndarray,
    tokens: np.ndarray,
    vocab: dict[str, int],
    size: int,
    within: LexicalIndex | None,
) -> tuple[bm25s.BM25, float]:
    """A bm25s model of ``size`` passages holding these tokens, with the scores bm25s's
    Lucene variant gives them (same k1 and b), computed as sparse-matrix arithmetic; and the
    mean passage length. ``within``: the index these passages are searched beside; scored as
    if in one index with it (IDF from both indexes' passage and document counts, length
    normalised by both indexes' mean passage length)."""
    model = bm25s.BM25()
    columns = len(vocab)
    counts = scipy.sparse.csc_matrix(
        (np.ones(len(tokens), dtype=np.float32), (passages, tokens)), shape=(size, columns)
    )
    counts.sum_duplicates()
    counts.sort_indices()
    lengths = np.bincount(passages, minlength=size).astype(np.float64)
    mean = float(lengths.mean())
    mine, holding = float(size), np.diff(counts.indptr).astype(np.float64)
    if within is not None and within._model is not None:
        theirs = float(len(within))
        base_mean = within._mean_length if within._mean_length is not None else mean
        mean = (base_mean * theirs + float(lengths.sum())) / (mine + theirs)
        holding = holding + within.frequencies(sorted(vocab, key=vocab.__getitem__))
        mine += theirs
    idf = _idf(mine, holding)
    column = np.repeat(np.arange(columns), np.diff(counts.indptr))
    tf, length = counts.data.astype(np.float64), lengths[counts.indices]
    k1, b = model.k1, model.b
    data = idf[column] * tf / (k1 * ((1 - b) + b * length / mean) + tf)
    model.scores = {
        "data": data.astype(model.dtype),
        "indices": counts.indices.astype(model.int_dtype),
        "indptr": counts.indptr.astype(model.int_dtype),
        "num_docs": size,
    }
    if "" not in vocab:  # bm25s's empty token: in the vocabulary, with no column
        vocab[""] = columns
    model.vocab_dict = vocab
    model.unique_token_ids_set = set(vocab.values())
    model.nonoccurrence_array = None
    return model, float(lengths.mean())


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
            passages, tokens, vocab = _passage_tokens(texts)
            index._model, index._mean_length = _model(passages, tokens, vocab, len(texts), within)
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
