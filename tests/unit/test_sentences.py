"""Whisper's lines regrouped into sentences by their words' times."""

from __future__ import annotations

import pytest

from pipelines.records import Segment, Word
from pipelines.speech.sentences import LONG_WORDS, sentences


def line(*timed: tuple[float, str], speaker: str | None = None) -> Segment:
    """A line of words, each 0.3 s long, starting at the given times."""
    words = tuple(Word(start, start + 0.3, text) for start, text in timed)
    return Segment(words[0].start, words[-1].end, " ".join(w for _, w in timed), words, speaker)


def test_a_sentence_split_over_two_lines_is_one_line_with_its_own_times() -> None:
    whisper = [
        line((36.6, "Divers"), (37.0, "found"), (37.4, "corals"), (37.8, "faster"), (38.2, "than")),
        line((38.8, "the"), (39.1, "shallow"), (39.4, "ones."), (40.0, "Volunteers"),
             (40.4, "plant"), (40.8, "corals."), (41.5, "Next,"), (41.9, "the"), (42.2, "reef.")),
    ]  # fmt: skip
    found = sentences(whisper)
    assert [(s.start, pytest.approx(s.end), s.text) for s in found] == [
        (36.6, 39.7, "Divers found corals faster than the shallow ones."),
        (40.0, 41.1, "Volunteers plant corals."),
        (41.5, 42.5, "Next, the reef."),
    ]


def test_a_long_pause_ends_a_sentence_and_a_title_does_not() -> None:
    found = sentences(
        [line((1.0, "Ask"), (1.4, "Dr."), (1.8, "Smith"), (4.0, "about"), (4.4, "it."))]
    )
    assert [s.text for s in found] == ["Ask Dr. Smith", "about it."]


def test_unpunctuated_speech_keeps_whisper_breaks_once_long() -> None:
    first = line(*((float(i), "word") for i in range(LONG_WORDS)))
    second = line((40.0, "more"), (40.4, "words"))
    found = list(sentences([first, second]))
    assert [len(s.words) for s in found] == [LONG_WORDS, 2]


def test_speakers_and_lines_without_spaced_words_stay_apart() -> None:
    left = line((1.0, "Hello"), (1.4, "there"), speaker="Left")
    right = line((1.9, "Hi."), speaker="Right")
    chinese = Segment(3.0, 4.0, "你好世界", (Word(3.0, 3.5, "你好"), Word(3.5, 4.0, "世界")))
    found = list(sentences([left, right, chinese]))
    assert [(s.text, s.speaker) for s in found] == [
        ("Hello there", "Left"),
        ("Hi.", "Right"),
        ("你好世界", None),
    ]
    assert found[2] is chinese
