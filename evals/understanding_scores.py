"""How the talk eval (``evals.understanding``) scores what the library says, question by
question and talk by talk. Every measure compares with the ground truth ``evals.eval_talks``
wrote; similarities are the library's sentence embedder (MiniLM), as ``Embed``.

- An answer is **right** when it does not abstain, one of its citations is in the question's
  video and lies inside a range the question names (at least half of the citation's time,
  the range widened by ``RANGE_SLACK_S``: a slide cited for a spoken fact covers the sentence
  but is not it), and its text holds every fact group (one alternative of each: "twelve|12").
- A sentence of an answer is **unsupported** when its similarity to every evidence sentence it
  cites (its ``[n]`` markers; the answer's citations when it has none) is below
  ``grounding.SUPPORT_THRESHOLD`` — the check the library itself applies, calibrated by
  ``evals/grounding.py``.
- A chapter's title **names its topic** when its similarity to the name of the topic the
  chapter overlaps most is at least ``TITLE_SIMILARITY`` (0.6, the issue's bar).
- A summary **covers** a topic when one of its sentences (or one clause of a sentence fused of
  two, "A; b.") is most similar to a sentence spoken in that topic, at least
  ``ABOUT_SIMILARITY``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from pipelines.understanding.grounding import SUPPORT_THRESHOLD, Embed, similarities

TITLE_SIMILARITY = 0.6
ABOUT_SIMILARITY = 0.5
CLAUSE_WORDS = 5  # digest.MIN_WORDS: the fewest words a quoted sentence has
RANGE_SLACK_S = 0.5
_MARKER = re.compile(r"\s*\[(\d+)\]")


def tokens(text: str) -> set[str]:
    """Lower-case words and numbers; thousands separators dropped ("412,000" -> "412000"),
    decimals kept ("3.50")."""
    text = re.sub(r"(?<=\d)[,.](?=\d{3}\b)", "", text.lower())
    return set(re.findall(r"\d+(?:\.\d+)?|[a-z]+", text))


def holds_facts(text: str, facts: Sequence[Sequence[str]]) -> bool:
    said = tokens(text)
    return all(any(tokens(alt) <= said for alt in group) for group in facts)


def heard(question: dict[str, Any], transcript: Sequence[tuple[float, float, str]]) -> bool:
    """Whether the transcript's lines that overlap the question's ranges hold its facts: a
    spoken fact Whisper misheard ("twelve kilometres" as "around well kill hunters") cannot be
    answered by any answer stage. Slide questions count as heard (screen text is read, not
    heard; its misreadings are rarer and the answer stage can still cite the slide)."""
    if question["kind"] != "spoken":
        return True
    said = " ".join(
        text
        for start, end, text in transcript
        if any(min(end, b) - max(start, a) > 0 for a, b in question["ranges"])
    )
    return holds_facts(said, question["facts"])


def inside(start: float, end: float, ranges: Sequence[Sequence[float]]) -> bool:
    """Whether at least half of [start, end] lies in one of ``ranges`` (each widened by
    ``RANGE_SLACK_S``: Whisper's sentence times are not the script's)."""
    half = max(end - start, 0.0) / 2
    return any(
        min(end, r[1] + RANGE_SLACK_S) - max(start, r[0] - RANGE_SLACK_S) >= half
        and start < r[1] + RANGE_SLACK_S
        and end > r[0] - RANGE_SLACK_S
        for r in ranges
    )


def cited_sentences(text: str) -> list[tuple[str, list[int]]]:
    """The sentences of a written text, each with the citation numbers it carries (markers
    after its full stop, "It opens in May. [2]", are its own), markers removed."""
    out: list[tuple[str, list[int]]] = []
    for part in re.split(r"(?<=[.!?])\s+", text.strip()):
        leading = re.match(r"(?:\s*\[\d+\])+", part)
        if leading and out:  # markers written after the previous sentence's full stop
            out[-1][1].extend(int(n) for n in _MARKER.findall(leading.group()))
            part = part[leading.end() :]
        sentence = _MARKER.sub("", part).strip()
        if re.search(r"\w", sentence):
            out.append((sentence, [int(n) for n in _MARKER.findall(part)]))
    return out


def sentences_of(text: str) -> list[str]:
    """The sentences of a written text, citation markers removed, empty ones dropped."""
    return [sentence for sentence, _ in cited_sentences(text)]


def score_answer(
    question: dict[str, Any], answer: dict[str, Any], video_id: str | None
) -> dict[str, Any]:
    """Right or not, abstained or not, and how many citations lie in the right range."""
    answerable = question["kind"] in ("spoken", "slide")
    cited_in = [
        c["video_id"] == video_id and inside(c["start"], c["end"], question["ranges"])
        for c in answer["citations"]
    ]
    right = (
        answerable
        and not answer["abstained"]
        and any(cited_in)
        and holds_facts(answer["answer"], question["facts"])
    )
    return {
        "answerable": answerable,
        "abstained": bool(answer["abstained"]),
        "right": right,
        "citations": len(cited_in),
        "citations_in_range": sum(cited_in),
    }


def unsupported_sentences(answer: dict[str, Any], embed: Embed) -> tuple[int, int]:
    """(unsupported sentences, sentences) of an answer that did not abstain."""
    if answer["abstained"]:
        return 0, 0
    by_number = {c["number"]: c["text"] for c in answer["citations"]}
    written, cited = [], []
    for sentence, numbers in cited_sentences(answer["answer"]):
        texts = [by_number[n] for n in numbers if n in by_number] or list(by_number.values())
        written.append(sentence)
        cited.append(texts)
    if not written:
        return 0, 0
    from pipelines.understanding.grounding import supported

    kept = supported(written, cited, embed, threshold=SUPPORT_THRESHOLD)
    return kept.count(False), len(kept)


def _topic_at(topics: Sequence[dict[str, Any]], start: float, end: float) -> int | None:
    """The topic a span overlaps most (the first topic reaches back to 0: the intro)."""
    best, best_overlap = None, 0.0
    for k, topic in enumerate(topics):
        low = 0.0 if k == 0 else topic["start"]
        overlap = min(end, topic["end"]) - max(start, low)
        if overlap > best_overlap:
            best, best_overlap = k, overlap
    return best


def score_chapters(
    chapters: Sequence[dict[str, Any]], topics: Sequence[dict[str, Any]], embed: Embed
) -> list[dict[str, Any]]:
    """Per chapter: its title, the topic it overlaps most, their similarity, and whether the
    title names that topic."""
    placed = [(c, _topic_at(topics, c["start"], c["end"])) for c in chapters]
    titles = [c["title"] for c, k in placed if k is not None]
    names = [topics[k]["name"] for _, k in placed if k is not None]
    scores = np.diag(similarities(titles, names, embed)) if titles else np.zeros(0)
    out, n = [], 0
    for chapter, k in placed:
        if k is None:
            out.append(
                {"title": chapter["title"], "topic": None, "similarity": 0.0, "names": False}
            )
            continue
        similarity = float(scores[n])
        n += 1
        out.append(
            {
                "title": chapter["title"],
                "topic": topics[k]["name"],
                "similarity": round(similarity, 3),
                "names": similarity >= TITLE_SIMILARITY,
            }
        )
    return out


def clauses(sentence: str) -> list[str]:
    """The statements of a written sentence: its clauses between semicolons when each is long
    enough to state a fact on its own (``CLAUSE_WORDS``, the fewest a quotable sentence has),
    else the sentence whole. A sentence fused of two ("The reef lost its colour; the weather
    station has kept records since 1912.") is about two topics, and its embedding, an average
    of the two, is near neither's sentences; a list ("Chapters: Seabird colonies; The coral
    reef.") is no statement per item, so it is never split."""
    parts = [part.strip(" .") for part in sentence.split(";")]
    if (
        len(parts) > 1
        and ":" not in parts[0]
        and all(len(part.split()) >= CLAUSE_WORDS for part in parts)
    ):
        return parts
    return [sentence]


def covered_topics(text: str, script: Sequence[dict[str, Any]], embed: Embed) -> set[int]:
    """The topics (indexes) a summary's sentences are about: each sentence's (each of its
    ``clauses``') most similar spoken sentence of the talk, when at least
    ``ABOUT_SIMILARITY``, names its topic."""
    written = [clause for sentence in sentences_of(text) for clause in clauses(sentence)]
    spoken = [s for s in script if s["topic"] >= 0]
    if not written or not spoken:
        return set()
    scores = similarities(written, [s["text"] for s in spoken], embed)
    return {
        int(spoken[int(np.argmax(row))]["topic"])
        for row in scores
        if float(np.max(row)) >= ABOUT_SIMILARITY
    }


def boundaries_matched(found: Sequence[float], truth: Sequence[float], tolerance: float) -> int:
    """Boundaries found within ``tolerance`` of a true one, each true one matched once."""
    left = list(truth)
    matched = 0
    for cut in sorted(found):
        near = [t for t in left if abs(t - cut) <= tolerance]
        if near:
            left.remove(min(near, key=lambda t: abs(t - cut)))
            matched += 1
    return matched


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else 0.0


def half(question: dict[str, Any], asked: Sequence[dict[str, Any]], chosen_talks: int) -> str:
    """``chosen`` for a question of the first ``chosen_talks`` talks (in the order ``asked``
    names them) or of the first half of the off-topic questions, which answer rules were
    chosen on; ``held_out`` for the rest, reported apart so that a rule fitted to the first
    half shows what it does to questions it was not fitted to."""
    if question["talk"] is not None:
        talks = list(dict.fromkeys(q["talk"] for q in asked if q["talk"] is not None))
        return "chosen" if talks.index(question["talk"]) < chosen_talks else "held_out"
    off_topic = [q["id"] for q in asked if q["talk"] is None]
    return "chosen" if off_topic.index(question["id"]) < len(off_topic) / 2 else "held_out"


def halves(rows: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Answers right and abstention errors on each ``half`` of the questions (rows as the
    talk eval keeps them: ``half``, ``answerable``, ``abstained``, ``right``)."""
    out: dict[str, float] = {}
    for name in ("chosen", "held_out"):
        mine = [r for r in rows if r.get("half") == name]
        answerable = [r for r in mine if r["answerable"]]
        wrong = sum(r["abstained"] == r["answerable"] for r in mine)
        right = sum(r["right"] for r in answerable)
        out[f"answer_right_{name}"] = right / len(answerable) if answerable else 0.0
        out[f"abstain_errors_{name}"] = wrong / len(mine) if mine else 0.0
    return out
