"""Chapters, key points and a short summary of one video, from its transcript's sentence
embeddings (stored at ingest: nothing is recomputed and no model runs). Chapter boundaries are
where the topic changes — the gaps where the sentences before and after are least alike
(TextTiling's depth scores on embedding similarity), never fixed windows. Each chapter's title
is its most central sentence, shortened; the key points are the chapters' central sentences
(with the next most central sentences when there are few chapters); the summary is the video's
most central sentences, different from each other, in the order they are said."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pipelines.records import Segment

MIN_POINTS, MAX_POINTS = 3, 7
SUMMARY_SENTENCES = 3
TITLE_CHARS = 60
# Spoken signposts that open a sentence but say nothing of its topic.
# An ordinal or "next" is a signpost only when a comma follows ("Next, …" but not "Next quarter").
_SIGNPOST = re.compile(
    r"^((first of all|first|second|third|finally|lastly|next|then|also|now|to start|in short)"
    r"\s*[,:]|(so|and|okay|ok|well)\b[,:]?)\s*",
    re.IGNORECASE,
)


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
class Summary:
    summary: str
    key_points: tuple[KeyPoint, ...]
    chapters: tuple[Chapter, ...]


def min_chapter_s(duration: float) -> float:
    """About a dozen chapters at most, none shorter than 5 s (a topic, not a sentence). Over
    two minutes that is 10 s or more, which YouTube's chapters ask for too."""
    return max(5.0, duration / 12)


def summarize(segments: Sequence[Segment], vectors: np.ndarray, duration: float) -> Summary:
    if not segments:
        return Summary("No speech was found in this video.", (), ())
    starts = [s.start for s in segments]
    cuts = topic_boundaries(vectors, starts, duration=duration)
    spans = list(zip([0, *cuts], [*cuts, len(segments)], strict=True))
    chapters = []
    centres = []
    for n, (first, last) in enumerate(spans):
        centre = first + _most_central(vectors[first:last])
        centres.append(centre)
        chapters.append(
            Chapter(
                start=0.0 if n == 0 else round(segments[first].start, 2),
                end=round(duration if n == len(spans) - 1 else segments[last].start, 2),
                title=_title(segments[centre].text),
            )
        )
    picked = centres[:MAX_POINTS]
    for extra in _diverse(vectors, len(segments), exclude=picked):
        if len(picked) >= MIN_POINTS:
            break
        picked.append(extra)
    points = tuple(
        KeyPoint(round(segments[i].start, 2), round(segments[i].end, 2), segments[i].text.strip())
        for i in sorted(picked)
    )
    summary = sorted(_diverse(vectors, len(segments), exclude=[])[:SUMMARY_SENTENCES])
    text = " ".join(_sentence(segments[i].text) for i in summary)
    return Summary(text, points, tuple(chapters))


def topic_boundaries(vectors: np.ndarray, starts: Sequence[float], *, duration: float) -> list[int]:
    """Indexes of the sentences that open a new chapter (never the first)."""
    n = len(vectors)
    if n < 2:
        return []
    window = max(1, min(3, n // 8))
    gaps = np.array([_similarity(vectors, g, window) for g in range(1, n)])
    depth = _depth(gaps)
    shortest = min_chapter_s(duration)
    chosen: list[int] = []
    # Deepest valleys first; a valley shallower than the typical one is not a topic change.
    floor = float(np.mean(depth)) if len(depth) > 1 else 0.0
    for gap in np.argsort(-depth, kind="stable"):
        if depth[gap] <= max(floor, 0.0):
            break
        cut = int(gap) + 1
        edges = sorted([0.0, *(starts[c] for c in chosen), starts[cut], duration])
        if all(b - a >= shortest for a, b in zip(edges, edges[1:], strict=False)):
            chosen.append(cut)
    return sorted(chosen)


def _similarity(vectors: np.ndarray, gap: int, window: int) -> float:
    before = vectors[max(0, gap - window) : gap].mean(axis=0)
    after = vectors[gap : gap + window].mean(axis=0)
    norm = float(np.linalg.norm(before) * np.linalg.norm(after)) or 1.0
    return float(before @ after) / norm


def _depth(gaps: np.ndarray) -> np.ndarray:
    """How far each gap's similarity lies below the highest points on either side of it."""
    left = np.maximum.accumulate(gaps)
    right = np.maximum.accumulate(gaps[::-1])[::-1]
    return np.asarray((left - gaps) + (right - gaps), dtype=np.float64)


def _most_central(vectors: np.ndarray) -> int:
    if len(vectors) <= 2:
        return 0
    return int(np.argmax((vectors @ vectors.T).sum(axis=1)))


def _diverse(vectors: np.ndarray, count: int, *, exclude: Sequence[int]) -> list[int]:
    """Sentences in the order maximal marginal relevance picks them: central to the whole,
    unlike the ones already picked."""
    if count == 0:
        return []
    centre = vectors.mean(axis=0)
    relevance = vectors @ centre
    picked = list(exclude)
    order: list[int] = []
    while len(picked) < count:
        best, best_score = -1, -np.inf
        for i in range(count):
            if i in picked:
                continue
            redundancy = max((float(vectors[i] @ vectors[j]) for j in picked), default=0.0)
            score = 0.7 * float(relevance[i]) - 0.3 * redundancy
            if score > best_score:
                best, best_score = i, score
        picked.append(best)
        order.append(best)
    return order


def _title(text: str) -> str:
    title = _SIGNPOST.sub("", text.strip()).rstrip(".!?…,;: ")
    title = title[:1].upper() + title[1:]
    if len(title) > TITLE_CHARS:
        title = title[: TITLE_CHARS - 1].rsplit(" ", 1)[0].rstrip(",;: ") + "…"
    return title


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?", "…")) else text + "."


def youtube_chapters(chapters: Sequence[Chapter]) -> str:
    """``m:ss Title`` lines, the first at 0:00, as YouTube's description reads them."""
    from pipelines.understanding.answers import minutes

    return "".join(f"{minutes(c.start)} {c.title}\n" for c in chapters)


def webvtt_chapters(chapters: Sequence[Chapter]) -> str:
    """A WebVTT file of chapter cues (a player's chapters track)."""

    def stamp(seconds: float) -> str:
        millis = round(seconds * 1000)
        hours, rest = divmod(millis, 3_600_000)
        minutes_, rest = divmod(rest, 60_000)
        return f"{hours:02d}:{minutes_:02d}:{rest // 1000:02d}.{rest % 1000:03d}"

    cues = "".join(
        f"\n{n}\n{stamp(c.start)} --> {stamp(c.end)}\n{c.title}\n"
        for n, c in enumerate(chapters, start=1)
    )
    return "WEBVTT\n" + cues
