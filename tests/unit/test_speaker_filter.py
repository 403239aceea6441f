"""One speaker's sentences in a passage several voices share: the turn a search hit shows and
the sentences an answer filtered by speaker may cite (real MiniLM sentence vectors)."""

from __future__ import annotations

from typing import Any

from pipelines.retrieval.search import said_by, snippet_of, turn_around
from pipelines.storage.catalog import PassageSentence
from pipelines.storage.catalog.passages import Passage
from pipelines.storage.catalog.speakers import speaker_key
from pipelines.understanding.evidence import gather_evidence, turns_said
from tests.support.evidence import EMBED

MEETING = [  # (start, speaker, text): the second voice finishes what the first begins
    (0.0, "Beth", "Good morning, everyone."),
    (2.0, "Dana", "The city council approved four million dollars last week."),
    (6.0, "Beth", "The river road is"),
    (7.5, "Dana", "closed for the marathon in October."),
    (10.0, "Beth", "I will email the traffic office this afternoon."),
    (13.0, "Beth", "I will report back on Thursday."),
]


def _passage() -> Passage:
    vectors = EMBED([text for _, _, text in MEETING])
    sentences = tuple(
        PassageSentence(start, start + 1.5, text, vectors[i], speaker=who, label=f"Speaker {i}")
        for i, (start, who, text) in enumerate(MEETING)
    )
    text = " ".join(s.text for s in sentences)
    return Passage(7, "v1", "Meeting", 0.0, 14.5, text, sentences)


def test_a_turn_ends_where_another_voice_speaks() -> None:
    sentences = _passage().sentences
    beth = speaker_key("beth")
    assert turn_around(sentences, 4, beth) == (4, 5)
    assert turn_around(sentences, 2, beth) == (2, 2)
    assert turn_around(sentences, 0, beth) == (0, 0)
    first, last, text = snippet_of(sentences[4:6], 0, more_before=True)
    assert (first, last) == (0, 1)
    assert (
        text == "…I will email the traffic office this afternoon. I will report back on Thursday."
    )
    assert said_by(sentences[3], speaker_key("ＤＡＮＡ"))  # as names are compared everywhere


def test_a_speakers_evidence_is_mended_within_their_turn_only() -> None:
    passage = _passage()
    beth = speaker_key("Beth")
    turns = turns_said(passage, lambda s: said_by(s, beth))
    assert [(t.id, t.start, t.end) for t in turns] == [
        (7, 0.0, 1.5),
        (7, 6.0, 7.5),
        (7, 10.0, 14.5),
    ]
    assert (
        turns[2].text
        == "I will email the traffic office this afternoon. I will report back on Thursday."
    )
    question = "Why is the river road closed?"

    def evidence(**said: Any) -> list[Any]:
        return gather_evidence(
            EMBED([question])[0],
            [passage],
            min_similarity=0.3,
            limit=6,
            question_text=question,
            embed=EMBED,
            **said,
        )

    found = evidence(said=lambda s: said_by(s, beth))
    # Beth's unfinished line is not finished with her next turn (nor with Dana's words).
    assert all(e.speaker == "Beth" for e in found)
    assert not any("email" in e.text or "marathon" in e.text for e in found), found
    everyone = evidence()
    assert everyone[0].text == "The river road is closed for the marathon in October."


CALL = [  # diarization splits a line where the voice changes, as in meeting.m4a
    (0.0, "Beth", "Good morning, everyone, and welcome to"),
    (2.0, "Dana", "the cycling club's planning call. How long is the new river route?"),
    (6.0, "Beth", "About forty kilometres. It follows the river to the coast."),
    (10.0, "Dana", "Great, thank you."),
]


def test_a_speakers_answer_is_not_lost_to_their_earlier_turn() -> None:
    """Beth answers; asked of Beth alone the question abstained: her turns were read as one
    talk, so her greeting was 'finished' with 'About forty kilometres.' (and dropped as a
    greeting) and her answer lost that sentence as the greeting's tail."""
    vectors = EMBED([text for _, _, text in CALL])
    sentences = tuple(
        PassageSentence(start, start + 1.5, text, vectors[i], speaker=who)
        for i, (start, who, text) in enumerate(CALL)
    )
    call = Passage(3, "v2", "Call", 0.0, 11.5, " ".join(t for _, _, t in CALL), sentences)
    beth = speaker_key("Beth")
    for question in ("How long is the new river route?", "How long is the river route?"):
        vector = EMBED([question])[0]
        everyone = gather_evidence(
            vector, [call], min_similarity=0.4, limit=6, question_text=question, embed=EMBED
        )
        assert everyone[0].speaker == "Beth" and "forty kilometres" in everyone[0].text
        hers = gather_evidence(
            vector,
            [call],
            min_similarity=0.4,
            limit=6,
            question_text=question,
            embed=EMBED,
            said=lambda s: said_by(s, beth),
        )
        assert [e.text for e in hers] == [
            "About forty kilometres. It follows the river to the coast."
        ], question


def test_the_reel_of_the_best_hits_is_sent_the_search_tabs_speaker_filter() -> None:
    from app.web.page import build_demo

    config = build_demo().get_config_file()
    inputs = {dep.get("api_name"): dep["inputs"] for dep in config["dependencies"]}
    query, speaker = inputs["search_cards"]  # what the cards were searched with
    assert inputs["reel_of_results"][:2] == [query, speaker]
