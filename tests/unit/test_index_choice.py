"""The base's vector index chosen by size (exact below a threshold, IVF with a tuned nprobe
above), memory-mapped on load, and the vectorised BM25 build scoring exactly as bm25s's own.
Real FAISS and bm25s; clustered vectors, as sentence embeddings are."""

from __future__ import annotations

from pathlib import Path

import bm25s
import faiss
import numpy as np
import pytest
import Stemmer

from pipelines.retrieval.layered import NO_IDS, LayeredVectors, LayeredWords, built_whole
from pipelines.retrieval.lexical import LexicalIndex
from pipelines.retrieval.vectors import RECALL, Hidden, VectorIndex, _exact_nearest

DIM = 32


def clustered(count: int, seed: int) -> np.ndarray:
    """Unit vectors around 40 centres (the centres the same for every seed)."""
    centres = np.random.default_rng(0).normal(size=(40, DIM))
    rng = np.random.default_rng(seed)
    rows = centres[rng.integers(0, 40, count)] + 0.25 * rng.normal(size=(count, DIM))
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def top(index: VectorIndex, vector: np.ndarray, k: int = 10, **kwargs: object) -> list[int]:
    return [i for i, _ in index.search(vector, k, **kwargs)]  # type: ignore[arg-type]


def test_a_small_base_is_exact_and_a_large_one_ivf_with_the_recall_asked(tmp_path: Path) -> None:
    vectors = clustered(6000, 1)
    ids = np.arange(6000, dtype=np.int64) * 3 + 5
    small = VectorIndex.built(ids[:900], vectors[:900], exact_below=1000)
    assert small.exact and small.nprobe is None
    large = VectorIndex.built(ids, vectors, exact_below=1000)
    assert not large.exact
    assert large.nprobe is not None and 1 <= large.nprobe < int(np.sqrt(6000))
    assert np.array_equal(large.ids(), ids)
    large.save(tmp_path / "vectors.faiss")
    mapped = VectorIndex.load(tmp_path / "vectors.faiss", mmap=True)
    assert mapped.nprobe == large.nprobe and len(mapped) == 6000
    # Held-out queries of the same distribution: recall@10 against the exact answer.
    asked = clustered(200, 2)
    _, truth = faiss.knn(asked, vectors, 10, metric=faiss.METRIC_INNER_PRODUCT)
    recall = np.mean(
        [len(set(top(mapped, q)) & set(ids[t])) / 10 for q, t in zip(asked, truth, strict=True)]
    )
    assert recall >= RECALL - 0.01
    # Fewer lists probed find less: the tuning chose a value that matters.
    fewer = VectorIndex.load(tmp_path / "vectors.faiss")
    fewer._index.nprobe = 1
    worse = np.mean(
        [len(set(top(fewer, q)) & set(ids[t])) / 10 for q, t in zip(asked, truth, strict=True)]
    )
    assert worse < recall


def test_an_ivf_base_skips_hidden_ids_and_keeps_to_allowed_ones(tmp_path: Path) -> None:
    vectors = clustered(3000, 3)
    ids = np.arange(3000, dtype=np.int64) + 100
    index = VectorIndex.built(ids, vectors, exact_below=1000)
    assert not index.exact
    nearest = top(index, vectors[7])
    assert nearest[0] == 107
    hidden = Hidden(np.array(nearest[:3], dtype=np.int64))
    assert not set(top(index, vectors[7], hidden=hidden)) & set(nearest[:3])
    allowed = np.array([107, 2500, 2600, nearest[1]], dtype=np.int64)
    assert set(top(index, vectors[7], allowed_ids=allowed, hidden=hidden)) == {2500, 2600}
    assert hidden.selector is hidden.selector  # made once, not per query


def test_layered_lengths_count_without_listing_ids() -> None:
    vectors = clustered(400, 4)
    ids = np.arange(400, dtype=np.int64)
    words = ["river budget", "harbour lantern", "orchard quarry"]
    texts = [words[i % 3] for i in range(400)]
    base_vectors, base_words = built_whole(ids[:300], texts[:300], vectors[:300])
    delta = VectorIndex()
    delta.add(ids[300:], vectors[300:])
    # Hidden: two of the base's, and one that was in the delta (removed from it since).
    hidden = np.array([5, 17, 399], dtype=np.int64)
    delta.remove(np.array([399]))
    layered = LayeredVectors(base_vectors.base, delta, hidden)
    assert len(layered) == len(layered.ids()) == 300 - 2 + 99
    lexical = LayeredWords(
        base_words.base, LexicalIndex.build(ids[300:399], texts[300:399]), hidden
    )
    assert len(lexical) == len(lexical.ids()) == 300 - 2 + 99
    assert len(LayeredVectors(base_vectors.base, VectorIndex(), NO_IDS)) == 300


TEXTS = [
    "Hello, world! It's the budget-forecast (2024) for Q3_results.",
    "a b c",
    "the and of",
    "!!",
    "Café résumé naïve — été’s “quoted” text about the budget",
    "日本語 テスト budget x",
    "Don't STOP the forecasting now: 12 ab budgets",
    "\tnew\x1cline a_b harbour\nlanterns",
    "harbour harbour harbour lantern budget",
    "running runs ran the river rivers",
]


ASCII_TEXTS = [text for text in TEXTS if text.isascii()]


# All ASCII, the texts are split as one string per batch (lexical._batch_words); with one
# non-ASCII text, or a text holding the separator character, one by one.
@pytest.mark.parametrize(
    "some",
    [TEXTS, ASCII_TEXTS, [*ASCII_TEXTS, "nul\x00inside budget"]],
    ids=["mixed", "ascii", "ascii-with-nul"],
)
def test_bm25_build_scores_as_bm25s_own_build(some: list[str]) -> None:
    rng = np.random.default_rng(5)
    words = "budget forecast harbour lantern river running quarry meadow signal".split()
    texts = some + [" ".join(rng.choice(words, size=8)) for _ in range(300)]
    ids = np.arange(len(texts), dtype=np.int64) * 7
    ours = LexicalIndex.build(ids, texts)
    stemmer = Stemmer.Stemmer("english")
    theirs = bm25s.BM25()
    theirs.index(
        bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False),
        show_progress=False,
    )
    queries = ["budget forecast", "harbour lanterns", "a_b", "q3_results"]
    for query in queries + (["résumé", "テスト"] if some is TEXTS else []):
        asked = bm25s.tokenize([query], stopwords="en", stemmer=stemmer, show_progress=False)
        docs, scores = theirs.retrieve(asked, k=10, show_progress=False, n_threads=1)
        expected = {int(ids[d]): float(s) for d, s in zip(docs[0], scores[0], strict=True) if s > 0}
        found = dict(ours.search(query, 10))
        assert expected, query
        assert found.keys() == expected.keys(), query
        assert all(abs(found[i] - expected[i]) < 1e-4 for i in found), query


def test_a_memory_mapped_index_copies_into_one_that_changes(tmp_path: Path) -> None:
    vectors = clustered(50, 6)
    index = VectorIndex()
    index.add(np.arange(50), vectors)
    index.save(tmp_path / "vectors.faiss")
    mapped = VectorIndex.load(tmp_path / "vectors.faiss", mmap=True)
    twin = mapped.copy()
    twin.add(np.array([77]), clustered(1, 7))
    twin.remove(np.array([3]))
    assert len(twin) == 50 and 77 in twin.ids() and 3 not in twin.ids()
    assert len(mapped) == 50 and 3 in mapped.ids()


def test_the_tunings_exact_answer_is_a_scan_of_the_float16_codes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """nprobe is tuned against the neighbours an exact scan of the index's own float16 codes
    finds; computed by matrix products over blocks (a block smaller than the library here,
    so the running best is merged across blocks), they are the ones FAISS ranks."""
    import pipelines.retrieval.vectors as vectors_module

    vectors = clustered(5000, 3)
    asked = clustered(50, 4)
    flat = faiss.IndexScalarQuantizer(
        DIM, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT
    )
    flat.add(vectors)
    _, scanned = flat.search(asked, 11)
    monkeypatch.setattr(vectors_module, "_TRUTH_BLOCK", 700)
    ours = _exact_nearest(asked, vectors, 11)
    assert ours.shape == (50, 11)
    same = np.mean([len(set(a) & set(b)) / 11 for a, b in zip(ours, scanned, strict=True)])
    assert same == 1.0
    assert (ours[:, 0] == scanned[:, 0]).all()
