"""Titles and a summary written by a language model, kept only where the video says them.

The model starts from the extractive pass (``chapters``): the same chapters, each chapter's
most central sentences and the slide titles shown in it. A title it proposes is kept when it
is 2-7 words, at least half its content words are the chapter's own, and it is as close to
the chapter (MiniLM) as the extractive title; else the extractive title stays. The summary
is written from numbered excerpts; each sentence must be said by the excerpts it cites, or by
others (``saying``: a missing or wrong ``[n]`` is re-pointed, a sentence joining two excerpts
is checked clause by clause, each against ``grounding.SUPPORT_THRESHOLD`` and the numbers and
named times it names), times it writes are removed, unsupported sentences are dropped,
and a chapter no kept sentence covers gets its extractive sentence. With nothing kept, or
more than five sentences needed, the extractive summary stands."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from pipelines.logs import get_logger
from pipelines.records import Chunk, Segment
from pipelines.understanding.chapters import (
    MAX_SUMMARY,
    Outline,
    Summary,
    SummarySentence,
    outline,
)
from pipelines.understanding.digest import as_quote, quotable
from pipelines.understanding.grounding import Embed, EvidenceSupport, strip_times
from pipelines.understanding.language_model import LanguageModel, Message
from pipelines.understanding.titles import (
    MAX_WORDS,
    MIN_WORDS,
    SCREEN_LINE_JOIN,
    STOPWORDS,
    slide_title,
)
from pipelines.understanding.topics import centrality

log = get_logger(__name__)

TITLE_SENTENCES = 8  # a chapter's most central sentences shown to the model for its title
EXCERPTS_PER_CHAPTER = 2
TITLE_SYSTEM = (
    "You write the title of one chapter of a recorded talk: a short noun phrase of 2 to 5 "
    "words that names its topic in the talk's own words, like 'Solar panels' or 'Marketing "
    "budget'. Never a sentence. No quotes, no full stop, nothing else."
)
SUMMARY_SYSTEM = (
    "You summarise a recorded talk from numbered excerpts. Write 2 to 5 plain sentences that "
    "together mention every chapter. End each sentence with the numbers of the excerpts it "
    "is based on in square brackets, like [2] or [1][4]. Use only what the excerpts say. "
    "Write no times and nothing else."
)
_CITE = re.compile(r"\[(\d+)\]")
# Where a written sentence joins two statements: a comma or semicolon and a space.
_CLAUSE_BREAK = re.compile(r"[,;]\s+")
MIN_CLAUSE_WORDS = 3
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=\])\s+(?=[A-Z])")
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")


def write_summary(
    extractive: Summary,
    segments: Sequence[Segment],
    vectors: np.ndarray,
    duration: float,
    screens: Sequence[Chunk],
    *,
    model: LanguageModel,
    embed: Embed,
    progress: Callable[[float], None] = lambda fraction: None,
) -> tuple[Summary, str]:
    """(the summary, ``model.name`` when any of its text was kept, else ``extractive``)."""
    found = outline(segments, vectors, duration, screens)
    titles = [c.title for c in extractive.chapters]
    proposed = []
    for n, (a, b) in enumerate(found.spans):
        proposed.append(_propose_title(model, found, a, b, n))
        progress(0.1 + 0.6 * (n + 1) / len(found.spans))
    kept_titles = choose_titles(found, titles, proposed, embed)
    sentences = _write_sentences(model, found, kept_titles, embed) or list(extractive.sentences)
    progress(1.0)
    chapters = tuple(
        replace(c, title=t) for c, t in zip(extractive.chapters, kept_titles, strict=True)
    )
    wrote = kept_titles != titles or tuple(sentences) != extractive.sentences
    made = Summary(
        " ".join(s.text for s in sentences), extractive.key_points, chapters, tuple(sentences)
    )
    return made, model.name if wrote else "extractive"


def _propose_title(model: LanguageModel, found: Outline, a: int, b: int, n: int) -> str:
    scores = centrality(found.vectors[a:b])
    central = sorted(np.argsort(-scores, kind="stable")[:TITLE_SENTENCES])
    slides = [s.text.split(SCREEN_LINE_JOIN, 1)[0] for s in found.screens[n]]
    said = "\n".join(f"- {found.sentences[a + int(i)].text}" for i in central)
    shown = f"Slide titles shown: {'; '.join(slides)}\n" if slides else ""
    reply = model.complete(
        [
            Message("system", TITLE_SYSTEM),
            Message("user", f"{shown}What is said in the chapter:\n{said}\n\nTitle:"),
        ],
        max_tokens=16,
        stop=("\n",),
    )
    return clean_title(reply)


def clean_title(reply: str) -> str:
    """The title in a model's reply: its first line without a label, quotes or end mark."""
    line = (reply.strip().splitlines() or [""])[0]
    line = re.sub(r"^(chapter\s*)?title\s*[:\-]\s*", "", line, flags=re.IGNORECASE)
    return line.strip(" \"'*`#").rstrip(".!?:;,").strip()


def content_words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text) if w.lower() not in STOPWORDS and len(w) > 2}


def choose_titles(
    found: Outline, extractive: Sequence[str], proposed: Sequence[str], embed: Embed
) -> list[str]:
    """Each chapter's proposed title where it is grounded in the chapter (see the module's
    docstring), else its extractive title; no two the same. A slide's title stays: the
    speaker's own title for the chapter is stronger evidence than any model's."""
    centroids = np.vstack([found.vectors[a:b].sum(axis=0) for a, b in found.spans])
    centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-9)
    titled = embed([*proposed, *extractive])
    near = np.einsum("ij,ij->i", titled[: len(proposed)], centroids)
    near_extractive = np.einsum("ij,ij->i", titled[len(proposed) :], centroids)
    chosen: list[str] = []
    for n, ((a, b), title) in enumerate(zip(found.spans, proposed, strict=True)):
        own = content_words(" ".join(s.text for s in found.sentences[a:b]))
        own |= content_words(" ".join(s.text for s in found.screens[n]))
        words = content_words(title)
        slide = slide_title(found.screens[n], found.sentences[b - 1].end - found.sentences[a].start)
        grounded = (
            slide != extractive[n]
            and MIN_WORDS <= len(title.split()) <= MAX_WORDS
            and bool(words)
            and len(words & own) >= 0.5 * len(words)
            and near[n] >= near_extractive[n] - 0.05
            and title.lower() not in {c.lower() for c in chosen}
        )
        chosen.append(title[:1].upper() + title[1:] if grounded else extractive[n])
    return chosen


def excerpts(found: Outline) -> list[tuple[int, int]]:
    """(chapter, sentence) of the numbered excerpts: each chapter's representative and its
    next most central quotable sentence, in the order said."""
    chosen = []
    for n, ((a, b), rep) in enumerate(zip(found.spans, found.representatives, strict=True)):
        scores = centrality(found.vectors[a:b])
        others = [
            a + int(i)
            for i in np.argsort(-scores, kind="stable")
            if a + int(i) != rep and quotable(found.sentences[a + int(i)])
        ]
        chosen += [(n, i) for i in sorted([rep, *others[: EXCERPTS_PER_CHAPTER - 1]])]
    return chosen


def _write_sentences(
    model: LanguageModel, found: Outline, titles: Sequence[str], embed: Embed
) -> list[SummarySentence]:
    numbered = excerpts(found)
    lines = [
        f"Chapter {n + 1}: {titles[n]}"
        + "".join(
            f"\n[{k + 1}] {as_quote(found.sentences[i].text)}"
            for k, (m, i) in enumerate(numbered)
            if m == n
        )
        for n in range(len(found.spans))
    ]
    reply = model.complete(
        [Message("system", SUMMARY_SYSTEM), Message("user", "\n\n".join(lines) + "\n\nSummary:")],
        max_tokens=220,
    )
    return ground_summary(reply, found, numbered, embed)


def saying(checker: EvidenceSupport, text: str, cites: Sequence[int]) -> list[int]:
    """The excerpts (0-based) that say ``text``. A sentence of one clause: those it cites when
    they say it, else the one that says it best (a model that forgot or mistook its ``[n]``,
    as Qwen2.5-1.5B wrote every sentence of its summaries). A sentence that joins statements
    ("The tram line will run 12 kilometres, trams will arrive every six minutes."): each
    clause must be said by an excerpt, and it cites every one of them. Empty when something
    is said by none: the sentence is dropped."""
    parts = [p for p in _CLAUSE_BREAK.split(text) if p.strip()]
    if len(parts) > 1 and all(len(p.split()) >= MIN_CLAUSE_WORDS for p in parts):
        chosen: list[int] = []
        for part in parts:
            found = checker.citing(part, checker.scores(part)[1], cites)
            if not found:
                return []
            chosen.append(found[0])
        return sorted(set(chosen))
    return checker.citing(text, checker.scores(text)[1], cites)


def ground_summary(
    reply: str, found: Outline, numbered: Sequence[tuple[int, int]], embed: Embed
) -> list[SummarySentence]:
    """The reply's supported sentences with their citations, plus the extractive sentence of
    each chapter none of them covers; empty when none is supported or more than five."""
    written: list[tuple[str, list[int]]] = []
    for piece in _SENTENCE_END.split(reply.strip()):
        cites = sorted({int(c) - 1 for c in _CITE.findall(piece) if 0 < int(c) <= len(numbered)})
        said = " ".join(found.sentences[numbered[c][1]].text for c in cites)
        text = re.sub(r"\s+", " ", strip_times(_CITE.sub("", piece), said=said)).strip()
        text = re.sub(r"\s+([.,;:!?])", r"\1", text)
        if len(text.split()) >= 3:
            written.append((text if text.endswith((".", "!", "?")) else text + ".", cites))
    checker = EvidenceSupport([found.sentences[i].text for _, i in numbered], embed)
    kept = [(t, sources) for t, cites in written if (sources := saying(checker, t, cites))]
    dropped = len(written) - len(kept)
    if dropped:
        log.info("summary.unsupported_dropped", dropped=dropped, written=len(written))
    if not kept:
        return []
    sentences = [
        SummarySentence(
            text,
            tuple(
                (
                    round(found.sentences[numbered[k][1]].start, 2),
                    round(found.sentences[numbered[k][1]].end, 2),
                )
                for k in cites
            ),
        )
        for text, cites in kept
    ]
    covered = {numbered[k][0] for _, cites in kept for k in cites}
    for n, rep in enumerate(found.representatives):
        if n not in covered:
            s = found.sentences[rep]
            sentences.append(
                SummarySentence(as_quote(s.text), ((round(s.start, 2), round(s.end, 2)),))
            )
    if len(sentences) > MAX_SUMMARY:
        return []
    return sorted(sentences, key=lambda s: s.cites[0][0])
