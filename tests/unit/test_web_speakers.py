"""The Watch tab's speakers (app/web/speakers.py): colours that follow the label, not the name;
turns on the strip; a video without speakers shown as before; a name is text, never markup; a
suggested name asked under its speaker, never shown as the speaker's until confirmed. And the
Search and Ask cards (app/web/render.py, app/web/searching.py): an audio hit's tile, the speaker
filter's "Anyone"."""

from __future__ import annotations

import re

import pytest

from app.web.colours import tones_of
from app.web.page import build_demo
from app.web.render import PICK, render_answer, render_cards
from app.web.searching import ANYONE, chosen_speaker
from app.web.speakers import speakers_html, transcript_html, turns_of, voices_of
from app.web.suggestions import Offer, answer_of
from pipelines.errors import VidscopeError
from pipelines.public import SpeakerPublic
from pipelines.records import Segment


def speaker(label: str, name: str | None, seconds: float, share: float) -> SpeakerPublic:
    return SpeakerPublic(label=label, name=name, shown=name or label, seconds=seconds, share=share)


def line(start: float, end: float, who: str | None, text: str = "words") -> Segment:
    return Segment(start=start, end=end, text=text, speaker=who)


def test_each_line_is_in_its_speakers_colour() -> None:
    speakers = [
        speaker("Speaker 1", None, 20, 0.5),
        speaker("Speaker 2", "Dana", 12, 0.3),
        speaker("Speaker 3", None, 8, 0.2),
    ]
    lines = [line(0, 5, "Speaker 1"), line(5, 9, "Dana"), line(9, 12, "Speaker 3")]
    talks = voices_of(speakers, lines)
    # Dana's colour is her name's (tests/unit/test_speaker_colours.py); the unnamed voices
    # take the first free ones.
    dana = tones_of([("Speaker 2", "Dana")])["Speaker 2"]
    free = [n for n in range(3) if n != dana][:2]
    assert [(t.shown, t.tone, t.renamable) for t in talks] == [
        ("Speaker 1", free[0], True),
        ("Dana", dana, True),
        ("Speaker 3", free[1], True),
    ]
    html = transcript_html("", lines, talks)
    assert f'<button class="vs-line vs-spoken vs-tone-{dana}" data-start="5">' in html
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


def offer(label: str, name: str, title: str | None = "turns") -> Offer:
    return Offer(label, name, 0.9671, "8d1e4b5a6c3f2a9c", title)


def test_a_suggested_name_is_asked_under_its_speaker_and_shown_nowhere_else() -> None:
    speakers = [
        speaker("Speaker 1", None, 20, 0.5),
        speaker("Speaker 2", None, 12, 0.3),
        speaker("Speaker 3", "Sam", 8, 0.2),
    ]
    lines = [line(0, 5, "Speaker 1"), line(5, 9, "Speaker 2"), line(9, 12, "Sam")]
    talks = voices_of(speakers, lines, {"Speaker 2": offer("Speaker 2", "Dana")})
    sam = tones_of([("Speaker 3", "Sam")])["Speaker 3"]  # Sam's colour in every video
    assert sam not in (0, 1)
    assert [(t.shown, t.tone, t.offer and t.offer.name) for t in talks] == [
        ("Speaker 1", 0, None),
        ("Speaker 2", 1, "Dana"),
        ("Sam", sam, None),
    ]
    html = speakers_html(talks, lines, 12.0)
    # Under Speaker 2's row (before Sam's), in Speaker 2's colour: the question, how alike,
    # the video's title (a button that opens it), and the two answers with label and name.
    rows = re.findall(r'class="vs-(talk|suggest) vs-tone-(\d+)"', html)
    assert rows == [("talk", "0"), ("talk", "1"), ("suggest", "1"), ("talk", str(sam))]
    before, asked = html.split('<div class="vs-suggest', 1)
    asked = asked.split('<div class="vs-talk', 1)[0]
    assert [t for t in re.split(r"<[^>]+>", "<" + asked) if t] == [
        "Dana?",
        " 0.97 alike, from ",
        "turns",
        "Yes, Dana",
        "Not Dana",
    ]
    assert '<button type="button" class="vs-from" data-video="8d1e4b5a6c3f2a9c"' in asked
    assert 'data-answer="yes" data-label="Speaker 2" data-name="Dana">Yes, Dana<' in asked
    assert 'data-answer="no" data-label="Speaker 2" data-name="Dana">Not Dana<' in asked
    # Until confirmed, the strip, the chart's names and the transcript keep the label.
    assert "Dana" not in before and "Dana" not in html.split(asked, 1)[1]
    assert "Dana" not in transcript_html("", lines, talks)


def test_a_suggestion_is_text_and_says_when_its_video_is_gone() -> None:
    name = '${alert(1)} "Dana" <b>'
    speakers = [speaker("Speaker 1", None, 9, 1.0), speaker("Speaker 2", None, 1, 0.1)]
    lines = [line(0, 9, "Speaker 1"), line(9, 10, "Speaker 2")]
    html = speakers_html(
        voices_of(speakers, lines, {"Speaker 1": offer("Speaker 1", name, title=None)}),
        lines,
        10.0,
    )
    assert "<b>" not in html and "&quot;Dana&quot; &lt;b&gt;?</strong>" in html
    assert "alike, from another of your videos" in html and "vs-from" not in html


def test_a_lone_voice_shows_only_when_it_has_a_suggestion() -> None:
    lone = [SpeakerPublic(label="Speaker 1", name=None, shown=None, seconds=9, share=1.0)]
    lines = [line(0, 4, None, "hello"), line(4, 9, None, "there")]
    talks = voices_of(lone, lines, {"Speaker 1": offer("Speaker 1", "Dana")})
    assert [(t.shown, t.label, t.renamable) for t in talks] == [("Speaker 1", "Speaker 1", True)]
    html = speakers_html(talks, lines, 9.0)
    assert "vs-strip" not in html and "Yes, Dana" in html  # no turns to draw, the question
    assert "vs-who" not in transcript_html("", lines, talks)  # the lines stay unlabelled
    assert voices_of(lone, lines, {}) == []


def test_only_a_yes_or_a_no_with_its_speaker_and_name_is_an_answer() -> None:
    assert answer_of({"answer": "yes", "label": "Speaker 2", "name": "Dana"}) == (
        True,
        "Speaker 2",
        "Dana",
    )
    assert answer_of({"answer": "no", "label": "Speaker 2", "name": "Dana"})[0] is False
    for sent in (
        None,
        {},
        {"answer": "maybe", "label": "Speaker 2", "name": "Dana"},
        {"answer": "yes", "label": "Speaker 2"},
    ):
        with pytest.raises(VidscopeError) as caught:
            answer_of(sent)
        assert caught.value.code == "web.unknown_event"


def card(picture: bool, video_id: str = "8d1e4b5a6c3f2a9c") -> dict[str, object]:
    return {
        "video_id": video_id,
        "start": 12.5,
        "end": 15.0,
        "clock": "00:12",
        "title": "turns-reply",
        "parts": [{"text": "canal boats", "mark": False}],
        "source": "spoken",
        "speaker": "Dana",
        "picture": picture,
    }


def test_a_hit_without_pictures_shows_the_audio_tile_never_a_thumbnail() -> None:
    # The thumbnail route refuses a recording without pictures (422, media.no_video): asked
    # for, it was a broken image on every audio hit.
    heard = render_cards("", [card(picture=False)])
    assert "<img" not in heard and "/thumbnail" not in heard
    assert '<span class="vs-no-still">' in heard and "Audio only</span>" in heard
    assert 'aria-hidden="true"' in heard  # the icon is decoration; the words say it
    seen = render_cards("", [card(picture=True)])
    assert '<img src="api/v1/videos/8d1e4b5a6c3f2a9c/thumbnail?t=12.5"' in seen
    assert "vs-no-still" not in seen
    # A citation card of an answer is the same card.
    answered = render_answer("", "Boats move at four miles an hour [1].", [card(picture=False)])
    assert "<img" not in answered and "Audio only" in answered
    # A still that fails to load all the same turns into a tile in the page (not a broken
    # image): the cards' script listens for its error.
    assert "addEventListener('error'" in PICK and "vs-no-still" in PICK


def test_the_speaker_filter_reads_anyone_as_no_filter() -> None:
    assert chosen_speaker(ANYONE) is None and chosen_speaker(None) is None
    assert chosen_speaker("  ") is None
    assert chosen_speaker(" Dana ") == "Dana"


def test_the_page_sends_the_chosen_speaker_with_each_search_and_question() -> None:
    demo = build_demo()
    config = demo.get_config_file()
    labels = {c["id"]: c.get("props", {}).get("label") for c in config["components"]}
    sent = {
        dep["api_name"]: [labels[i] for i in dep["inputs"]]
        for dep in config["dependencies"]
        if str(dep.get("api_name", "")).startswith(("search_cards", "answer_cards"))
    }
    assert sent == {
        "search_cards": ["Search your videos", "Who says it"],  # the button
        "search_cards_1": ["Search your videos", "Who says it"],  # Enter in the box
        "answer_cards": ["Ask your videos", "Who says it"],
        "answer_cards_1": ["Ask your videos", "Who says it"],
    }
    filters = [c for c in config["components"] if c.get("props", {}).get("label") == "Who says it"]
    assert [(f["props"]["value"], f["props"]["choices"]) for f in filters] == [
        ("", [("Anyone", "")]),
        ("", [("Anyone", "")]),
    ]
