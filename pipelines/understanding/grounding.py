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
# sentence (or one of its clauses, or a slide line's item) says: the best F1 on
# evals/data/grounding.json, highest of the ties (python -m evals.grounding: precision 0.844
# against hand-written near misses, none of the 2,849 other-evidence pairs kept, recall 0.844).
# Similarity can't tell "approved" from "postponed": numbers and named times are checked
# apart (``facts``).
SUPPORT_THRESHOLD = 0.76


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


_CLAUSE = re.compile(
    r"\s*[,;()\u2013\u2014]\s*|\s+(?=(?:after|because|before|so|when|while|which|where|and|but)\s)",
    re.IGNORECASE,
)
_ITEM = re.compile(
    r"\s*[\u00b7\u2022|]\s*"
)  # the items of a slide's line: "Stops: 18 · Budget: 240"


def clauses(text: str) -> list[str]:
    """``text``, its items when it is a slide's line ("Hourly rate: 3.50 euros"), and its
    clauses of three words or more: a short answer says one clause of a long evidence sentence
    ("The eruption occurred in April 1815." of "Mount Tambora erupted in April 1815, the
    largest eruption in recorded history.")."""
    items = [p.strip() for p in _ITEM.split(text) if p.strip()]
    parts = [p for p in items if len(items) > 1 and len(p.split()) >= 2]
    parts += [p.strip() for p in _CLAUSE.split(text) if len(p.split()) >= 3]
    return list(dict.fromkeys([text, *parts]))


def support(sentences: Sequence[str], evidence: Sequence[str], embed: Embed) -> np.ndarray:
    """(len(sentences), len(evidence)): how well each evidence text says each sentence, the
    best similarity of the sentence to the evidence or to one of its clauses."""
    pieces = [clauses(t) for t in evidence]
    flat = [p for group in pieces for p in group]
    scores = similarities(sentences, flat, embed)
    result = np.zeros((len(sentences), len(evidence)), dtype=np.float32)
    start = 0
    for j, group in enumerate(pieces):
        result[:, j] = scores[:, start : start + len(group)].max(axis=1, initial=-1.0)
        start += len(group)
    return result


def supported(
    sentences: Sequence[str],
    cited_evidence: Sequence[Sequence[str]],
    embed: Embed,
    *,
    threshold: float = SUPPORT_THRESHOLD,
) -> list[bool]:
    """For each of ``sentences`` (written by a model, citation markers and times removed),
    whether the evidence texts it cites (``cited_evidence[i]``) say it: one of them (or one of
    its clauses) is at least ``threshold`` similar, and every number and named time (month,
    day, season) it names is in them (an embedding hardly tells "ten percent" from "thirty
    percent"). A sentence that cites nothing is not supported."""
    if len(sentences) != len(cited_evidence):
        raise ValueError("supported() needs one list of cited evidence per sentence")
    texts = sorted({t for cited in cited_evidence for t in cited})
    scores = support(sentences, texts, embed)
    column = {t: j for j, t in enumerate(texts)}
    return [
        bool(cited)
        and max(float(scores[i, column[t]]) for t in cited) >= threshold
        and facts(sentences[i]) <= set().union(*(facts(t) for t in cited))
        for i, cited in enumerate(cited_evidence)
    ]


class EvidenceSupport:
    """The evidence of one answer or summary, embedded once (with its clauses), against which
    sentences are checked one at a time as a model writes them."""

    def __init__(
        self, evidence: Sequence[str], embed: Embed, *, threshold: float = SUPPORT_THRESHOLD
    ) -> None:
        self.embed = embed
        self.threshold = threshold
        pieces = [clauses(t) for t in evidence]
        self._owner = np.array([j for j, group in enumerate(pieces) for _ in group], dtype=int)
        flat = [p for group in pieces for p in group]
        self._vectors = embed(flat) if flat else np.zeros((0, 0), dtype=np.float32)
        self._facts = [facts(t) for t in evidence]
        self.count = len(evidence)

    def scores(self, sentence: str) -> tuple[np.ndarray, np.ndarray]:
        """(the sentence's unit vector, its support by each evidence text)."""
        vector = np.asarray(self.embed([sentence])[0], dtype=np.float32)
        best = np.full(self.count, -1.0, dtype=np.float32)
        if self.count:
            np.maximum.at(best, self._owner, self._vectors @ vector)
        return vector, best

    def supporting(self, sentence: str, scores: np.ndarray) -> list[int]:
        """The evidence indexes (0-based) that say ``sentence``, best first: those similar
        enough, if the numbers and named times it names are all in them."""
        similar = [
            int(j) for j in np.argsort(-scores, kind="stable") if scores[j] >= self.threshold
        ]
        known = set().union(*(self._facts[j] for j in similar))
        return similar if facts(sentence) <= known else []

    def citing(self, sentence: str, scores: np.ndarray, claimed: Sequence[int]) -> list[int]:
        """The evidence indexes (0-based) ``sentence`` should cite: those of ``claimed`` that
        say it, else the one that says it best (a model often cites the wrong number, or
        none); empty when no evidence says it."""
        backing = self.supporting(sentence, scores)
        return [n for n in claimed if n in backing] or backing[:1]


_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen".split()
)
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_NUMBER_WORDS = {w: n for n, w in enumerate(_ONES)} | {w: 20 + 10 * i for i, w in enumerate(_TENS)}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
# Named times a sentence must not change either (May is left out: "may" is a verb).
_WHEN = frozenset(
    "january february march april june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday spring summer autumn fall "
    "winter noon midnight morning afternoon evening night".split()
)
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[a-z]+", re.IGNORECASE)


def facts(text: str) -> frozenset[str]:
    """The numbers (digits or words: "forty" and "40" are both ``40``) and named times
    (months, days, seasons) ``text`` names: what a sentence must not change from its
    evidence."""
    found: set[str] = set()
    total, current, open_ = 0.0, 0.0, False  # the number being read, in words or digits

    def close() -> None:
        nonlocal total, current, open_
        if open_:
            found.add(_number(total + current))
        total, current, open_ = 0.0, 0.0, False

    for word in (t.lower() for t in _TOKEN.findall(text.replace("-", " "))):
        if word[0].isdigit():
            close()
            current, open_ = float(word.replace(",", "")), True
        elif word in _NUMBER_WORDS and (open_ or word != "one"):  # "one of them" is no fact
            if open_ and current % 10 == 0 and current % 100 and _NUMBER_WORDS[word] >= 10:
                close()  # "twenty thirty" is two numbers
            current, open_ = current + _NUMBER_WORDS[word], True
        elif word == "hundred" and open_:
            current *= 100
        elif word in _SCALES and open_:
            total, current = total + current * _SCALES[word], 0.0
        elif word == "and" and open_:
            continue
        else:
            close()
            if word in _WHEN:
                found.add(word)
    close()
    return frozenset(found)


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


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
_LEADING = r"^(?:(?:at|from|around|about|roughly|near|by|in|after|timestamp|time|the)\s+)+"
_AT_AMOUNT = re.compile(
    rf"\b(?:at|around|about)\s+(?:the\s+)?{_AMOUNT}(?:\s*mark\b)?", re.IGNORECASE
)


def strip_times(text: str, *, said: str = "") -> str:
    """``text`` without the times it names (clock times, "at 2 minutes", "minute 3"): a time
    shown to people comes from a citation, never from a model's words. Durations that are not
    positions in a video ("the run lasts 2 minutes") stay, and so does a time that ``said``
    (the evidence) names itself: "Last departure: 4:30 am" on a slide is a fact to answer with."""
    named = {m.group(0) for m in re.finditer(_CLOCK, said)}
    heard = said.lower()

    def unless_said(match: re.Match[str]) -> str:
        found = match.group(0)
        clocks = re.findall(_CLOCK, found)
        if clocks and all(c in named for c in clocks):
            return found
        if not clocks and re.sub(_LEADING, "", found.lower()).strip() in heard and heard:
            return found
        return ""

    original = text.strip()
    text = _TIMES.sub(unless_said, text)
    text = _AT_AMOUNT.sub(unless_said, text)
    text = re.sub(r"\(\s*\)|\[\s*\]", "", text)
    text = re.sub(r"\s+([.,;:!?])", r"\1", text)
    text = re.sub(r"([,;:])(?=[.!?])", "", text)
    stripped = re.sub(r"[ \t]{2,}", " ", text).strip().lstrip(",;: ")
    if original[:1].isupper() and stripped[:1].islower():
        stripped = stripped[0].upper() + stripped[1:]
    return stripped
