"""The test talk's summary, key points and chapters from the real transcript: chapter
boundaries where its topics change (tests/data/talk.json: solar, budget, hiring), kept in the
catalog and made again after the video is ingested again."""

from __future__ import annotations

from typing import Any

from pipelines.library import Library
from pipelines.services.summary_service import STORED_AS
from tests.support.library import TALK


def test_chapters_start_where_the_talk_changes_topic(
    talk_library: Library, talk_manifest: dict[str, Any]
) -> None:
    [video] = talk_library.local.list_videos()
    made = talk_library.local.summary(video.id)
    sentences = talk_manifest["sentences"]
    budget, hiring = sentences[3]["start"], sentences[5]["start"]
    starts = [c.start for c in made.chapters]
    assert starts[0] == 0.0 and made.chapters[-1].end == round(video.duration, 2)
    assert len(starts) == 3, made.chapters
    assert abs(starts[1] - budget) <= 2.0 and abs(starts[2] - hiring) <= 2.0, starts
    assert 3 <= len(made.key_points) <= 7 and made.summary
    vtt = talk_library.local.chapters(video.id, "vtt")
    assert vtt.startswith("WEBVTT") and vtt.count(" --> ") == 3


def test_the_summary_is_made_in_the_ingest_job_and_again_on_reingest(library: Library) -> None:
    mine = library.local
    [result] = list(mine.ingest([TALK]))
    # Made by the ingest itself (its "summary" stage) and stored with the transcript: the
    # first request reads it, even for a long video.
    fingerprint, stored = mine._catalog.stored_summary(result.video_id, method=STORED_AS)
    assert stored is not None
    first = mine.summary(result.video_id)
    assert first.model_dump_json() == stored and first.chapters
    again = mine.ingest_file(TALK, force=True)
    assert again.status == "indexed"
    refreshed, stored_again = mine._catalog.stored_summary(result.video_id, method=STORED_AS)
    assert refreshed != fingerprint and stored_again is not None  # made from the new transcript
    assert mine.summary(result.video_id).chapters == first.chapters  # same talk, same chapters
