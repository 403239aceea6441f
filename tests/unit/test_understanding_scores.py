"""The talk eval's summary coverage (``covered_topics``, real MiniLM embeddings): a sentence
fused of two chapters' sentences ("A; b.") counts for both topics it states, while a list of
chapter titles, a short aside after a semicolon, or one statement counts once at most."""

from __future__ import annotations

import pytest

from evals.understanding_scores import clauses, covered_topics, heard
from pipelines.config import load_settings
from pipelines.understanding.grounding import Embed, embedder

SCRIPT = [
    {"text": "The tram line will run twelve kilometres from the harbour.", "topic": 0},
    {"text": "Construction begins next spring and takes three years.", "topic": 0},
    {"text": "Cycling trips on those streets doubled within six months.", "topic": 1},
    {"text": "We painted protected bike lanes on nine busy streets.", "topic": 1},
    {"text": "Four night bus routes started running in October.", "topic": 2},
    {"text": "Drivers on night routes now work shorter shifts.", "topic": 2},
    {"text": "Good morning, and welcome to the transport update.", "topic": -1},
]


@pytest.fixture(scope="module")
def embed() -> Embed:
    settings = load_settings()
    return embedder(settings.embedding.model, cache_dir=settings.model_cache)


def test_a_sentence_splits_at_semicolons_only_between_statements() -> None:
    fused = "The tram line will run twelve kilometres; four night bus routes started in October."
    assert clauses(fused) == [
        "The tram line will run twelve kilometres",
        "four night bus routes started in October",
    ]
    for whole in (
        "The video has 3 chapters: Trams; Bicycle lanes; Night buses.",  # a list
        "The trams run every six minutes; mostly.",  # an aside, no statement
        "The tram line will run twelve kilometres from the harbour.",
    ):
        assert clauses(whole) == [whole]


def test_a_fused_sentence_covers_both_topics_a_title_list_none(embed: Embed) -> None:
    fused = (
        "The tram line will run twelve kilometres from the harbour; "
        "four night bus routes started running in October."
    )
    assert covered_topics(fused, SCRIPT, embed) == {0, 2}
    # The same two statements with a comma are one sentence about one topic.
    assert len(covered_topics(fused.replace(";", ","), SCRIPT, embed)) == 1
    listed = "The video has 3 chapters: The tram line; Bicycle lanes; Night buses."
    assert covered_topics(listed, SCRIPT, embed) == set()  # its items, split, would cover 2


def test_a_fact_is_heard_only_when_the_lines_in_its_range_hold_it() -> None:
    question = {"kind": "spoken", "ranges": [[9.2, 13.7]], "facts": [["twelve", "12"]]}
    misheard = [(9.0, 13.5, "The tram line will around well kill hunters."), (20.0, 22.0, "12")]
    assert not heard(question, misheard)  # a "12" said elsewhere is not this fact
    assert heard(question, [(9.0, 13.5, "The tram line will run 12 kilometres.")])
    assert heard({**question, "kind": "slide"}, misheard)  # screen text is read, not heard
