from __future__ import annotations

from pathlib import Path

import numpy as np

from pipelines.retrieval.lexical import LexicalIndex
from pipelines.retrieval.vectors import VectorIndex


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def test_vector_index_add_search_remove_and_reload(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    vecs = unit(rng.normal(size=(20, 8)))
    ids = np.arange(100, 120)
    index = VectorIndex()
    index.add(ids, vecs)
    assert index.search(vecs[3], 1)[0][0] == 103
    assert [i for i, _ in index.search(vecs[3], 5, allowed_ids=np.array([110, 111]))] in (
        [110, 111],
        [111, 110],
    )
    index.remove(np.array([103]))
    assert 103 not in [i for i, _ in index.search(vecs[3], 20)]
    index.save(tmp_path / "v.faiss")
    assert not list(tmp_path.glob("*.part"))
    again = VectorIndex.load(tmp_path / "v.faiss")
    assert np.array_equal(again.ids(), np.setdiff1d(ids, [103]))


def test_lexical_index_ranks_and_filters(tmp_path: Path) -> None:
    texts = [
        "the solar panels produce power",
        "marketing budget for next year",
        "hiring engineers in march",
    ]
    index = LexicalIndex.build(np.array([5, 6, 7]), texts)
    assert index.search("panel power", 3)[0][0] == 5  # stemming: panel ~ panels
    assert index.search("budget", 3, allowed_ids=np.array([7])) == []
    assert index.search("the and of", 3) == []  # stopwords only
    index.save(tmp_path / "lex")
    index.save(tmp_path / "lex")  # replacing an existing index works
    loaded = LexicalIndex.load(tmp_path / "lex")
    assert loaded.search("hiring", 1)[0][0] == 7
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lex"]


def test_empty_indexes() -> None:
    assert VectorIndex().search(np.ones(4, dtype=np.float32), 3) == []
    assert LexicalIndex.build(np.zeros(0, dtype=np.int64), []).search("x", 3) == []


def test_vectors_of_another_model_are_refused() -> None:
    from pipelines.errors import VidscopeError

    index = VectorIndex()
    index.add(np.array([1]), unit(np.ones((1, 8))))
    try:
        index.add(np.array([2]), unit(np.ones((1, 4))))
    except VidscopeError as exc:
        assert exc.code == "library.model_mismatch"
    else:
        raise AssertionError("a 4-d vector went into an 8-d index")


def test_the_start_up_check_compares_the_indexes_ids_with_the_catalogs(tmp_path: Path) -> None:
    """Opening a library compares digests, not id arrays: the index's recorded when written,
    the catalog's computed in SQL. They must agree exactly, also across digit counts (ids 9,
    10, 11: numeric order, not text order), and disagree once either side changes."""
    from pipelines.retrieval.indexes import IDS_DIGESTS, SearchIndexes, ids_digest
    from pipelines.storage.catalog import LOCAL_OWNER, Catalog
    from tests.support.catalog import fill

    catalog = Catalog(tmp_path / "c.duckdb")
    owner = catalog.for_owner(LOCAL_OWNER)
    indexes = SearchIndexes(tmp_path / "index")
    assert indexes.in_step_with(owner)  # nothing indexed, nothing in the catalog
    for n in range(12):
        fill(catalog, f"v{n}")
    assert owner.chunk_digest() == ids_digest(owner.chunk_ids().tolist())
    assert max(owner.chunk_ids()) >= 10
    assert not indexes.in_step_with(owner)  # passages the index has not seen
    indexes.rebuild(owner)
    assert indexes.in_step_with(owner)
    assert SearchIndexes(tmp_path / "index").in_step_with(owner)  # from the record on disk

    catalog.begin_delete("v3")  # the catalog changed, the index did not
    assert not SearchIndexes(tmp_path / "index").in_step_with(owner)
    indexes.rebuild(owner)
    record = tmp_path / "index" / "owners" / LOCAL_OWNER / IDS_DIGESTS
    record.write_text("{not json")
    assert not SearchIndexes(tmp_path / "index").in_step_with(owner)
    record.unlink()  # indexes an older release wrote: rebuilt once
    assert not SearchIndexes(tmp_path / "index").in_step_with(owner)
