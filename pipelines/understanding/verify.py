"""A local model as the answer's verifier: where no sentence is similar enough to answer, the
model is asked whether one a little under the floor does, by drawing the answer from it.

MiniLM puts right paraphrases under the answer floor (0.25-0.39: "What happens to edits made
while there is no connection?" / "Changes are saved on the phone and sync when the signal
returns.") while an off-topic question's best sentence reaches 0.385 ("What is the recipe for
guacamole?" / "We buy green beans directly from two farms in Ethiopia…"), so no threshold
separates them. Asked for the answer "in a few words copied from the sentence, or unknown",
Qwen2.5-Coder 1.5B said "unknown" to the off-topic ones and drew the answer from two right
paraphrases; on the talk eval's 140 questions this took answers right from 83 to 85 % and
answered no near- or off-topic question (docs/evals.md, 2026-12-07 21:15-22:10).

Only sentences under the floor are asked. Asking about the evidence above the floor as well
(under 0.6 similarity) turned away three near-topic answers, but also four right ones ("Launch
mass: 2,100 kg", "Volunteers from the town look after the plant.") on the talks it was not
tried on first: answers right 81 %, so that rule is not kept. Qwen2.5 0.5B answered from what
it knows instead (no "unknown" for any off-topic sentence), so it is no verifier.

A reply counts only when at least half its words are the sentence's, so an answer from the
model's own knowledge ("Mercury", asked which planet is closest to the sun, of a sentence
about a probe's orbits) is not taken for one drawn from the sentence."""

from __future__ import annotations

import re
from collections.abc import Sequence

from pipelines.understanding.evidence import Evidence, stems
from pipelines.understanding.language_model import LanguageModel, Message

FLOOR = 0.25
CANDIDATES = 2
REPLY_TOKENS = 16
SPAN_PROMPT = (
    "Answer the question using only the sentence from a recorded talk. Reply with the answer "
    "in a few words copied from the sentence. If the sentence does not give the answer, "
    "reply: unknown"
)
_UNKNOWN = re.compile(r"^\W*unknown\b", re.IGNORECASE)


def answer_span(model: LanguageModel, question: str, sentence: str) -> str | None:
    """The answer ``model`` draws from ``sentence`` alone, or None: it replied "unknown", or
    fewer than half of its reply's words are the sentence's."""
    reply = model.complete(
        [
            Message("system", SPAN_PROMPT),
            Message("user", f"Sentence: {sentence}\nQuestion: {question}"),
        ],
        max_tokens=REPLY_TOKENS,
    ).strip()
    if not reply or _UNKNOWN.match(reply):
        return None
    words = stems(reply)
    if not words or 2 * len(words & stems(sentence)) < len(words):
        return None
    return reply


def verified(
    model: LanguageModel,
    question: str,
    evidence: Sequence[Evidence],
    under_floor: Sequence[Evidence],
) -> list[Evidence]:
    """The evidence an answer rests on after the model's check (empty: abstain): ``evidence``
    as it is when there is any; otherwise the first of ``under_floor`` (the first passage's
    sentences from ``FLOOR`` on, best first; ``CANDIDATES`` asked at most) that the model
    draws the answer from."""
    if evidence:
        return list(evidence)
    for candidate in under_floor[:CANDIDATES]:
        if answer_span(model, question, candidate.text) is not None:
            return [candidate]
    return []
