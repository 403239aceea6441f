"""Grounding with the real MiniLM embedder: what a model writes is kept only where its evidence
says it, times it writes are removed, and evidence for a question ranks what answers it first
— including a paraphrase that search ranks first, which must not abstain."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.storage.catalog.passages import Passage, PassageSentence
from pipelines.understanding.evidence import gather_evidence
from pipelines.understanding.grounding import embedder, facts, strip_times, supported

EMBED = embedder("all-MiniLM-L6-v2")
TAMBORA = "Mount Tambora erupted in April 1815, the largest eruption in recorded history."


def test_a_correct_short_answer_is_supported_and_invented_ones_are_not() -> None:
    sentences = [
        "The eruption occurred in April 1815.",  # the word-overlap filter threw this away
        "The eruption occurred in June 1816.",  # a changed date
        "The volcano is now a popular ski resort.",  # invented
        "The eruption occurred in April 1815.",  # right, but cites nothing
    ]
    cited = [[TAMBORA], [TAMBORA], [TAMBORA], []]
    assert supported(sentences, cited, EMBED) == [True, False, False, False]


def test_a_slide_figure_is_supported_by_its_item_of_the_slide() -> None:
    slide = "Parking fees · Hourly rate: 3.50 euros · Revenue goal: 8 million."
    sentences = ["The hourly rate for parking is 3.50 euros.", "The hourly rate is 4 euros."]
    assert supported(sentences, [[slide], [slide]], EMBED) == [True, False]


def test_facts_read_numbers_in_words_and_digits() -> None:
    assert facts("forty kilowatts") == facts("40 kW") == {"40"}
    assert facts("thirty-five degrees, two thousand five hundred people") == {"35", "2500"}
    assert facts("4.2 million in April") == {"4200000", "april"}
    assert facts("one of the largest, and it may rain") == frozenset()


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("At 00:01:05 the budget grows [1].", "The budget grows [1]."),
        ("The budget grows (1:05–1:10) [2].", "The budget grows [2]."),
        ("About 3 minutes in, bees dance.", "Bees dance."),
        ("From 0:12 to 0:20 she speaks of roofs.", "She speaks of roofs."),
        ("It is said at the 90 second mark.", "It is said."),
        ("The panels make 40 kW [1] (at 0:05).", "The panels make 40 kW [1]."),
        # Not a position in the video: kept.
        ("The waggle run lasts 2 minutes [1].", "The waggle run lasts 2 minutes [1]."),
        ("Sales grew 10% in 2023.", "Sales grew 10% in 2023."),
    ],
)
def test_times_a_model_writes_are_removed(written: str, shown: str) -> None:
    assert strip_times(written) == shown


@pytest.mark.parametrize(
    ("written", "said", "shown"),
    [
        # A time the evidence itself names is a fact, not a position in the video.
        ("The last bus leaves at 4:30 am [1].", "Last departure: 4:30 am", None),
        ("The meeting starts at 9:15.", "Doors open at 9:15 for the meeting", None),
        ("The hive is checked after 2 minutes.", "Open the hive after 2 minutes", None),
        # One the evidence does not name is still removed.
        ("Buses are discussed at 1:05 [1].", "Last departure: 4:30 am", "Buses are discussed [1]."),
    ],
)
def test_a_time_the_evidence_names_is_kept(written: str, said: str, shown: str | None) -> None:
    assert strip_times(written, said=said) == (written if shown is None else shown)


def passage(number: int, sentences: list[str], start: float = 0.0) -> Passage:
    vectors = EMBED(sentences)
    return Passage(
        id=number,
        video_id="mars",
        title="Mars mission",
        start=start,
        end=start + 5.0 * len(sentences),
        text=" ".join(sentences),
        sentences=tuple(
            PassageSentence(start + 5.0 * i, start + 5.0 * i + 4.0, text, vector)
            for i, (text, vector) in enumerate(zip(sentences, vectors, strict=True))
        ),
    )


# As the speech recogniser wrote the eval talk (evals/data/eval-talks/eval-mars-mission.mp4):
# "engraved" came out as "won't breathe on", and the question's sentence scores 0.29.
PROBE = passage(
    1,
    [
        "Children's drawings won't breathe on a small metal plate on the probe.",
        "We received more than four thousand drawings from schools.",
    ],
)
LAUNCH = passage(2, ["The launch went well on a clear morning."], start=30.0)


def question(text: str) -> np.ndarray:
    return np.asarray(EMBED([text])[0])


def test_a_paraphrase_search_ranks_first_is_answered_from_that_passage() -> None:
    text = "What is on the metal plate the spacecraft carries?"
    vector = question(text)
    assert float(PROBE.sentences[0].vector @ vector) < 0.4  # under the answers' floor
    evidence = gather_evidence(
        vector, [PROBE, LAUNCH], min_similarity=0.4, limit=6, question_text=text
    )
    assert evidence and evidence[0].text.startswith("Children's drawings")
    # Without the question's words (the old behaviour) it abstained.
    assert gather_evidence(vector, [PROBE, LAUNCH], min_similarity=0.4, limit=6) == []


def test_an_off_topic_question_still_finds_no_evidence() -> None:
    for text in ("What is the recipe for guacamole?", "What is the capital of Peru?"):
        evidence = gather_evidence(
            question(text), [PROBE, LAUNCH], min_similarity=0.4, limit=6, question_text=text
        )
        assert evidence == [], text


def test_a_signpost_ranks_below_the_sentence_that_answers() -> None:
    talk = passage(
        3,
        [
            "That is all on bicycle lanes.",
            "Cycling trips on those streets doubled within six months.",
        ],
    )
    text = "How much did bike journeys grow on the streets that got lanes?"
    evidence = gather_evidence(
        question(text), [talk], min_similarity=0.3, limit=6, question_text=text
    )
    assert evidence[0].text.startswith("Cycling trips")
