"""Chapters, key points and a short summary of one video, from its transcript's sentence
embeddings (stored at ingest: nothing is re-embedded) and the text its pictures show.

The segments are joined into whole sentences; chapters start where the topic changes
(``topics``: TextTiling on the sentences, so never mid-sentence); each chapter's title names
its topic (``titles``: a slide title shown in it, the topic a speaker announces, or its key
phrase); the key points and the summary are whole sentences, one for each chapter at least
(``digest``). Every step is linear in the number of sentences, or O(n log n)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from pipelines.clock import clock, timestamp
from pipelines.records import Chunk, Segment
from pipelines.understanding.digest import (
    Sentence,
    as_quote,
    closes,
    diverse,
    echoes,
    framing,
    fuse,
    names,
    neighbour_pairs,
    quotable,
    representative,
    turns_to_topic,
)
from pipelines.understanding.titles import (
    Screen,
    announced_topic,
    distinct_titles,
    extractive_title,
    key_phrases,
    slide_title,
)
from pipelines.understanding.topics import (
    centrality,
    ends_sentence,
    min_chapter_s,
    sentence_spans,
    span_vectors,
    split_sentences,
    topic_boundaries,
    turns,
)

__all__ = ["Chapter", "KeyPoint", "Summary", "min_chapter_s", "summarize", "topic_boundaries"]

MIN_POINTS, MAX_POINTS = 3, 7
MIN_SUMMARY, MAX_SUMMARY = 2, 5
YOUTUBE_MIN_CHAPTER_S = 10.0  # YouTube ignores a description's chapters when one is shorter


@dataclass(frozen=True)
class Chapter:
    start: float
    end: float
    title: str


@dataclass(frozen=True)
class KeyPoint:
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class SummarySentence:
    """One sentence of the summary and the (start, end) of the sentences it rests on."""

    text: str
    cites: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Summary:
    summary: str
    key_points: tuple[KeyPoint, ...]
    chapters: tuple[Chapter, ...]
    sentences: tuple[SummarySentence, ...] = ()


@dataclass(frozen=True)
class Outline:
    """What the extractive pass found, which a model-written summary starts from too."""

    sentences: list[Sentence]
    vectors: np.ndarray  # one unit vector per sentence
    spans: list[tuple[int, int]]  # each chapter's [first, last) sentence
    representatives: list[int]  # each chapter's most central quotable sentence
    screens: list[list[Screen]]  # the screen text shown in each chapter
    phrases: list[list[tuple[str, float]]]  # each chapter's key phrases, best first
    readable: np.ndarray  # quotable, and neither the talk's introduction nor a closing line


def whole_sentences(
    segments: Sequence[Segment], vectors: np.ndarray
) -> tuple[list[Sentence], np.ndarray]:
    segments, vectors = split_sentences(segments, np.asarray(vectors, dtype=np.float32))
    spans = sentence_spans(segments)
    sentences = [
        Sentence(
            start=segments[a].start,
            end=segments[b - 1].end,
            text=" ".join(s.text.strip() for s in segments[a:b]),
            whole=ends_sentence(segments[b - 1].text),
            confidence=_confidence(segments[a:b]),
        )
        for a, b in spans
    ]
    return sentences, span_vectors(np.asarray(vectors, dtype=np.float32), spans)


def _confidence(segments: Sequence[Segment]) -> float:
    """The mean probability of the segments' recognised words (1.0 when none is known)."""
    probabilities = [w.probability for s in segments for w in s.words]
    return float(np.mean(probabilities)) if probabilities else 1.0


def outline(
    segments: Sequence[Segment], vectors: np.ndarray, duration: float, screens: Sequence[Chunk]
) -> Outline:
    sentences, unit = whole_sentences(segments, vectors)
    slides = [(c.start, c.end) for c in screens if c.source == "screen"]
    cuts = topic_boundaries(
        unit,
        [s.start for s in sentences],
        duration=duration,
        slides=slides,
        turned=[turns(s.text) for s in sentences],
    )
    spans = list(zip([0, *cuts], [*cuts, len(sentences)], strict=True))
    readable = np.array([quotable(s) for s in sentences], dtype=bool)
    # What is said before the speaker turns to the first topic introduces the talk ("Hi
    # everyone. This is our release planning session. Our first topic is offline mode."):
    # no point of the first chapter.
    first, last = spans[0]
    opens = next(
        (i for i in range(first, min(first + 3, last)) if turns_to_topic(sentences[i].text)),
        first,
    )
    readable[first:opens] = False
    # A chapter's closing line ("That's all on X.", maybe before the talk's "Thank you") is
    # no point of it, however misheard: it ends on the topic its opening line announced.
    for n, (first, last) in enumerate(spans):
        opening = sentences[opens if n == 0 else first].text
        for i in range(max(first, last - 2), last):
            text = sentences[i].text
            readable[i] &= not (closes(text) or echoes(text, opening))
    ranked = key_phrases([_weighted(sentences[a:b], centrality(unit[a:b])) for a, b in spans])
    reps = [
        a
        + representative(
            unit[a:b],
            sentences[a:b],
            readable[a:b],
            [p for p, _ in phrases[:3]],
        )
        for (a, b), phrases in zip(spans, ranked, strict=True)
    ]
    bounds = [
        (
            0.0 if n == 0 else sentences[a].start,
            duration if b == len(sentences) else sentences[b].start,
        )
        for n, (a, b) in enumerate(spans)
    ]
    shown = [
        [
            Screen(c.text, min(c.end, hi) - max(c.start, lo), c.end - c.start)
            for c in screens
            if c.source == "screen" and min(c.end, hi) > max(c.start, lo)
        ]
        for lo, hi in bounds
    ]
    return Outline(sentences, unit, spans, reps, shown, ranked, readable)


def _weighted(sentences: Sequence[Sentence], scores: np.ndarray) -> list[tuple[str, float]]:
    """The sentences with a weight each: the more central half of a chapter counts twice, its
    opening sentence (where a speaker names the new topic) twice again; a sentence framing
    the talk ("Welcome to the quarterly meeting") counts half, and never opens."""
    middle = float(np.median(scores)) if len(scores) else 0.0
    opening = next((n for n, s in enumerate(sentences) if not framing(s.text)), -1)
    return [
        (
            s.text,
            (2.0 if c >= middle else 1.0)
            * (2.0 if n == opening else 1.0)
            * (0.5 if framing(s.text) else 1.0),
        )
        for n, (s, c) in enumerate(zip(sentences, scores, strict=True))
    ]


def chapter_titles(found: Outline) -> list[str]:
    candidates = []
    for (a, b), screens, phrases in zip(found.spans, found.screens, found.phrases, strict=True):
        chapter_s = found.sentences[b - 1].end - found.sentences[a].start
        candidates.append(
            extractive_title(
                slide=slide_title(screens, chapter_s),
                announced=announced_topic([s.text for s in found.sentences[a : min(a + 2, b)]]),
                ranked=phrases,
            )
        )
    return distinct_titles(candidates, [f"Chapter {n}" for n in range(1, len(found.spans) + 1)])


def summarize(
    segments: Sequence[Segment],
    vectors: np.ndarray,
    duration: float,
    *,
    screens: Sequence[Chunk] = (),
) -> Summary:
    """The extractive summary: chapters with titles, 3-7 key points and a summary of 2-5
    whole sentences that represents every chapter, each sentence citing where it is said.
    ``vectors``: one unit vector per segment; ``screens``: the video's screen passages."""
    if not segments:
        return Summary("No speech was found in this video.", (), ())
    found = outline(segments, vectors, duration, screens)
    titles = chapter_titles(found)
    chapters = tuple(
        Chapter(
            start=0.0 if n == 0 else round(found.sentences[a].start, 2),
            end=round(duration if b == len(found.sentences) else found.sentences[b].start, 2),
            title=title,
        )
        for n, ((a, b), title) in enumerate(zip(found.spans, titles, strict=True))
    )
    written = summary_sentences(found, titles)
    return Summary(
        " ".join(s.text for s in written),
        key_points(found),
        chapters,
        tuple(written),
    )


def key_points(found: Outline) -> tuple[KeyPoint, ...]:
    """One point per chapter (its most central quotable sentence), 3 to 7 in all: the most
    relevant and least alike of them past 7, more of the video's sentences under 3."""
    relevance = centrality(found.vectors)
    readable = found.readable
    reps = found.representatives
    if len(reps) > MAX_POINTS:
        allowed = np.zeros(len(found.sentences), dtype=bool)
        allowed[reps] = True
        picked = diverse(found.vectors, MAX_POINTS, relevance=relevance, allowed=allowed)
    else:
        picked = list(reps)
        wanted = MIN_POINTS - len(picked)
        allowed = readable if readable.sum() > len(picked) else np.ones_like(readable)
        picked += diverse(
            found.vectors, wanted, relevance=relevance, allowed=allowed, picked=picked
        )
    return tuple(
        KeyPoint(round(s.start, 2), round(s.end, 2), as_quote(s.text))
        for s in (found.sentences[i] for i in sorted(set(picked)))
    )


def summary_sentences(found: Outline, titles: Sequence[str]) -> list[SummarySentence]:
    """Each chapter's representative sentence, in the order said (a second sentence for a
    video of one chapter). For six to ten chapters, neighbours' sentences are fused in pairs
    ("A; b.") into five; past ten, a first sentence names the chapters and the four longest
    chapters give theirs."""
    reps = list(found.representatives)
    quote = [
        SummarySentence(as_quote(s.text), ((round(s.start, 2), round(s.end, 2)),))
        for s in (found.sentences[i] for i in reps)
    ]
    if len(reps) == 1:
        more = diverse(
            found.vectors,
            MIN_SUMMARY - 1,
            relevance=centrality(found.vectors),
            allowed=found.readable,
            picked=reps,
        )
        for i in more:
            s = found.sentences[i]
            quote.append(SummarySentence(as_quote(s.text), ((round(s.start, 2), round(s.end, 2)),)))
        quote.sort(key=lambda q: q.cites[0][0])
    if len(reps) <= MAX_SUMMARY:
        return quote
    if len(reps) <= 2 * MAX_SUMMARY:
        return _fused(quote, found)
    overview = SummarySentence(
        f"The video has {len(titles)} chapters: {'; '.join(titles)}.",
        tuple(
            (round(found.sentences[a].start, 2), round(found.sentences[a].end, 2))
            for a, _ in found.spans
        ),
    )
    longest = sorted(
        range(len(reps)),
        key=lambda n: (
            -(found.sentences[found.spans[n][1] - 1].end - found.sentences[found.spans[n][0]].start)
        ),
    )[: MAX_SUMMARY - 1]
    return [overview, *(quote[n] for n in sorted(longest))]


def _fused(quotes: Sequence[SummarySentence], found: Outline) -> list[SummarySentence]:
    """``MAX_SUMMARY`` sentences from 6-10 chapters' quotes: neighbours' quotes fused in pairs
    ("A; b."), the pairs that make the shortest fused sentences, so that every chapter still
    says something of its own rather than only its title."""
    capitalised = names([s.text for s in found.sentences])
    words = [len(q.text.split()) for q in quotes]
    starts = set(neighbour_pairs([a + b for a, b in pairwise(words)], len(quotes) - MAX_SUMMARY))
    out: list[SummarySentence] = []
    for n, quote in enumerate(quotes):
        if n - 1 in starts:
            first = out.pop()
            quote = SummarySentence(
                fuse(first.text, quote.text, capitalised), first.cites + quote.cites
            )
        out.append(quote)
    return out


def youtube_chapters(chapters: Sequence[Chapter]) -> str:
    """``m:ss Title`` lines as YouTube's description reads them: the first at 0:00, none
    shorter than ``YOUTUBE_MIN_CHAPTER_S`` (a short chapter joins its neighbour)."""
    return "".join(f"{clock(c.start)} {c.title}\n" for c in merge_short(chapters))


def merge_short(
    chapters: Sequence[Chapter], shortest: float = YOUTUBE_MIN_CHAPTER_S
) -> list[Chapter]:
    """The chapters with each one under ``shortest`` seconds joined to its neighbour (the one
    before it; the first joins the next), keeping the longer one's title; the first at 0."""
    merged: list[Chapter] = []
    for chapter in chapters:
        if merged and (
            chapter.end - chapter.start < shortest or merged[-1].end - merged[-1].start < shortest
        ):
            last = merged[-1]
            longer = last if last.end - last.start >= chapter.end - chapter.start else chapter
            merged[-1] = Chapter(last.start, chapter.end, longer.title)
        else:
            merged.append(chapter)
    if merged:
        merged[0] = Chapter(0.0, merged[0].end, merged[0].title)
    return merged


def webvtt_chapters(chapters: Sequence[Chapter]) -> str:
    """A WebVTT file of chapter cues (a player's chapters track)."""
    cues = "".join(
        f"\n{n}\n{timestamp(c.start, decimals=3)} --> {timestamp(c.end, decimals=3)}\n{c.title}\n"
        for n, c in enumerate(chapters, start=1)
    )
    return "WEBVTT\n" + cues
