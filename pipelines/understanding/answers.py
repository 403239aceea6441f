"""An answer to a question about a library: retrieved evidence → a generator's draft → only
the sentences the evidence supports, with citations that name real evidence, renumbered in
order of use. With no evidence similar enough to the question the answer abstains — it says
so plainly and cites nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from pipelines.clock import clock
from pipelines.records import Source
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
from pipelines.understanding.grounding import Embed
from pipelines.understanding.model_answers import GroundedWriter

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
    source: Source = "speech"  # spoken, or read on screen (a slide)
    speaker: str | None = None  # who says it, as transcripts show it

    @property
    def label(self) -> str:
        """``title @ mm:ss–mm:ss``: how every face names the cited moment."""
        return f"{self.title} @ {clock(self.start)}–{clock(self.end)}"


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    citations: tuple[Citation, ...]
    abstained: bool
    generator: str
    fell_back: str | None = None  # why the configured generator's answer was not used
    unsupported: tuple[str, ...] = ()  # sentences the model wrote that no evidence supports


def compose_answer(
    question: str,
    evidence: Sequence[Evidence],
    generator: Generator,
    *,
    embed: Embed | None = None,
    on_token: OnToken | None = None,
) -> Answer:
    """The answer to ``question`` from ``evidence`` (best first). A model-written answer keeps
    only the sentences the evidence supports (``model_answers.GroundedWriter``, which needs
    ``embed``); with none left it is the extractive answer, saying why (``fell_back``).
    ``on_token`` gets the answer's text piece by piece; joined, the pieces are
    ``Answer.answer``."""
    if not evidence:
        if on_token is not None:
            on_token(ABSTAINED)
        return Answer(question, ABSTAINED, (), True, generator.name)
    if generator.name == ExtractiveGenerator.name:
        return _extractive(question, evidence, generator.generate(question, evidence), on_token)
    if embed is None:
        raise ValueError("a model-written answer needs embed, to check it against its evidence")
    writer = GroundedWriter(evidence, embed, on_text=on_token)
    draft = generator.generate(question, evidence, on_token=writer.feed)
    if draft.generator == ExtractiveGenerator.name:  # it fell back itself (a server failed)
        return _extractive(question, evidence, draft, on_token)
    if not writer.received:
        writer.feed(draft.text)
    writer.finish()
    if not writer.order:
        reason = f"no sentence of the {draft.generator} answer was supported by the passages"
        fallback = ExtractiveGenerator().generate(question, evidence)
        draft = Draft(fallback.text, fallback.cited, fallback.generator, reason)
        answer = _extractive(question, evidence, draft, on_token)
        return replace(answer, unsupported=tuple(writer.dropped))
    return Answer(
        question,
        writer.text,
        _citations(evidence, writer.order),
        False,
        draft.generator,
        draft.fell_back,
        tuple(writer.dropped),
    )


def _extractive(
    question: str, evidence: Sequence[Evidence], draft: Draft, on_token: OnToken | None
) -> Answer:
    cited = cited_numbers(draft.text, len(evidence))
    renumber = {old: new for new, old in enumerate(cited, start=1)}
    text = MARKER.sub(
        lambda m: f"[{renumber[int(m.group(1))]}]", strip_invented(draft.text, len(evidence))
    )
    if on_token is not None:
        on_token(text)
    return Answer(
        question, text, _citations(evidence, cited), False, draft.generator, draft.fell_back
    )


def _citations(evidence: Sequence[Evidence], order: Sequence[int]) -> tuple[Citation, ...]:
    """Citation ``[k]`` for ``evidence[order[k - 1] - 1]``."""
    return tuple(
        Citation(
            number=k,
            video_id=evidence[old - 1].video_id,
            title=evidence[old - 1].title,
            start=evidence[old - 1].start,
            end=evidence[old - 1].end,
            text=evidence[old - 1].text,
            source=evidence[old - 1].source,
            speaker=evidence[old - 1].speaker,
        )
        for k, old in enumerate(order, start=1)
    )
