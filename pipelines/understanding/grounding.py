"""Whether a sentence a model wrote is said by the evidence it cites. Answers, summaries, titles
and key points all keep a model's sentence only when ``supported`` says so: its embedding (the
library's sentence embedder, MiniLM) is at least ``SUPPORT_THRESHOLD`` similar to one of the
evidence sentences it cites. The threshold is calibrated on labelled pairs
(``evals/grounding.py``; docs/evals.md has the precision and recall it gives).

Times a model writes are never shown: a time in an answer comes from its citations only
(``strip_times`` removes ``1:05``, ``00:01:05``, "at 2 minutes" and the like)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

# Texts in, unit vectors out, one row per text (inner product is cosine similarity).
Embed = Callable[[Sequence[str]], np.ndarray]

# Cosine similarity (MiniLM) from which a written sentence counts as saying what an evidence
# sentence says. Calibrated by evals/grounding.py.
SUPPORT_THRESHOLD = 0.6


def embedder(model: str, *, threads: int = 0, cache_dir: Path | None = None) -> Embed:
    """The library's sentence embedder as an ``Embed`` (loaded once per process)."""
    from pipelines.retrieval.embed import embed_texts

    return functools.partial(embed_texts, model=model, threads=threads, cache_dir=cache_dir)


def similarities(sentences: Sequence[str], evidence: Sequence[str], embed: Embed) -> np.ndarray:
    """(len(sentences), len(evidence)) cosine similarities, in one call of ``embed``."""
    if not sentences or not evidence:
        return np.zeros((len(sentences), len(evidence)), dtype=np.float32)
    vectors = embed([*sentences, *evidence])
    return np.asarray(vectors[: len(sentences)] @ vectors[len(sentences) :].T, dtype=np.float32)


def supported(
    sentences: Sequence[str],
    cited_evidence: Sequence[Sequence[str]],
    embed: Embed,
    *,
    threshold: float = SUPPORT_THRESHOLD,
) -> list[bool]:
    """For each of ``sentences`` (written by a model, citation markers and times removed),
    whether one of the evidence texts it cites (``cited_evidence[i]``) says it: similarity at
    least ``threshold``. A sentence that cites nothing is not supported."""
    if len(sentences) != len(cited_evidence):
        raise ValueError("supported() needs one list of cited evidence per sentence")
    texts = sorted({t for cited in cited_evidence for t in cited})
    scores = similarities(sentences, texts, embed)
    column = {t: j for j, t in enumerate(texts)}
    return [
        bool(cited) and max(float(scores[i, column[t]]) for t in cited) >= threshold
        for i, cited in enumerate(cited_evidence)
    ]


_CLOCK = r"\d{1,2}(?::\d{2}){1,2}(?:\.\d+)?"
_SPAN = rf"{_CLOCK}(?:\s*(?:-|–|—|to)\s*{_CLOCK})?"
_UNITS = r"(?:hours?|hrs?|minutes?|mins?|seconds?|secs?|s)\b"
_AMOUNT = rf"\d+(?:\.\d+)?\s*{_UNITS}(?:\s*(?:and\s*)?\d+(?:\.\d+)?\s*{_UNITS})*"
_TIMES = re.compile(
    # "at 1:05", "(00:01:05–00:01:09)", "from 1:05 to 1:09", "at 2 minutes (and 5 seconds)",
    # "at minute 3", "2 minutes in", "at the 90 second mark", "timestamp 1:05"
    rf"(?:\b(?:at|from|around|about|roughly|near|by|in|after|timestamp|time)\s+(?:the\s+)?)?"
    rf"(?:{_SPAN}|{_AMOUNT}\s+(?:in(?:to\s+the\s+\w+)?|mark)\b|"
    rf"(?<=\bat\s){_AMOUNT}|(?:minute|second)\s+\d+)"
    rf"(?:\s*mark\b)?",
    re.IGNORECASE,
)
_AT_AMOUNT = re.compile(
    rf"\b(?:at|around|about)\s+(?:the\s+)?{_AMOUNT}(?:\s*mark\b)?", re.IGNORECASE
)


def strip_times(text: str) -> str:
    """``text`` without the times it names (clock times, "at 2 minutes", "minute 3"): a time
    shown to people comes from a citation, never from a model's words. Durations that are not
    positions in a video ("the run lasts 2 minutes") stay."""
    original = text.strip()
    text = _TIMES.sub("", text)
    text = _AT_AMOUNT.sub("", text)
    text = re.sub(r"\(\s*\)|\[\s*\]", "", text)
    text = re.sub(r"\s+([.,;:!?])", r"\1", text)
    text = re.sub(r"([,;:])(?=[.!?])", "", text)
    stripped = re.sub(r"[ \t]{2,}", " ", text).strip().lstrip(",;: ")
    if original[:1].isupper() and stripped[:1].islower():
        stripped = stripped[0].upper() + stripped[1:]
    return stripped
