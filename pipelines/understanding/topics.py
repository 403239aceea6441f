"""Where a video's topic changes, in time linear in its length.

A transcript's segment may hold pieces of two sentences, so it is first cut at its words where
a sentence ends or a speaker turns to a new topic (``split_sentences``); the pieces are then
joined into whole sentences (``sentence_spans``); a chapter can only start where a sentence
does. The topic
changes where the sentences before a gap and after it are least alike: TextTiling's depth
scores on embedding similarity, the windows on either side summed from running totals
(one pass, O(n·d)), the deepest valleys taken first (O(n log n))."""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

import numpy as np

from pipelines.records import Segment, Word

# A segment that ends with one of these (maybe inside quotes or brackets) ends its sentence.
_ENDS_SENTENCE = re.compile(r"[.!?…][\"')\]]*\s*$")
# Unpunctuated speech still gets sentences: a capital after a pause opens one, and none
# runs longer than this, so one sentence never swallows a minute of talk.
PAUSE_OPENS_S = 1.0
MAX_SENTENCE_S = 30.0
# A screen passage shown this long is a slide; a topic change this close to a slide change
# is the same change (a speaker moves on, then clicks, or the other way round).
# A spoken turn to the next topic opens a sentence even unpunctuated, mid-segment.
_TURNS = re.compile(
    r"^(?:(?:and|so|ok|okay|right)[,]?\s+)?(?:now[,]?\s+)?(?:"
    r"(?:let me|let's|let us|i'll|i will|we'll|we will)\s+(?:now\s+)?"
    r"(?:turn|move on|switch|come|go on)\s+to\b"
    r"|(?:turning|moving on|switching)\s+(?:now\s+)?to\b|next[,:]|next up\b|moving on\b)",
    re.IGNORECASE,
)
TURN_WORDS = 7  # the longest turn phrase, in words
MIN_SLIDE_S = 8.0
SLIDE_NEAR_S = 4.0


def min_chapter_s(duration: float) -> float:
    """About a dozen chapters at most, none shorter than 5 s (a topic, not a sentence). Over
    two minutes that is 10 s or more, which YouTube's chapters ask for too."""
    return max(5.0, duration / 12)


def ends_sentence(text: str) -> bool:
    return bool(_ENDS_SENTENCE.search(text))


def turns(text: str) -> bool:
    """Whether ``text`` opens with a spoken turn to a new topic ("now let me turn to")."""
    return bool(_TURNS.match(text.lstrip()))


def _cuts(words: Sequence[Word]) -> list[int]:
    """Indexes of the words that open a new sentence inside one segment (never the first):
    the word after one ending a sentence, or the first word of a spoken turn."""
    cuts: list[int] = []
    turned = -TURN_WORDS  # where the last turn began: "let me turn to" inside "now let me…"
    for i in range(len(words)):
        turn = i - turned >= TURN_WORDS and turns(
            " ".join(w.text.strip() for w in words[i : i + TURN_WORDS])
        )
        if turn:
            turned = i
        if i and (turn or ends_sentence(words[i - 1].text)):
            cuts.append(i)
    return cuts


def split_sentences(
    segments: Sequence[Segment], vectors: np.ndarray
) -> tuple[list[Segment], np.ndarray]:
    """The segments cut at their words where a sentence ends or a speaker turns inside one,
    each piece starting at its first word's time, with its share of the segment's vector
    (by words; a sentence's vector is the sum of its pieces'). O(words)."""
    pieces: list[Segment] = []
    rows: list[int] = []
    shares: list[float] = []
    for n, segment in enumerate(segments):
        cuts = _cuts(segment.words)
        if not cuts:
            pieces.append(segment)
            rows.append(n)
            shares.append(1.0)
            continue
        edges = [0, *cuts, len(segment.words)]
        for k, (a, b) in enumerate(zip(edges, edges[1:], strict=False)):
            words = segment.words[a:b]
            pieces.append(
                Segment(
                    segment.start if k == 0 else words[0].start,
                    segment.end if b == len(segment.words) else words[-1].end,
                    " ".join(w.text.strip() for w in words),
                    words,
                    segment.speaker,
                )
            )
            rows.append(n)
            shares.append((b - a) / len(segment.words))
    if len(pieces) == len(segments):
        return list(segments), vectors
    weights = np.asarray(shares, dtype=np.float32)[:, None]
    return pieces, np.asarray(vectors[np.asarray(rows)] * weights, dtype=np.float32)


def sentence_spans(segments: Sequence[Segment]) -> list[tuple[int, int]]:
    """[first, last) segment indexes of each whole sentence, in order, covering every segment.
    A segment opens a sentence when the one before it ended one, or when it starts with a
    capital after a pause of ``PAUSE_OPENS_S``, or with a spoken turn ("now let me turn to"),
    or when the open sentence is already ``MAX_SENTENCE_S`` long."""
    spans: list[tuple[int, int]] = []
    first = 0
    for i in range(1, len(segments)):
        before, here = segments[i - 1], segments[i]
        text = here.text.lstrip()
        opens = (
            ends_sentence(before.text)
            or (text[:1].isupper() and here.start - before.end >= PAUSE_OPENS_S)
            or here.start - segments[first].start >= MAX_SENTENCE_S
            or here.speaker != before.speaker
            or turns(text)
        )
        if opens:
            spans.append((first, i))
            first = i
    if segments:
        spans.append((first, len(segments)))
    return spans


def span_vectors(vectors: np.ndarray, spans: Sequence[tuple[int, int]]) -> np.ndarray:
    """Each span's unit vector: the normalised sum of its segments' vectors (one pass)."""
    if not spans:
        return np.zeros((0, vectors.shape[1] if vectors.ndim == 2 else 0), dtype=np.float32)
    totals = np.vstack([np.zeros((1, vectors.shape[1])), np.cumsum(vectors, axis=0)])
    firsts = np.fromiter((a for a, _ in spans), dtype=np.int64, count=len(spans))
    lasts = np.fromiter((b for _, b in spans), dtype=np.int64, count=len(spans))
    summed = totals[lasts] - totals[firsts]
    norms = np.linalg.norm(summed, axis=1, keepdims=True)
    return np.asarray(summed / np.where(norms > 0, norms, 1.0), dtype=np.float32)


def gap_similarity(vectors: np.ndarray, window: int) -> np.ndarray:
    """Cosine similarity of the ``window`` rows before each gap to the ``window`` after it,
    for gaps 1..n-1, from running totals: O(n·d) whatever the window."""
    n = len(vectors)
    totals = np.vstack([np.zeros((1, vectors.shape[1])), np.cumsum(vectors, axis=0)])
    gaps = np.arange(1, n)
    before = totals[gaps] - totals[np.maximum(0, gaps - window)]
    after = totals[np.minimum(n, gaps + window)] - totals[gaps]
    norms = np.linalg.norm(before, axis=1) * np.linalg.norm(after, axis=1)
    dots = np.einsum("ij,ij->i", before, after)
    return np.asarray(dots / np.where(norms > 0, norms, 1.0), dtype=np.float64)


def depth_scores(gaps: np.ndarray) -> np.ndarray:
    """How far each gap's similarity lies below the highest points on either side of it."""
    left = np.maximum.accumulate(gaps)
    right = np.maximum.accumulate(gaps[::-1])[::-1]
    return np.asarray((left - gaps) + (right - gaps), dtype=np.float64)


def slide_weights(
    cut_starts: np.ndarray, slides: Sequence[tuple[float, float]]
) -> tuple[np.ndarray, np.ndarray]:
    """(near a slide change, inside one slide) for each candidate cut's start time. A slide
    is a screen passage shown ``MIN_SLIDE_S`` or longer; "near" is within ``SLIDE_NEAR_S``."""
    shown = sorted((a, b) for a, b in slides if b - a >= MIN_SLIDE_S)
    changes = np.array([a for a, _ in shown if a >= 1.0])
    near = np.zeros(len(cut_starts), dtype=bool)
    if len(changes):
        place = np.clip(np.searchsorted(changes, cut_starts), 1, len(changes)) - 1
        after = np.clip(place + 1, 0, len(changes) - 1)
        gap = np.minimum(abs(changes[place] - cut_starts), abs(changes[after] - cut_starts))
        near = gap <= SLIDE_NEAR_S
    inside = np.zeros(len(cut_starts), dtype=bool)
    if shown:
        firsts = np.array([a for a, _ in shown])
        lasts = np.array([b for _, b in shown])
        place = np.searchsorted(firsts, cut_starts, side="right") - 1
        valid = place >= 0
        held = np.where(valid, lasts[np.maximum(place, 0)], -np.inf)
        opened = np.where(valid, firsts[np.maximum(place, 0)], np.inf)
        inside = (opened < cut_starts - SLIDE_NEAR_S) & (held > cut_starts + SLIDE_NEAR_S)
    return near, inside


def topic_boundaries(
    vectors: np.ndarray,
    starts: Sequence[float],
    *,
    duration: float,
    slides: Sequence[tuple[float, float]] = (),
    turned: Sequence[bool] = (),
) -> list[int]:
    """Indexes of the rows (sentences) that open a new chapter, never the first, in order.
    ``starts``: each row's start in seconds. No chapter is shorter than ``min_chapter_s``.
    ``slides``: (start, end) of the screen passages; where slides are shown, a topic change
    near a slide change counts more, and one in the middle of a slide much less (a speaker
    changes the slide with the topic). ``turned``: whether each row opens with a spoken turn
    ("now let me turn to"), which counts as much as a slide change; both at once make a
    chapter whatever the similarities say."""
    n = len(vectors)
    if n < 2:
        return []
    window = max(1, min(3, n // 8))
    depth = depth_scores(gap_similarity(vectors, window))
    shortest = min_chapter_s(duration)
    # Deepest valleys first; a valley shallower than the typical one is not a topic change.
    floor = max(float(np.mean(depth)) if len(depth) > 1 else 0.0, 0.0)
    near = np.zeros(n - 1, dtype=bool)
    if slides:
        near, inside = slide_weights(np.asarray(starts[1:], dtype=np.float64), slides)
        depth = np.where(near, depth + 0.5 * floor, np.where(inside, 0.25 * depth, depth))
    if len(turned) == n:
        turn = np.asarray(turned[1:], dtype=bool)
        depth = np.where(turn, depth + 0.5 * floor, depth)
        # A spoken turn at a slide change is a new topic whatever the valley (a few long,
        # unpunctuated sentences leave none): first of all, deepest first (depth <= 4).
        depth = np.where(turn & near, depth + 4.0 + floor, depth)
    edges = [0.0, duration]  # the chosen chapters' start times, sorted, with both ends
    chosen: list[int] = []
    for gap in np.argsort(-depth, kind="stable"):
        if depth[gap] <= floor:
            break
        cut = int(gap) + 1
        at = starts[cut]
        place = bisect.bisect_left(edges, at)
        # Only the neighbours can be too close: O(log k) per candidate.
        if at - edges[place - 1] >= shortest and edges[place] - at >= shortest:
            edges.insert(place, at)
            chosen.append(cut)
    return sorted(chosen)


def centrality(vectors: np.ndarray) -> np.ndarray:
    """Each row's summed similarity to the other rows of its group: ``v · Σv`` less its own
    ``v · v`` — the same order as the full similarity matrix's row sums, in O(n·d)."""
    if len(vectors) == 0:
        return np.zeros(0)
    total = vectors.sum(axis=0)
    own = np.einsum("ij,ij->i", vectors, vectors)
    return np.asarray(vectors @ total - own, dtype=np.float64)
