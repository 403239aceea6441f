"""An answer to a question about a library: retrieved evidence → a generator's draft → only
the citations that name real evidence, renumbered in order of use. With no evidence similar
enough to the question the answer abstains — it says so plainly and cites nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pipelines.understanding.evidence import Evidence
from pipelines.understanding.generators import (
    MARKER,
    Draft,
    ExtractiveGenerator,
    Generator,
    OnToken,
    cited_numbers,
    strip_invented,
)

ABSTAINED = (
    "Nothing in your library answers this closely enough, so there is no answer to cite. "
    "Try other words, or search for it."
)


@dataclass(frozen=True)
class Citation:
    number: int  # the [n] in the answer's text
    video_id: str
    title: str
    start: float
    end: float
    text: str

    @property
    def label(self) -> str:
        """``title @ mm:ss–mm:ss``: how every face names the cited moment."""
        return f"{self.title} @ {minutes(self.start)}–{minutes(self.end)}"


def minutes(seconds: float) -> str:
    """m:ss (h:mm:ss from an hour on), truncated to the second like a player's clock."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    citations: tuple[Citation, ...]
    abstained: bool
    generator: str
    fell_back: str | None = None  # why the configured generator's answer was not used


def compose_answer(
    question: str,
    evidence: Sequence[Evidence],
    generator: Generator,
    *,
    on_token: OnToken | None = None,
) -> Answer:
    """The answer to ``question`` from ``evidence`` (best first). ``on_token`` gets the
    answer's text piece by piece; joined, the pieces are the returned ``Answer.answer``."""
    answer = _compose(question, evidence, generator)
    if on_token is not None:
        on_token(answer.answer)
    return answer


def _compose(question: str, evidence: Sequence[Evidence], generator: Generator) -> Answer:
    if not evidence:
        return Answer(question, ABSTAINED, (), True, generator.name)
    draft = generator.generate(question, evidence)
    cited = cited_numbers(draft.text, len(evidence))
    if not cited:  # answers must cite: a draft that cites no evidence is not shown
        fallback = ExtractiveGenerator().generate(question, evidence)
        reason = draft.fell_back or f"the {draft.generator} answer cited none of the passages"
        draft = Draft(fallback.text, fallback.cited, fallback.generator, reason)
        cited = draft.cited
    renumber = {old: new for new, old in enumerate(cited, start=1)}
    text = MARKER.sub(
        lambda m: f"[{renumber[int(m.group(1))]}]", strip_invented(draft.text, len(evidence))
    )
    citations = tuple(
        Citation(
            number=renumber[old],
            video_id=evidence[old - 1].video_id,
            title=evidence[old - 1].title,
            start=evidence[old - 1].start,
            end=evidence[old - 1].end,
            text=evidence[old - 1].text,
        )
        for old in cited
    )
    return Answer(question, text, citations, False, draft.generator, draft.fell_back)
