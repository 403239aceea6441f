"""Near-topic questions that abstain and typed questions that find their answer (issue 25,
item 4; measured on the talk eval, docs/evals.md) — with the real MiniLM embedder."""

from __future__ import annotations

import pytest

from pipelines.understanding import answer_kinds
from pipelines.understanding.evidence import signpost
from tests.support.evidence import ask, passage


@pytest.mark.parametrize(
    ("text", "greets"),
    [
        ("The Lord, everyone, this is the museum renewal of the year.", True),  # as heard
        ("Hi all, everyone, welcome.", True),
        ("Right, everyone.", True),
        ("Good news, everybody, the museum reopens in May.", False),  # says something
        ("Well, everyone, the results are in: revenue rose 18 percent.", False),
        ("The museum thanks everyone who volunteered this year.", False),
        ("Everyone on the board, from the chair to the clerk, signed it.", False),
        ("Next, the coral reef.", True),
        ("Finally, soil hills.", True),  # as heard
        ("And finally, tasting sessions.", True),
        ("Finally, the probe carries a small metal plate.", False),
        ("Next year the line reaches the university.", False),
    ],
)
def test_a_greeting_or_a_topic_announced_is_a_signpost(text: str, greets: bool) -> None:
    assert signpost(text) is greets


def test_a_misheard_greeting_does_not_name_the_person_asked_for() -> None:
    talk = passage(
        [
            "The Lord, everyone, this is the museum renewal of the year.",
            "The museum welcomed more visitors this year than in any year since it opened.",
        ]
    )
    assert ask("Who is the director of the museum?", [talk]) == []
    named = passage(["The museum is run by its director, Helen Marsh, since 2019."])
    assert ask("Who is the director of the museum?", [talk, named]) == [named.sentences[0].text]


@pytest.mark.parametrize(
    "question",
    [
        "What are the museum's opening hours on Mondays?",
        "What are the opening hours?",
        "During what hours is the pool open?",
    ],
)
def test_a_question_for_hours_asks_for_clock_times(question: str) -> None:
    assert answer_kinds.expected(question) == "clock"


def test_opening_hours_are_not_answered_by_a_busy_morning() -> None:
    talk = passage(
        [
            "Sunday mornings were the busiest time of the week.",
            "The museum welcomed more visitors this year than in any year since it opened.",
        ]
    )
    question = "What are the museum's opening hours on Mondays?"
    assert ask(question, [talk]) == []
    hours = passage(["On Mondays the museum opens from 10 am to 4 pm."])
    assert ask(question, [talk, hours]) == [hours.sentences[0].text]


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How much does a monthly tram pass cost?", "money"),
        ("How much did the council spend on the new lanes?", "money"),
        ("What price did the cooperative get for its milk?", "money"),
        ("What fee do visitors pay when they land?", "money"),
        ("How much rainfall did the island get this year?", "number"),  # an amount, not a price
    ],
)
def test_a_question_for_a_price_asks_for_money(question: str, kind: str) -> None:
    assert answer_kinds.expected(question) == kind


def test_a_price_is_not_answered_by_another_figure_on_the_topic() -> None:
    question = "How much does a monthly tram pass cost?"
    talk = passage(["The tram line will run 12 kilometers from the harbor to the university."])
    # The title shares the topic with the question; the item's label does not: the budget of
    # the line is not the price of a pass.
    slide = passage(["The new tram line · Stops: 18 · Budget: 240 million euros"], source="screen")
    assert ask(question, [slide, talk]) == []
    fares = passage(["Fares · Monthly pass: 49 euros · Single ticket: 2 euros"], source="screen")
    assert ask(question, [slide, talk, fares]) == ["Fares · Monthly pass: 49 euros"]


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("In which country was the giant skeleton dug up?", "place"),
        ("Which countries do the raw beans come from?", "place"),
        ("What city will host the final?", "place"),
        ("Where does the island's fresh water rise?", None),  # "high up in the valley"
    ],
)
def test_a_question_for_a_country_or_city_asks_for_a_name(question: str, kind: str) -> None:
    assert answer_kinds.expected(question) == kind


def test_a_place_asked_for_is_found_below_the_floor_and_a_figure_is_not_one() -> None:
    question = "In which country was the giant skeleton dug up?"
    slide = passage(["The dinosaur hall · Skeleton length: 26 m"], source="screen")
    # As Whisper heard it: 0.37 like the question, under the 0.4 floor, and it names a place.
    heard = passage(
        ["It sent the pieces as candidate of a long neck to study upon founding Argentina."]
    )
    assert ask(question, [slide, heard]) == [heard.sentences[0].text]
    # A sentence as similar that names no place is not evidence below the floor.
    unnamed = passage(["It sent the pieces as candidate of a long neck to study upon founding."])
    assert ask(question, [slide, unnamed]) == []
