"""The who-said-each-word eval's score: voices mapped one to one, most shared words first."""

from __future__ import annotations

from evals.speaker_words import with_constants, words_right
from pipelines.records import Segment, Word


def _line(speaker: str, *times: float) -> Segment:
    words = tuple(Word(t, t + 0.3, "w") for t in times)
    return Segment(times[0], times[-1] + 0.3, "w " * len(times), words, speaker)


def test_a_voice_heard_as_two_counts_its_smaller_part_wrong() -> None:
    truth = [(0.0, 5.0, "A"), (5.0, 10.0, "B")]
    heard = [
        _line("Speaker 1", 0.5, 1.5, 2.5),
        _line("Speaker 3", 3.5),
        _line("Speaker 2", 6.0, 7.0),
    ]
    assert words_right(heard, truth) == (5, 6)


def test_a_copy_of_the_rules_changes_only_itself() -> None:
    from pipelines.speech import speaker_turns

    copy = with_constants({"CHANGE_SEARCH_S": -1.0})
    assert copy.CHANGE_SEARCH_S == -1.0
    assert speaker_turns.CHANGE_SEARCH_S == 0.6
