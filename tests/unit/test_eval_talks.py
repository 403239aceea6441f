"""The talk eval's ground truth holds what it claims (evals/eval_talks.py wrote it from
evals/talk_bank*.py): enough questions of every kind, every fact said where the question says
it is and a slide's figures never spoken; and its scoring reads facts as a person would."""

from __future__ import annotations

import json
from collections import Counter

from evals.eval_talks import QUESTIONS, TALK_DIR
from evals.evaluate import STOPWORDS
from evals.talk_bank_more import TALKS
from evals.understanding import parse_generator, selection
from evals.understanding_scores import (
    boundaries_matched,
    cited_sentences,
    holds_facts,
    inside,
    sentences_of,
    tokens,
)


def _manifest(stem: str) -> dict:  # type: ignore[type-arg]
    return json.loads((TALK_DIR / f"{stem}.json").read_text())  # type: ignore[no-any-return]


def test_ten_talks_of_four_to_six_topics_several_voices_and_90_to_180_seconds() -> None:
    assert len(TALKS) >= 10
    for talk in TALKS:
        manifest = _manifest(talk.stem)
        assert 4 <= len(manifest["topics"]) <= 6
        assert 90 <= manifest["duration"] <= 180, talk.stem
        assert len(manifest["voices"]) >= 3
        assert (TALK_DIR / f"{talk.stem}.mp4").stat().st_size < 1_000_000
        assert [t["name"] for t in manifest["topics"]] == [
            s["lines"][0] for s in manifest["slides"][1:]
        ]  # a slide per topic, titled with its name


def test_at_least_120_questions_of_every_kind() -> None:
    asked = json.loads(QUESTIONS.read_text())
    kinds = Counter(q["kind"] for q in asked)
    assert len(asked) >= 120
    assert min(kinds[k] for k in ("spoken", "slide", "near_topic", "off_topic")) >= 20
    assert [q["id"] for q in asked] == list(range(len(asked)))


def test_a_spoken_fact_is_in_its_sentence_and_a_slide_figure_is_never_spoken() -> None:
    asked = json.loads(QUESTIONS.read_text())
    for q in asked:
        if q["kind"] not in ("spoken", "slide"):
            continue
        assert holds_facts(q["source"], q["facts"]), q
        manifest = _manifest(q["talk"])
        if q["kind"] == "slide":
            spoken = " ".join(s["text"] for s in manifest["sentences"])
            assert not holds_facts(spoken, q["facts"]), q  # only reading the slide finds it
            slide = manifest["slides"][q["topic"] + 1]
            assert q["ranges"] == [[slide["start"], slide["end"]]]
            continue
        assert any(
            [s["start"], s["end"]] == q["ranges"][0] and s["text"] == q["source"]
            for s in manifest["sentences"]
        )
        # a paraphrase: at most half the sentence's content words
        content = tokens(q["source"]) - STOPWORDS
        assert len(tokens(q["question"]) & content) <= len(content) / 2, q


def test_facts_are_read_as_written_or_spoken() -> None:
    assert holds_facts("The museum had 412,000 visitors.", [["412000"]])
    assert holds_facts("An hour costs 3.50 euros [1].", [["3.50", "3.5"]])
    assert holds_facts("Two adults and up to 4 children.", [["two", "2"], ["four", "4"]])
    assert not holds_facts("Two adults and some children.", [["two", "2"], ["four", "4"]])
    assert holds_facts("The last bus leaves at 4:30 am.", [["4:30"]])
    assert not holds_facts("It costs 350 euros.", [["3.50"]])


def test_written_sentences_split_without_markers_and_boundaries_match_once() -> None:
    assert sentences_of("It runs 12.5 km [1]. It opens in May [2]. [3]") == [
        "It runs 12.5 km.",
        "It opens in May.",
    ]
    assert cited_sentences("It runs 12.5 km. [1] [2] It opens in May [3]. [4]") == [
        ("It runs 12.5 km.", [1, 2]),
        ("It opens in May.", [3, 4]),
    ]
    assert inside(10.2, 13.0, [[10.0, 12.8]])  # Whisper's times, near the script's
    assert not inside(0.0, 30.0, [[10.0, 14.0]])  # a slide on screen while it was said
    assert not inside(14.0, 18.0, [[10.0, 14.0]])  # the next sentence
    assert boundaries_matched([10.0, 11.0, 40.0], [10.5, 30.0], 5.0) == 1


def test_generators_are_named_as_the_settings_choose_them() -> None:
    assert parse_generator("local:qwen2.5-0.5b") == {
        "VIDSCOPE_ASK_GENERATOR": "local",
        "VIDSCOPE_LLM_LOCAL_MODEL": "qwen2.5-0.5b",
    }
    assert parse_generator("extractive") == {"VIDSCOPE_ASK_GENERATOR": "extractive"}
    for bad in ("local", "openai", "extractive:x"):
        try:
            parse_generator(bad)
        except ValueError as exc:
            assert "extractive or local:<model name>" in str(exc)
        else:
            raise AssertionError(bad)
    stems, asked = selection(quick=True)
    assert len(stems) == 3 and len(asked) == 35
    assert {q["talk"] for q in asked} == {t.stem for t in TALKS} | {None}
