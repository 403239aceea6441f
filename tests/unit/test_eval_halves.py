"""The talk eval reports the questions answer rules were chosen on (talks 1-5, the first half
of the off-topic ones) apart from the held-out rest."""

from __future__ import annotations

import json

from evals.eval_talks import QUESTIONS
from evals.understanding import CHOSEN_TALKS
from evals.understanding_scores import half, halves


def test_talks_one_to_five_and_half_the_off_topic_questions_are_the_chosen_half() -> None:
    asked = json.loads(QUESTIONS.read_text())
    split = [half(q, asked, CHOSEN_TALKS) for q in asked]
    assert split.count("chosen") == 68 and split.count("held_out") == 72
    talks = list(dict.fromkeys(q["talk"] for q in asked if q["talk"]))
    assert {
        q["talk"] for q, h in zip(asked, split, strict=True) if h == "chosen" and q["talk"]
    } == set(talks[:5])


def test_each_half_counts_its_own_errors() -> None:
    rows = [
        {"half": "chosen", "answerable": True, "abstained": True, "right": False},  # error
        {"half": "chosen", "answerable": True, "abstained": False, "right": True},
        {"half": "chosen", "answerable": False, "abstained": True, "right": False},
        {"half": "held_out", "answerable": False, "abstained": False, "right": False},  # error
        {"half": "held_out", "answerable": True, "abstained": False, "right": False},
    ]
    assert halves(rows) == {
        "answer_right_chosen": 0.5,
        "abstain_errors_chosen": 1 / 3,
        "answer_right_held_out": 0.0,
        "abstain_errors_held_out": 0.5,
    }
