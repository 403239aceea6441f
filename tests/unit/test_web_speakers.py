"""The Watch tab's speakers (app/web/speakers.py): colours that follow the label, not the name;
turns on the strip; a video without speakers shown as before; a name is text, never markup."""

from __future__ import annotations

import re

from app.web.speakers import PALETTE, speakers_html, transcript_html, turns_of, voices_of
from pipelines.public import SpeakerPublic
from pipelines.records import Segment


def speaker(label: str, name: str | None, seconds: float, share: float) -> SpeakerPublic:
    return SpeakerPublic(label=label, name=name, shown=name or label, seconds=seconds, share=share)


def line(start: float, end: float, who: str | None, text: str = "words") -> Segment:
    return Segment(start=start, end=end, text=text, speaker=who)


def test_a_named_speaker_keeps_the_colour_of_its_label() -> None:
    speakers = [
        speaker("Speaker 1", None, 20, 0.5),
        speaker("Speaker 2", "Dana", 12, 0.3),
        speaker("Speaker 3", None, 8, 0.2),
    ]
    lines = [line(0, 5, "Speaker 1"), line(5, 9, "Dana"), line(9, 12, "Speaker 3")]
    talks = voices_of(speakers, lines)
    assert [(t.shown, t.tone, t.renamable) for t in talks] == [
        ("Speaker 1", 0, True),
        ("Dana", 1, True),
        ("Speaker 3", 2, True),
    ]
    html = transcript_html("", lines, talks)
    assert '<button class="vs-line vs-spoken vs-tone-1" data-start="5">' in html
    assert '<span class="vs-who">Dana:</span> words' in html


def test_a_video_without_speakers_shows_its_transcript_as_before() -> None:
    # One voice nobody named: the catalog has its row, its lines carry no speaker.
    lone = [SpeakerPublic(label="Speaker 1", name=None, shown=None, seconds=9, share=1.0)]
    lines = [line(0, 4, None, "hello"), line(4, 9, None, "there")]
    assert voices_of(lone, lines) == []
    assert speakers_html([], lines, 9.0) == ""
    assert transcript_html("", lines, []) == (
        '<div class="vs-lines"><button class="vs-line" data-start="0">'
        '<span class="vs-time">00:00</span>hello</button>'
        '<button class="vs-line" data-start="4"><span class="vs-time">00:04</span>there'
        "</button></div>"
    )


def test_channel_speakers_stored_before_speakers_were_are_counted_from_their_lines() -> None:
    lines = [line(0, 6, "Right"), line(6, 8, "Left"), line(8, 10, "Right")]
    talks = voices_of([], lines)
    assert [(t.shown, t.tone, t.seconds, round(t.share, 2)) for t in talks] == [
        ("Left", 0, 2.0, 0.2),
        ("Right", 1, 8.0, 0.8),
    ]
    assert not any(t.renamable for t in talks)  # the catalog has no row to rename


def test_turns_join_a_speakers_lines_until_a_pause() -> None:
    lines = [
        line(0, 4, "A"),
        line(4.2, 7, "A"),  # goes on
        line(12, 14, "A"),  # after a 5 s pause: a new turn
        line(14, 15, "B"),
        line(15, 16, None),
    ]
    assert turns_of(lines) == [("A", 0, 7), ("A", 12, 14), ("B", 14, 15)]


def test_the_strip_and_chart_place_each_turn_and_escape_names() -> None:
    name = '${alert(1)} "Dana" & co'
    speakers = [speaker("Speaker 1", None, 30, 0.75), speaker("Speaker 2", name, 10, 0.25)]
    lines = [line(0, 30, "Speaker 1"), line(30, 40, name)]
    html = speakers_html(voices_of(speakers, lines), lines, 40.0)
    assert 'style="left:75.000%;width:25.000%"' in html
    assert "&quot;Dana&quot; &amp; co" in html and '"Dana"' not in html
    assert re.findall(r"\d\d:\d\d · \d+%", html) == ["00:30 · 75%", "00:10 · 25%"]
    assert len(PALETTE) == len(set(PALETTE))
