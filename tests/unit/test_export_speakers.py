"""A speaker's name in a WebVTT voice span is markup-escaped like the cue text (``<v Tom &
Jerry>`` is not valid WebVTT); SRT and text write the name as it is."""

from __future__ import annotations

from pipelines.records import Segment
from pipelines.speech.export import export_transcript


def test_a_name_with_an_ampersand_is_escaped_in_webvtt() -> None:
    lines = [Segment(0.0, 1.5, "Hello & welcome.", speaker="Tom & Jerry")]
    vtt = export_transcript(lines, "vtt")
    assert "<v Tom &amp; Jerry>Hello &amp; welcome." in vtt
    assert export_transcript(lines, "srt").count("Tom & Jerry: Hello & welcome.") == 1
