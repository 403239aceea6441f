from __future__ import annotations

import io
import json

import pytest
import srt
import webvtt

from pipelines.errors import QueryError
from pipelines.library import Library


def _video_id(library: Library) -> str:
    return library.local.list_videos()[0].id


def test_srt_round_trip(talk_library: Library) -> None:
    video_id = _video_id(talk_library)
    segments = talk_library.catalog.segments(video_id)
    parsed = list(srt.parse(talk_library.local.transcript(video_id, "srt")))
    assert [p.content for p in parsed] == [s.text for s in segments]
    for cue, segment in zip(parsed, segments, strict=True):
        assert cue.start.total_seconds() == pytest.approx(segment.start, abs=0.001)
        assert cue.end.total_seconds() == pytest.approx(segment.end, abs=0.001)


def test_vtt_round_trip(talk_library: Library) -> None:
    video_id = _video_id(talk_library)
    segments = talk_library.catalog.segments(video_id)
    cues = list(webvtt.from_buffer(io.StringIO(talk_library.local.transcript(video_id, "vtt"))))
    assert [c.text for c in cues] == [s.text for s in segments]
    for cue, segment in zip(cues, segments, strict=True):
        assert cue.start_in_seconds + cue.start_time.milliseconds / 1000 == pytest.approx(
            segment.start, abs=0.001
        )


def test_json_and_txt(talk_library: Library) -> None:
    video_id = _video_id(talk_library)
    payload = json.loads(talk_library.local.transcript(video_id, "json"))
    assert payload[0]["words"][0]["text"] == "Welcome"
    assert all(w["start"] <= w["end"] for s in payload for w in s["words"])
    txt = talk_library.local.transcript(video_id, "txt")
    assert txt.startswith("[00:00:00] Welcome to the quarterly planning meeting.")


def test_unknown_format(talk_library: Library) -> None:
    with pytest.raises(QueryError) as caught:
        talk_library.local.transcript(_video_id(talk_library), "docx")
    assert caught.value.code == "transcript.bad_format"
