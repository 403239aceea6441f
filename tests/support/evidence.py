"""Passages made from sentences and questions asked of them, with the real MiniLM embedder:
shared by the evidence and abstention-rule tests."""

from __future__ import annotations

from pipelines.records import Source
from pipelines.storage.catalog.passages import Passage, PassageSentence
from pipelines.understanding.evidence import gather_evidence
from pipelines.understanding.grounding import embedder

EMBED = embedder("all-MiniLM-L6-v2")


def passage(texts: list[str], source: Source = "speech", video_id: str = "v1") -> Passage:
    vectors = EMBED(texts)
    sentences = tuple(
        PassageSentence(10.0 * i, 10.0 * i + 4.0, text, vectors[i]) for i, text in enumerate(texts)
    )
    return Passage(1, video_id, "Talk", 0.0, 10.0 * len(texts), " ".join(texts), sentences, source)


def ask(question: str, passages: list[Passage]) -> list[str]:
    found = gather_evidence(
        EMBED([question])[0],
        passages,
        min_similarity=0.4,
        limit=6,
        question_text=question,
        embed=EMBED,
    )
    return [e.text for e in found]
