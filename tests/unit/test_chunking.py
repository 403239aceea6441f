from __future__ import annotations

from pipelines.config import load_settings
from pipelines.records import Segment, Word
from pipelines.retrieval.chunking import ChunkOptions, build_chunks

DEFAULTS = ChunkOptions.from_settings(load_settings())


def seg(start: float, end: float, text: str = "x") -> Segment:
    words = (Word(start + 0.1, start + 0.5, "a"), Word(end - 0.5, end - 0.2, "b"))
    return Segment(start=start, end=end, text=text, words=words)


def test_empty_transcript_has_no_chunks() -> None:
    assert build_chunks([], DEFAULTS) == []


def test_short_transcript_is_one_chunk_bounded_by_words() -> None:
    chunks = build_chunks([seg(1, 4, "one"), seg(5, 9, "two")], DEFAULTS)
    assert len(chunks) == 1
    assert (chunks[0].start, chunks[0].end) == (1.1, 8.8)
    assert chunks[0].text == "one two"


def test_chunks_respect_target_max_and_overlap() -> None:
    segments = [seg(i * 5.0, i * 5.0 + 4.5, f"s{i}") for i in range(24)]  # 2 minutes
    options = ChunkOptions(min_s=15, target_s=30, max_s=45, overlap_s=5)
    chunks = build_chunks(segments, options)
    assert len(chunks) > 3
    for chunk in chunks:
        assert chunk.start < chunk.end
        assert chunk.end - chunk.start <= options.max_s
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert b.first_segment == a.last_segment  # one trailing segment is shared
        assert b.start < a.end
    assert chunks[-1].last_segment == len(segments) - 1  # nothing is dropped
    assert chunks[0].first_segment == 0


def test_segment_longer_than_max_becomes_its_own_chunk() -> None:
    chunks = build_chunks(
        [seg(0, 60), seg(61, 65)], ChunkOptions(min_s=1, target_s=2, max_s=3, overlap_s=0.5)
    )
    assert [(c.first_segment, c.last_segment) for c in chunks] == [(0, 0), (1, 1)]


def test_short_tail_is_merged_into_previous_chunk() -> None:
    segments = [seg(0, 14), seg(15, 29), seg(30, 33)]
    chunks = build_chunks(segments, ChunkOptions(min_s=15, target_s=25, max_s=45, overlap_s=0))
    assert [(c.first_segment, c.last_segment) for c in chunks] == [(0, 2)]
