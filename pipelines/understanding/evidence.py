"""The sentences an answer may rest on: those of the retrieved passages that are similar enough
to the question, best first, near-repeats dropped. Each is one citable time range.

"Best" is the similarity to the question, less ``UNINFORMATIVE_PENALTY`` for a sentence that
says little beyond the question's own words: a signpost ("That is all on bicycle lanes."), a
slide's title ("Island ecology lecture"). Those are very similar to a question on their topic
and answer nothing; on the 100 answerable eval questions (``python -m evals.abstention``),
ranking them lower put the right sentence first for 39 of 50 spoken questions instead of 32
(slide questions 47 of 50 either way). A bonus for the question's kind of source (speech for
spoken questions, screen text for figures) was measured too: it lowered spoken questions to 36
of 50, so the source is not used."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from pipelines.records import Source
from pipelines.storage.catalog.passages import Passage


@dataclass(frozen=True)
class Evidence:
    video_id: str
    title: str
    start: float
    end: float
    text: str
    similarity: float  # cosine similarity of the sentence to the question
    source: Source = "speech"  # spoken, or read on screen (a slide)


# Two sentences this similar say the same thing (a repeated sentence, or the overlap that two
# neighbouring passages share): one is enough.
REPEAT_SIMILARITY = 0.95
# A sentence with fewer than NEW_WORDS content words that the question lacks ranks as if this
# much less similar (see the module's docstring for the measurement).
NEW_WORDS = 3
UNINFORMATIVE_PENALTY = 0.15
# A question whose first search hit shares SHARED_WORDS content words with it is about that
# passage even when the embedding doubts it (a paraphrase in other words: "What is on the
# metal plate the spacecraft carries?" scored 0.29 against its own sentence, while off-topic
# questions reached 0.41 and shared at most one word): its best sentences are evidence from
# PARAPHRASE_SIMILARITY on.
SHARED_WORDS = 2
PARAPHRASE_SIMILARITY = 0.25

_WORD = re.compile(r"[a-z]+")
# Function words, and the words talks use to move between topics: they carry no answer.
_STOP = frozenset(
    "a an and are as at be been being by can could did do does for from has have he her his "
    "how i in into is it its many me more most much my no not of on or our she so than that "
    "the their them then there these they this those to us very was we were what when where "
    "which who whom whose why will with would you your also about after before over all let "
    "start topic talk next first finally turn move now today welcome thank thanks lecture "
    "meeting update last one".split()
)


def content_words(text: str) -> frozenset[str]:
    """The words of ``text`` that carry meaning, cut to five letters (lanes/lane, cycling/
    cycle are one word)."""
    return frozenset(w[:5] for w in _WORD.findall(text.lower()) if len(w) > 2 and w not in _STOP)


def gather_evidence(
    question: np.ndarray,
    passages: Sequence[Passage],
    *,
    min_similarity: float,
    limit: int,
    question_text: str = "",
) -> list[Evidence]:
    """Up to ``limit`` sentences of ``passages`` (in search order) at least ``min_similarity``
    similar to the question (unit vectors), best first; a sentence that repeats a better one
    (the same time range, or nearly the same meaning) is left out. With ``question_text``,
    uninformative sentences rank lower, and when nothing reaches ``min_similarity`` but the
    first passage shares ``SHARED_WORDS`` content words with the question, its sentences from
    ``PARAPHRASE_SIMILARITY`` on are the evidence (search ranked it first: the answer is
    there more likely than not)."""
    asked = content_words(question_text) if question_text else None
    kept = _gather(question, passages, min_similarity, limit, asked)
    if kept or asked is None or not passages:
        return kept
    first = passages[0]
    if len(asked & content_words(first.text)) < SHARED_WORDS:
        return kept
    return _gather(question, passages[:1], PARAPHRASE_SIMILARITY, limit, asked)


def _gather(
    question: np.ndarray,
    passages: Iterable[Passage],
    min_similarity: float,
    limit: int,
    asked: frozenset[str] | None,
) -> list[Evidence]:
    scored: list[tuple[float, float, Passage, int]] = []
    for passage in passages:
        if not passage.sentences:
            continue
        similarities = np.stack([s.vector for s in passage.sentences]) @ question
        for i, similarity in enumerate(similarities):
            rank = float(similarity)
            if asked is not None:
                new = content_words(passage.sentences[i].text) - asked
                rank -= UNINFORMATIVE_PENALTY if len(new) < NEW_WORDS else 0.0
            scored.append((rank, float(similarity), passage, i))
    scored.sort(key=lambda item: -item[0])
    kept: list[Evidence] = []
    vectors: list[np.ndarray] = []
    for _, similarity, passage, index in scored:
        if len(kept) == limit:
            break
        if similarity < min_similarity:
            continue
        sentence = passage.sentences[index]
        seen = any(
            e.video_id == passage.video_id and abs(e.start - sentence.start) < 0.01 for e in kept
        )
        if seen or any(float(v @ sentence.vector) >= REPEAT_SIMILARITY for v in vectors):
            continue
        kept.append(
            Evidence(
                video_id=passage.video_id,
                title=passage.title,
                start=round(sentence.start, 2),
                end=round(sentence.end, 2),
                text=sentence.text.strip(),
                similarity=round(similarity, 4),
                source=passage.source,
            )
        )
        vectors.append(sentence.vector)
    return kept
