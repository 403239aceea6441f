"""Answers written by a language model (``language_model.LanguageModel``: a GGUF model on this
CPU, or an OpenAI-compatible server), kept only where the evidence says them.

The model sees the question and the evidence sentences numbered ``[1]``, ``[2]``... with no
times: a time shown to people comes from a citation, never from the model (it copied the
prompt's times wrongly). ``GroundedWriter`` then reads what the model writes sentence by
sentence: times it still writes are removed, each sentence is cited to the evidence that
supports it (``grounding``), and a sentence no evidence supports, or that repeats one already
kept, is dropped. Kept sentences are passed on as soon as they are complete (the web page
streams them), with their citations already numbered as the final answer numbers them."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence

import numpy as np

from pipelines.logs import get_logger
from pipelines.understanding.evidence import Evidence
from pipelines.understanding.generators import Draft, OnToken, cited_numbers
from pipelines.understanding.grounding import Embed, EvidenceSupport, strip_times
from pipelines.understanding.language_model import LanguageModel, Message

log = get_logger(__name__)

SYSTEM = (
    "You answer questions about recorded talks using only the numbered excerpts you are "
    "given. Answer in one to three short sentences. The first sentence answers the question "
    "directly. End each sentence with the number of the excerpt it comes from in square "
    "brackets, like [2]. Never mention times or timestamps. If the excerpts do not answer the "
    "question, say so in one sentence."
)
# A sentence ends at . ! or ? (citations after it belong to it), or at a line break.
# (Not before a "[": while a model streams "1815. [1]", the marker is not complete yet.)
_BOUNDARY = re.compile(r"(?<=[.!?])((?:\s*\[\d{1,3}\])*)[ \t]*(?:\n+|[ \t](?=[^\s\[]))|\n+")
_LEAD_IN = re.compile(
    r"^(?:[-*•]\s+|\d+[.)]\s+|(?:according to|based on|as (?:stated|said|mentioned) in)\s+"
    r"(?:the\s+)?(?:excerpts?|passages?|evidence|talk)(?:\s*\[\d{1,3}\])*\s*,?\s*)",
    re.IGNORECASE,
)
_CITATION = re.compile(r"\s*\[\d{1,3}\]")
_SCREEN_MARK = re.compile(r"\s*\(on screen\)\s*", re.IGNORECASE)  # the prompt's, copied
# Two written sentences this similar say the same thing: the second is a repeat.
REPEAT_SIMILARITY = 0.95


def prompt_for(question: str, evidence: Sequence[Evidence]) -> str:
    """The evidence, numbered as the answer must cite it and without times, then the question.
    Screen text is marked as such (a slide's words are not something anybody said)."""
    lines = [
        f"[{n}] {'(on screen) ' if e.source == 'screen' else ''}{e.text}"
        for n, e in enumerate(evidence, start=1)
    ]
    return "Excerpts:\n" + "\n".join(lines) + f"\n\nQuestion: {question}"


class ModelGenerator:
    """A language model's draft answer (citations as the model wrote them). The model is loaded
    on first use, once (``load``), and answers one question at a time."""

    def __init__(
        self,
        name: str,
        load: Callable[[], LanguageModel],
        *,
        max_tokens: int = 120,
        max_sentences: int = 3,
    ) -> None:
        self.name = name
        self._load = load
        self._model: LanguageModel | None = None
        self._lock = threading.Lock()
        self.max_tokens = max_tokens
        self.max_sentences = max_sentences

    @property
    def model(self) -> LanguageModel:
        with self._lock:
            if self._model is None:
                self._model = self._load()
            return self._model

    def generate(
        self, question: str, evidence: Sequence[Evidence], *, on_token: OnToken | None = None
    ) -> Draft:
        messages = [
            Message("system", SYSTEM),
            Message("user", prompt_for(question, evidence)),
        ]
        written = ""
        stream = self.model.stream(messages, max_tokens=self.max_tokens, stop=("\n\n",))
        try:
            for piece in stream:
                written += piece
                if on_token is not None:
                    on_token(piece)
                # Enough said: a small model left alone repeats itself to the token limit.
                if len(_BOUNDARY.findall(written.rstrip())) >= self.max_sentences:
                    break
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        return Draft(written, cited_numbers(written, len(evidence)), self.name)


class GroundedWriter:
    """Reads a draft piece by piece and keeps its supported sentences (see the module's
    docstring). ``on_text`` gets each kept sentence, citations renumbered, as it is complete;
    joined, those pieces are ``text``. ``order`` is the evidence numbers (1-based) in the order
    the answer cites them: ``[k]`` in ``text`` is ``evidence[order[k - 1] - 1]``."""

    def __init__(
        self,
        evidence: Sequence[Evidence],
        embed: Embed,
        *,
        on_text: OnToken | None = None,
        support: EvidenceSupport | None = None,
    ) -> None:
        self.evidence = evidence
        self.support = support or EvidenceSupport([e.text for e in evidence], embed)
        self.on_text = on_text
        self.text = ""
        self.order: list[int] = []
        self.received = False
        self.dropped: list[str] = []
        self._buffer = ""
        self._kept_vectors: list[np.ndarray] = []

    def feed(self, piece: str) -> None:
        self.received = True
        self._buffer += piece
        while (match := _BOUNDARY.search(self._buffer)) is not None:
            sentence = self._buffer[: match.start()] + (match.group(1) or "")
            self._buffer = self._buffer[match.end() :]
            self._take(sentence)

    def finish(self) -> None:
        """Takes what is left (the last sentence has no boundary after it)."""
        rest, self._buffer = self._buffer, ""
        self._take(rest)

    def _take(self, sentence: str) -> None:
        claimed = cited_numbers(sentence, len(self.evidence))
        bare = _CITATION.sub("", _SCREEN_MARK.sub(" ", sentence))
        plain = _tidy(strip_times(bare, said=" ".join(e.text for e in self.evidence)))
        if len(plain.split()) < 2 or not any(c.isalnum() for c in plain):
            return
        vector, scores = self.support.scores(plain)
        if any(float(v @ vector) >= REPEAT_SIMILARITY for v in self._kept_vectors):
            return
        cited = [n + 1 for n in self.support.citing(plain, scores, [n - 1 for n in claimed])]
        if not cited:
            self.dropped.append(plain)
            log.info("answers.sentence_dropped", sentence=plain[:200])
            return
        numbers = []
        for number in cited:
            if number not in self.order:
                self.order.append(number)
            numbers.append(self.order.index(number) + 1)
        end = plain[-1] if plain[-1] in ".!?" else "."
        body = plain[:-1] if plain[-1] in ".!?" else plain
        marks = "".join(f"[{k}]" for k in numbers)
        piece = f"{' ' if self.text else ''}{body} {marks}{end}"
        self.text += piece
        self._kept_vectors.append(vector)
        if self.on_text is not None:
            self.on_text(piece)


def _tidy(sentence: str) -> str:
    """A sentence as it is shown: no list bullet or "According to the excerpts," lead-in,
    starting with a capital letter."""
    sentence = sentence.strip()
    while (match := _LEAD_IN.match(sentence)) is not None and match.end():
        sentence = sentence[match.end() :].lstrip()
    sentence = re.sub(r"\s+([.,;:!?])", r"\1", sentence).strip(" \t\"'")
    return sentence[:1].upper() + sentence[1:]
