"""One small interface for everything that writes an answer from evidence: ``generate`` gets the
question and numbered evidence sentences and returns text that cites them as ``[n]``. The
extractive generator needs no model; the others (``openai_chat``) are pluggable."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from pipelines.understanding.evidence import Evidence

MARKER = re.compile(r"\[(\d{1,3})\]")  # a citation: [n]

# Called with each piece of an answer's text as it is written (the web page streams them).
OnToken = Callable[[str], None]


@dataclass(frozen=True)
class Draft:
    """What a generator wrote, and the evidence numbers (1-based) it cites, in order."""

    text: str
    cited: tuple[int, ...]
    generator: str
    fell_back: str | None = None  # why another generator's answer was replaced by this one


class Generator(Protocol):
    name: str

    def generate(
        self, question: str, evidence: Sequence[Evidence], *, on_token: OnToken | None = None
    ) -> Draft:
        """The draft; ``on_token`` gets its text piece by piece as it is written (a generator
        that writes it all at once calls it once)."""
        ...


def cited_numbers(text: str, available: int) -> tuple[int, ...]:
    """The ``[n]`` markers of ``text`` that name real evidence (1..available), first use order.
    A number outside that range is a citation the writer invented: it is not returned."""
    seen: list[int] = []
    for match in MARKER.finditer(text):
        number = int(match.group(1))
        if 1 <= number <= available and number not in seen:
            seen.append(number)
    return tuple(seen)


def strip_invented(text: str, available: int) -> str:
    """``text`` without the markers that name no evidence."""

    def keep(match: re.Match[str]) -> str:
        return match.group(0) if 1 <= int(match.group(1)) <= available else ""

    kept = re.sub(r"\s+([.,;:!?])", r"\1", MARKER.sub(keep, text))
    return re.sub(r"[ \t]{2,}", " ", kept).strip()


class ExtractiveGenerator:
    """The answer is the best supporting sentences themselves, best first (so the first
    sentence is the one that answers), each followed by its citation. No model; nothing is
    invented."""

    name = "extractive"

    def __init__(self, max_sentences: int = 3) -> None:
        self.max_sentences = max_sentences

    def generate(
        self, question: str, evidence: Sequence[Evidence], *, on_token: OnToken | None = None
    ) -> Draft:
        chosen = range(min(self.max_sentences, len(evidence)))  # evidence comes best first
        parts = [f"{_sentence(evidence[i].text)} [{i + 1}]" for i in chosen]
        text = " ".join(parts)
        if on_token is not None:
            on_token(text)
        return Draft(text, tuple(i + 1 for i in chosen), self.name)


def _sentence(text: str) -> str:
    """A transcript piece shown as a sentence: a capital first letter, and a full stop where
    the recogniser left a comma, a dash or nothing."""
    text = text.strip()
    text = text[:1].upper() + text[1:]
    if text.endswith((".", "!", "?", "…")):
        return text
    return text.rstrip(",;:-– ") + "."
