"""Chapters where the topic changes (on synthetic sentence embeddings: three topics), titles
without spoken signposts, and the two export formats."""

from __future__ import annotations

import numpy as np

from pipelines.records import Segment
from pipelines.understanding.chapters import (
    Chapter,
    summarize,
    topic_boundaries,
    webvtt_chapters,
    youtube_chapters,
)


def topics(sizes: list[int], seed: int = 0) -> np.ndarray:
    """Unit vectors: each topic's sentences near their own random direction."""
    rng = np.random.default_rng(seed)
    rows = []
    for size in sizes:
        centre = rng.normal(size=32)
        for _ in range(size):
            v = centre + rng.normal(scale=0.35, size=32)
            rows.append(v / np.linalg.norm(v))
    return np.asarray(rows, dtype=np.float32)


def test_boundaries_fall_where_the_topic_changes() -> None:
    vectors = topics([6, 5, 7])
    starts = [i * 10.0 for i in range(len(vectors))]  # a sentence every 10 s
    assert topic_boundaries(vectors, starts, duration=180.0) == [6, 11]


def test_no_chapter_is_shorter_than_the_minimum() -> None:
    vectors = topics([1, 8, 8])  # the first topic is one 3-second sentence
    starts = [i * 3.0 for i in range(len(vectors))]
    cuts = topic_boundaries(vectors, starts, duration=51.0)
    edges = [0.0, *(starts[c] for c in cuts), 51.0]
    assert all(b - a >= 5.0 for a, b in zip(edges, edges[1:], strict=False))
    assert 9 in cuts  # the change from the second topic to the third is still found


def test_a_summary_has_chapters_from_zero_to_the_end_and_three_to_seven_points() -> None:
    vectors = topics([4, 4, 4])
    texts = [f"First, topic {t} says thing {i}." for t in "abc" for i in range(4)]
    segments = [Segment(i * 5.0, i * 5.0 + 4.0, text) for i, text in enumerate(texts)]
    made = summarize(segments, vectors, duration=60.0)
    assert made.chapters[0].start == 0.0 and made.chapters[-1].end == 60.0
    assert [c.start for c in made.chapters] == [0.0, 20.0, 40.0]
    assert all(not c.title.startswith("First") and c.title[0].isupper() for c in made.chapters)
    assert 3 <= len(made.key_points) <= 7
    assert [p.start for p in made.key_points] == sorted(p.start for p in made.key_points)
    assert made.summary.count(".") == 3


def test_chapters_export_for_youtube_and_as_webvtt() -> None:
    chapters = [Chapter(0.0, 75.5, "Solar panels"), Chapter(75.5, 3725.0, "The budget")]
    assert youtube_chapters(chapters) == "0:00 Solar panels\n1:15 The budget\n"
    assert webvtt_chapters(chapters) == (
        "WEBVTT\n\n1\n00:00:00.000 --> 00:01:15.500\nSolar panels\n"
        "\n2\n00:01:15.500 --> 01:02:05.000\nThe budget\n"
    )


def test_titles_lose_spoken_signposts_but_keep_their_words() -> None:
    from pipelines.understanding.chapters import _title

    assert _title("Second, the marketing budget will grow.") == "The marketing budget will grow"
    assert _title("Next quarter we will add batteries.") == "Next quarter we will add batteries"
    assert _title("so the panels pay for themselves") == "The panels pay for themselves"
    assert _title("x " * 40).endswith("…") and len(_title("x " * 40)) <= 60
