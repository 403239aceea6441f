from __future__ import annotations

from typing import Any

import pytest

from pipelines.errors import NotFoundError, QueryError
from pipelines.library import Library


@pytest.mark.parametrize(
    ("query", "sentence"),
    [
        ("how much electricity does the roof generate", 1),
        ("commercials on video and trade fairs", 4),
        ("how much will we spend on marketing", 3),
        ("when do we start recruiting new staff", 5),
        ("programming test for job applicants", 6),
    ],
)
def test_paraphrased_query_lands_on_the_right_sentence(
    talk_library: Library, talk_manifest: dict[str, Any], query: str, sentence: int
) -> None:
    expected = talk_manifest["sentences"][sentence]
    top = talk_library.local.search(query, k=3)[0]
    assert top.source == "speech" and top.title == "talk"
    assert abs(top.start - expected["start"]) <= 0.5
    assert top.passage_start <= top.start < top.end <= top.passage_end


def test_hits_are_ranked_and_filtered(talk_library: Library) -> None:
    hits = talk_library.local.search("budget", k=10)
    assert 1 <= len(hits) <= 10
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    video_id = hits[0].video_id
    assert all(
        h.video_id == video_id for h in talk_library.local.search("budget", video_id=video_id)
    )


def test_unknown_video_filter_and_empty_query(talk_library: Library) -> None:
    with pytest.raises(NotFoundError) as missing:
        talk_library.local.search("budget", video_id="nope")
    assert missing.value.code == "video.not_found"
    with pytest.raises(QueryError):
        talk_library.local.search("  ")


def test_empty_library_finds_nothing(library: Library) -> None:
    assert library.local.search("anything at all") == []
