"""What a model writes for a summary is kept only where the video says it (real MiniLM
embeddings; the model's replies are given as text, as a model would write them): supported
sentences stay with their citations, a wrong figure or an invented statement is dropped,
times the model writes are removed, and a chapter no kept sentence covers gets its own
extractive sentence. Titles: kept when grounded in their chapter, else the extractive one."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.config import load_settings
from pipelines.records import Segment
from pipelines.understanding.chapters import Outline, outline
from pipelines.understanding.grounding import Embed, embedder
from pipelines.understanding.written import choose_titles, clean_title, excerpts, ground_summary

TEXTS = [
    "The solar panels on the warehouse roof produce forty kilowatts of power.",
    "The solar panels cover most of our electricity in the summer months.",
    "Batteries store the power the solar panels make during the day.",
    "The marketing budget will grow by ten percent next year.",
    "We will spend the marketing budget on video advertising and trade shows.",
    "The marketing budget pays for two new trade show booths.",
    "The new hiring process starts in March.",
    "Candidates for the new jobs complete a short coding exercise.",
    "Each candidate meets the team before the hiring decision.",
]


@pytest.fixture(scope="module")
def embed() -> Embed:
    settings = load_settings()
    return embedder(settings.embedding.model, cache_dir=settings.model_cache)


@pytest.fixture(scope="module")
def found(embed: Embed) -> Outline:
    segments = [Segment(i * 5.0, i * 5.0 + 4.0, t) for i, t in enumerate(TEXTS)]
    made = outline(segments, np.asarray(embed(TEXTS)), 45.0, [])
    assert [a for a, _ in made.spans] == [0, 3, 6]  # three chapters: solar, budget, hiring
    return made


def test_unsupported_sentences_are_dropped_and_uncovered_chapters_filled(
    found: Outline, embed: Embed
) -> None:
    numbered = excerpts(found)
    # Each chapter's excerpts, cited together as a model would: [1][2] for the solar panels.
    cite = {
        n: "".join(f"[{k + 1}]" for k, (m, _) in enumerate(numbered) if m == n) for n in range(3)
    }
    reply = (
        f"The solar panels on the roof cover most of our summer electricity at 0:04 {cite[0]}. "
        f"The marketing budget grows by thirty percent next year {cite[1]}. "
        f"Penguins in Antarctica enjoy the cold {cite[0]}."
    )
    kept = ground_summary(reply, found, numbered, embed)
    texts = [s.text for s in kept]
    assert texts[0] == "The solar panels on the roof cover most of our summer electricity."
    assert not any("thirty" in t or "Penguins" in t for t in texts)  # wrong figure, invented
    # The budget and hiring chapters are covered by their own extractive sentences.
    assert len(kept) == 3 and [s.cites[0][0] for s in kept] == sorted(s.cites[0][0] for s in kept)
    assert {int(s.cites[0][0] // 15) for s in kept} == {0, 1, 2}


def test_a_reply_with_nothing_supported_leaves_the_extractive_summary(
    found: Outline, embed: Embed
) -> None:
    numbered = excerpts(found)
    assert (
        ground_summary("Penguins enjoy the cold [1]. Nothing cites here.", found, numbered, embed)
        == []
    )


def test_a_model_title_is_kept_only_when_grounded_in_its_chapter(
    found: Outline, embed: Embed
) -> None:
    extractive = ["Solar panels", "Marketing budget", "Hiring process"]
    proposed = [
        clean_title('Title: "Solar power on the warehouse roof."'),
        "Quarterly penguin census",  # not said in the chapter
        "The new hiring process starts in March with coding exercises",  # a sentence
    ]
    assert proposed[0] == "Solar power on the warehouse roof"
    titles = choose_titles(found, extractive, proposed, embed)
    assert titles == ["Solar power on the warehouse roof", "Marketing budget", "Hiring process"]


def test_a_sentence_without_its_citation_or_joining_two_excerpts_is_cited_where_said(
    found: Outline, embed: Embed
) -> None:
    # Qwen2.5-1.5B wrote every sentence of its summaries without a [n], and joined a
    # chapter's two excerpts with a comma; each part is checked, and cited where it is said.
    numbered = excerpts(found)
    said = [found.sentences[i] for _, i in numbered]  # solar, solar, budget, budget, hiring…
    joined = f"{said[0].text[:-1]}, {said[1].text[0].lower()}{said[1].text[1:]}"
    reply = (
        f"{joined} {said[3].text} "
        f"{said[4].text[:-1]}, penguins in Antarctica enjoy the cold at the south pole."
    )
    kept = ground_summary(reply, found, numbered, embed)
    by_text = {s.text: s.cites for s in kept}
    assert set(by_text[joined]) == {
        (round(s.start, 2), round(s.end, 2)) for s in (said[0], said[1])
    }
    assert by_text[said[3].text] == ((round(said[3].start, 2), round(said[3].end, 2)),)
    # An invented clause sinks its sentence: the hiring chapter gets its own sentence.
    assert not any("penguins" in t.lower() for t in by_text)
    assert len(kept) == 3
