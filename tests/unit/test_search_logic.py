from __future__ import annotations

import numpy as np
import pytest

from pipelines.errors import QueryError
from pipelines.retrieval.search import best_sentence, check_query, fuse_rankings, make_snippet
from pipelines.storage.catalog import PassageSentence


def test_rrf_sums_reciprocal_ranks() -> None:
    fused = dict(fuse_rankings([[1, 2, 3], [3, 1]], rrf_k=60))
    assert fused[1] == pytest.approx(1 / 61 + 1 / 62)
    assert fused[3] == pytest.approx(1 / 63 + 1 / 61)
    assert fused[2] == pytest.approx(1 / 62)
    assert [doc for doc, _ in fuse_rankings([[1, 2, 3], [3, 1]])] == [1, 3, 2]


def test_document_in_both_lists_beats_top_of_one() -> None:
    assert fuse_rankings([[7, 8], [9, 8]])[0][0] == 8


def _sentences(*texts: str) -> list[PassageSentence]:
    return [
        PassageSentence(float(i), i + 0.9, t, np.eye(4, dtype=np.float32)[i % 4])
        for i, t in enumerate(texts)
    ]


def test_best_sentence_is_most_similar() -> None:
    query = np.array([0, 0, 1, 0], dtype=np.float32)
    assert best_sentence(_sentences("a", "b", "c", "d"), query)[0] == 2


def test_snippet_centres_on_best_sentence_and_marks_cuts() -> None:
    sentences = _sentences(*(f"sentence number {i} " + "word " * 10 for i in range(10)))
    snippet = make_snippet(sentences, 5, max_chars=120)
    assert "sentence number 5" in snippet
    assert snippet.startswith("…") and snippet.endswith("…")
    assert len(snippet) <= 122


def test_whole_passage_fits_without_ellipsis() -> None:
    assert make_snippet(_sentences("One.", "Two."), 0) == "One. Two."


@pytest.mark.parametrize(
    ("query", "code"), [("   ", "query.empty"), ("x" * 1001, "query.too_long")]
)
def test_bad_queries(query: str, code: str) -> None:
    with pytest.raises(QueryError) as caught:
        check_query(query)
    assert caught.value.code == code
