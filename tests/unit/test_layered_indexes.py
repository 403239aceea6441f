"""A large library's indexes in layers (pipelines/retrieval/layered.py): a change rebuilds the
delta only; searches see base and delta as one index, ranked as a whole rebuild ranks them;
removed passages never come back; a compaction folds the delta in, keeping what changed while
it ran. Real DuckDB, FAISS and BM25; the layering made to start at any size."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from pipelines.records import Chunk, Segment, Video
from pipelines.retrieval.index_files import DELTA
from pipelines.retrieval.indexes import IDS_DIGESTS, SearchIndexes
from pipelines.retrieval.layered import NO_IDS, LayeredVectors, LayeredWords, built_whole
from pipelines.storage.catalog import LOCAL_OWNER, Catalog, OwnerCatalog

DIM = 16
WORDS = "river budget harbour lantern orchard quarry meadow signal copper violin".split()


def store(catalog: Catalog, video_id: str, texts: list[str], rng: np.random.Generator) -> list[int]:
    """Stores (or stores again) one video whose passages are ``texts``; their chunk ids."""
    catalog.upsert_processing_video(
        Video(
            id=video_id,
            sha256=hashlib.sha256(video_id.encode()).hexdigest(),
            title=video_id,
            status="processing",
            duration=10.0 * len(texts),
            container="mp4",
            media_path=f"media/{video_id}.mp4",
            has_audio=True,
            has_video=True,
            size_bytes=1,
            owner_id=LOCAL_OWNER,
        )
    )
    segments = [Segment(10.0 * i, 10.0 * i + 9.0, text) for i, text in enumerate(texts)]
    chunks = [Chunk(s.start, s.end, s.text, i, i) for i, s in enumerate(segments)]
    vectors = rng.normal(size=(len(texts), DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    catalog.replace_transcript(
        video_id=video_id,
        language="en",
        segments=segments,
        chunks=chunks,
        chunk_vectors=vectors,
        segment_vectors=vectors,
    )
    return [int(i) for i in catalog.for_owner(LOCAL_OWNER).chunk_ids(video_id)]


def texts(rng: np.random.Generator, n: int) -> list[str]:
    return [" ".join(rng.choice(WORDS, size=6)) for _ in range(n)]


def vectors_of(owner: OwnerCatalog, ids: list[int]) -> np.ndarray:
    all_ids, _, vectors = owner.all_chunks()
    return vectors[np.searchsorted(all_ids, ids)]


@pytest.fixture
def library(tmp_path: Path) -> tuple[Catalog, OwnerCatalog, np.random.Generator]:
    rng = np.random.default_rng(3)
    catalog = Catalog(tmp_path / "catalog.duckdb")
    for n in range(20):
        store(catalog, f"v{n:02d}", texts(rng, 10), rng)
    return catalog, catalog.for_owner(LOCAL_OWNER), rng


def added(
    indexes: SearchIndexes, catalog: Catalog, owner: OwnerCatalog, video_id: str, new: list[str]
) -> list[int]:
    """Stores ``video_id`` with passages ``new`` (again, when it was there) and tells the
    indexes, as an ingest does; the new chunk ids."""
    rng = np.random.default_rng(len(video_id) + len(new))
    old = [int(i) for i in owner.chunk_ids(video_id)]
    ids = store(catalog, video_id, new, rng)
    indexes.replace(owner, old_ids=old, new_ids=ids, vectors=vectors_of(owner, ids))
    return ids


def test_a_change_goes_to_the_delta_and_searches_see_one_index(
    tmp_path: Path, library: tuple[Catalog, OwnerCatalog, np.random.Generator]
) -> None:
    catalog, owner, rng = library
    indexes = SearchIndexes(tmp_path / "index", layered_from=0, compact_share=10.0)
    indexes.rebuild(owner)
    base_file = tmp_path / "index" / "owners" / LOCAL_OWNER / "vectors.faiss"
    written = base_file.stat().st_mtime_ns
    new = added(indexes, catalog, owner, "late", ["the zeppelin landed at the quarry"] * 3)
    replaced_old = [int(i) for i in owner.chunk_ids("v03")]
    redone = added(indexes, catalog, owner, "v03", texts(rng, 4))

    snapshot = indexes.snapshot(LOCAL_OWNER)
    assert base_file.stat().st_mtime_ns == written  # the base was not written again
    assert set(snapshot.vectors.delta.ids()) == set(new) | set(redone)
    assert indexes.in_step_with(owner)  # base minus hidden plus delta = the catalog
    assert SearchIndexes(tmp_path / "index").in_step_with(owner)  # and as recorded on disk
    everything = owner.chunk_ids()
    for query_vector in vectors_of(owner, [new[0], redone[0], int(everything[5])]):
        found = [i for i, _ in snapshot.vectors.search(query_vector, 5)]
        assert found[0] in everything and not set(found) & set(replaced_old)
    # Words: the delta's passage is found among the base's, and the old passages never.
    assert {i for i, _ in snapshot.lexical.search("zeppelin", 5)} == set(new)
    hits = snapshot.lexical.search(WORDS[0], 300)
    assert hits and not {i for i, _ in hits} & set(replaced_old)
    # Read back from the files, the same.
    again = SearchIndexes(tmp_path / "index").snapshot(LOCAL_OWNER)
    assert np.array_equal(again.vectors.ids(), snapshot.vectors.ids())
    assert again.lexical.search("zeppelin", 5) == snapshot.lexical.search("zeppelin", 5)


def test_the_deltas_words_are_scored_as_a_whole_rebuild_scores_them(
    tmp_path: Path, library: tuple[Catalog, OwnerCatalog, np.random.Generator]
) -> None:
    """BM25's IDF depends on the whole corpus: 'quarry' is in some of the library's passages,
    but in every passage of a delta of one, and a short passage is short only beside the
    library's. Scored with the base's statistics, the delta's scores are a whole rebuild's."""
    catalog, owner, _ = library
    indexes = SearchIndexes(tmp_path / "index", layered_from=0, compact_share=10.0)
    indexes.rebuild(owner)
    [new] = added(indexes, catalog, owner, "late", ["quarry quarry harbour zeppelin"])
    layered = dict(indexes.snapshot(LOCAL_OWNER).lexical.search("quarry harbour", 400))
    whole = LayeredWords(built_whole(*owner.all_chunks())[1].base)
    rebuilt = dict(whole.search("quarry harbour", 400))
    assert set(layered) == set(rebuilt)
    assert layered[new] == pytest.approx(rebuilt[new], rel=0.01)
    # Scored alone, the one passage's delta takes its words for words every passage has.
    from pipelines.retrieval.lexical import LexicalIndex

    alone = LexicalIndex.build(np.array([new]), ["quarry quarry harbour zeppelin"])
    assert dict(alone.search("quarry harbour", 1))[new] < 0.5 * rebuilt[new]


def test_a_compaction_keeps_what_changed_while_it_ran(
    tmp_path: Path, library: tuple[Catalog, OwnerCatalog, np.random.Generator]
) -> None:
    catalog, owner, rng = library
    indexes = SearchIndexes(tmp_path / "index", layered_from=0, compact_share=10.0)
    indexes.rebuild(owner)
    first = added(indexes, catalog, owner, "early", texts(rng, 3))
    # The compaction reads the catalog now; then more changes land before it publishes.
    generation = indexes._generation[LOCAL_OWNER]
    whole = built_whole(*owner.all_chunks())
    gone = [int(i) for i in owner.chunk_ids("v07")]
    later = added(indexes, catalog, owner, "v07", texts(rng, 2))
    from pipelines.retrieval.indexes import IndexSnapshot

    indexes._fold(owner, IndexSnapshot(*whole), generation)
    snapshot = indexes.snapshot(LOCAL_OWNER)
    assert set(first) <= set(snapshot.vectors.base.ids())  # folded in
    assert set(snapshot.vectors.delta.ids()) == set(later)  # came after: still the delta
    assert set(snapshot.vectors.hidden) == set(gone)  # went after: still hidden
    assert indexes.in_step_with(owner)
    assert not {i for i, _ in snapshot.vectors.search(vectors_of(owner, later)[0], 400)} & set(gone)
    # A whole rebuild meanwhile makes an older compaction's result stale: it is dropped.
    indexes.rebuild(owner)
    indexes._fold(owner, IndexSnapshot(*whole), generation)
    assert indexes.in_step_with(owner)
    assert len(indexes.snapshot(LOCAL_OWNER).vectors.delta) == 0


def test_a_large_delta_is_compacted_and_a_small_library_rebuilt_whole(
    tmp_path: Path, library: tuple[Catalog, OwnerCatalog, np.random.Generator]
) -> None:
    catalog, owner, rng = library
    compacting = SearchIndexes(
        tmp_path / "index", layered_from=0, compact_share=0.05, compact_in_background=False
    )
    compacting.rebuild(owner)
    added(compacting, catalog, owner, "big", texts(rng, 15))  # 15 > 5 % of 200
    folder = tmp_path / "index" / "owners" / LOCAL_OWNER
    assert not (folder / DELTA).exists()
    assert len(compacting.snapshot(LOCAL_OWNER).vectors.delta) == 0
    assert compacting.in_step_with(owner)

    whole = SearchIndexes(tmp_path / "index2")  # 200 passages: below LAYERED_FROM
    whole.rebuild(owner)
    added(whole, catalog, owner, "more", texts(rng, 2))
    assert len(whole.snapshot(LOCAL_OWNER).vectors.delta) == 0
    assert whole.in_step_with(owner)


def test_an_older_release_rebuilds_rather_than_reading_the_base_alone(
    tmp_path: Path, library: tuple[Catalog, OwnerCatalog, np.random.Generator]
) -> None:
    """A release without layers compares the record's top-level digests with the catalog's:
    with a delta they must not match, so it rebuilds instead of serving the base alone."""
    catalog, owner, rng = library
    indexes = SearchIndexes(tmp_path / "index", layered_from=0, compact_share=10.0)
    indexes.rebuild(owner)
    added(indexes, catalog, owner, "late", texts(rng, 2))
    record = json.loads((tmp_path / "index" / "owners" / LOCAL_OWNER / IDS_DIGESTS).read_text())
    assert owner.chunk_digest() not in (record["vectors"], record["words"])
    assert record["delta"]["vectors"] == owner.chunk_digest()


def test_a_damaged_delta_file_is_rebuilt_from_the_catalog(
    tmp_path: Path, library: tuple[Catalog, OwnerCatalog, np.random.Generator]
) -> None:
    catalog, owner, rng = library
    indexes = SearchIndexes(tmp_path / "index", layered_from=0, compact_share=10.0)
    indexes.rebuild(owner)
    new = added(indexes, catalog, owner, "late", texts(rng, 2))
    delta_vectors = tmp_path / "index" / "owners" / LOCAL_OWNER / DELTA / "vectors.faiss"
    data = bytearray(delta_vectors.read_bytes())
    data[-8:] = b"\xff" * 8  # same size, other bytes: it would load as wrong vectors
    delta_vectors.write_bytes(bytes(data))
    fresh = SearchIndexes(tmp_path / "index", layered_from=0)
    snapshot = fresh.usable_snapshot(owner)  # the checksum catches it: rebuilt whole
    assert set(new) <= set(snapshot.vectors.ids()) and fresh.in_step_with(owner)
    assert len(snapshot.vectors.delta) == 0


def test_layers_with_nothing_hidden_or_added_are_the_base() -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(5, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    layered, words = built_whole(
        np.arange(5),
        ["river dam", "copper mine", "violin case", "harbour wall", "meadow grass"],
        vectors,
    )
    assert isinstance(layered, LayeredVectors) and len(layered.hidden) == len(NO_IDS) == 0
    assert layered.search(vectors[2], 1)[0][0] == 2
    assert words.search("violin", 1)[0][0] == 2


def test_a_large_base_is_ivf_memory_mapped_and_layered_as_an_exact_one(
    tmp_path: Path, library: tuple[Catalog, OwnerCatalog, np.random.Generator]
) -> None:
    catalog, owner, rng = library
    for n in range(5):  # 250 passages: enough to tune an IVF index on
        store(catalog, f"w{n}", texts(rng, 10), rng)
    indexes = SearchIndexes(tmp_path / "index", layered_from=0, compact_share=10.0, exact_below=100)
    indexes.rebuild(owner)
    assert not indexes.snapshot(LOCAL_OWNER).vectors.base.exact
    new = added(indexes, catalog, owner, "late", ["the zeppelin landed at the quarry"] * 3)
    replaced_old = [int(i) for i in owner.chunk_ids("v03")]
    redone = added(indexes, catalog, owner, "v03", texts(rng, 5))  # vectors unlike late's
    snapshot = indexes.snapshot(LOCAL_OWNER)
    assert indexes.in_step_with(owner)
    for wanted in (new[0], redone[0], int(owner.chunk_ids("w2")[3])):
        found = [i for i, _ in snapshot.vectors.search(vectors_of(owner, [wanted])[0], 5)]
        assert found[0] == wanted and not set(found) & set(replaced_old)
    # A search kept to some passages finds them wherever they are (every list probed).
    kept = np.array(owner.chunk_ids("w4"), dtype=np.int64)
    far = vectors_of(owner, [new[0]])[0]
    assert {i for i, _ in snapshot.vectors.search(far, 10, kept)} == set(kept.tolist())
    again = SearchIndexes(tmp_path / "index").snapshot(LOCAL_OWNER)  # memory-mapped base
    assert again.vectors.base.nprobe == snapshot.vectors.base.nprobe
    assert np.array_equal(again.vectors.ids(), snapshot.vectors.ids())
    assert again.vectors.search(far, 5) == snapshot.vectors.search(far, 5)


def test_closing_waits_a_bounded_time_and_no_compaction_publishes_after(
    tmp_path: Path, library: tuple[Catalog, OwnerCatalog, np.random.Generator]
) -> None:
    catalog, owner, rng = library
    indexes = SearchIndexes(tmp_path / "index", layered_from=0, compact_share=10.0)
    indexes.rebuild(owner)
    first = added(indexes, catalog, owner, "early", texts(rng, 3))
    generation = indexes._generation[LOCAL_OWNER]
    whole = built_whole(*owner.all_chunks())
    assert indexes.close(timeout=0.1)  # none running
    from pipelines.retrieval.indexes import IndexSnapshot

    indexes._fold(owner, IndexSnapshot(*whole), generation)  # finished after the close
    assert set(indexes.snapshot(LOCAL_OWNER).vectors.delta.ids()) == set(first)  # not folded
    indexes._compact(owner)  # nor does a new one start
    assert LOCAL_OWNER not in indexes._compactions
