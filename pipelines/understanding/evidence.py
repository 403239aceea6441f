"""The sentences an answer may rest on: those of the retrieved passages that are similar enough
to the question, best first, near-repeats dropped. Each is one citable time range."""

from __future__ import annotations

from collections.abc import Iterable
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


def gather_evidence(
    question: np.ndarray, passages: Iterable[Passage], *, min_similarity: float, limit: int
) -> list[Evidence]:
    """Up to ``limit`` sentences of ``passages`` at least ``min_similarity`` similar to the
    question (unit vectors), most similar first; a sentence that repeats a better one (the same
    time range, or nearly the same meaning) is left out."""
    scored: list[tuple[float, Passage, int]] = []
    for passage in passages:
        if not passage.sentences:
            continue
        similarities = np.stack([s.vector for s in passage.sentences]) @ question
        scored += [(float(sim), passage, i) for i, sim in enumerate(similarities)]
    scored.sort(key=lambda item: -item[0])
    kept: list[Evidence] = []
    vectors: list[np.ndarray] = []
    for similarity, passage, index in scored:
        if similarity < min_similarity or len(kept) == limit:
            break
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
