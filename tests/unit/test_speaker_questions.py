"""A question about what one person said is asked of that person's sentences, without the
name (nobody says their own name before each sentence)."""

from __future__ import annotations

import pytest

from pipelines.understanding.speaker_questions import speaker_in_question, without_speaker

NAMES = {"Beth", "Marco", "Dana", "Dana Scully"}


@pytest.mark.parametrize(
    ("question", "speaker", "asked"),
    [
        ("what did Beth say about hiring", "Beth", "what about hiring"),
        ("What did marco say about the budget?", "Marco", "What about the budget?"),
        ("When did Dana say the launch is?", "Dana", "When the launch is?"),
        ("According to Speaker 2, how much is the rent?", "Speaker 2", "how much is the rent?"),
        ("What did Dana Scully propose?", "Dana Scully", "What did propose?"),
        ("What has Beth decided about the office?", "Beth", "What about the office?"),
    ],
)
def test_the_person_asked_about_becomes_the_filter(question: str, speaker: str, asked: str) -> None:
    found = speaker_in_question(question, NAMES)
    assert found is not None and found.casefold() == speaker.casefold()
    assert without_speaker(question, found) == asked


@pytest.mark.parametrize(
    "question",
    [
        "Who is Dana?",  # about Dana, not about Dana's words
        "How big is the budget?",
        "What did Priya say about hiring?",  # nobody of that name in the library
        "Is Marcos coming?",
    ],
)
def test_other_questions_keep_every_speaker(question: str) -> None:
    assert speaker_in_question(question, NAMES) is None


def test_nothing_left_keeps_the_question() -> None:
    assert without_speaker("Dana?", "Dana") == "Dana?"


def test_a_name_typed_in_full_width_letters_is_the_stored_name() -> None:
    """Names are stored as NFKC spells them ("Ｄａｎａ" is "Dana"); questions are read so too."""
    question = "What did Ｄａｎａ say about the budget?"
    assert speaker_in_question(question, ["Dana"]) == "Dana"
    assert without_speaker(question, "Dana") == "What about the budget?"
