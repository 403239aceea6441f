"""Transcript segments -> retrieval chunks: whole segments (so sentences stay intact), about
``target_s`` long, never past ``max_s`` unless one segment is longer, overlapping by the trailing
segments that fit in ``overlap_s``. Start/end come from the first and last word timestamps."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipelines.records import Chunk, Segment

if TYPE_CHECKING:
    from pipelines.config import Settings


@dataclass(frozen=True)
class ChunkOptions:
    """Passage lengths, from the settings (``VIDSCOPE_CHUNK_*``, where the defaults live)."""

    min_s: float
    target_s: float
    max_s: float
    overlap_s: float

    @classmethod
    def from_settings(cls, settings: Settings) -> ChunkOptions:
        c = settings.chunking
        return cls(min_s=c.min_s, target_s=c.target_s, max_s=c.max_s, overlap_s=c.overlap_s)


def build_chunks(segments: Sequence[Segment], options: ChunkOptions) -> list[Chunk]:
    spans: list[tuple[int, int]] = []
    first = 0
    while first < len(segments):
        last = first
        while (
            last + 1 < len(segments)
            and segments[last].end - segments[first].start < options.target_s
            and segments[last + 1].end - segments[first].start <= options.max_s
        ):
            last += 1
        spans.append((first, last))
        if last + 1 >= len(segments):
            break
        first = _overlap_start(segments, first, last, options.overlap_s)
    spans = _merge_short_tail(segments, spans, options)
    return [_chunk(segments, a, b) for a, b in spans]


def _overlap_start(segments: Sequence[Segment], first: int, last: int, overlap_s: float) -> int:
    """Index where the next chunk starts: the earliest trailing segment ending within overlap_s."""
    start = last + 1
    while start - 1 > first and segments[last].end - segments[start - 1].start <= overlap_s:
        start -= 1
    return start


def _merge_short_tail(
    segments: Sequence[Segment], spans: list[tuple[int, int]], options: ChunkOptions
) -> list[tuple[int, int]]:
    # A last chunk shorter than min_s is folded into its predecessor when that stays in bounds.
    if len(spans) < 2:
        return spans
    (prev_first, _), (tail_first, tail_last) = spans[-2], spans[-1]
    tail_span = segments[tail_last].end - segments[tail_first].start
    merged_span = segments[tail_last].end - segments[prev_first].start
    if tail_span < options.min_s and merged_span <= options.max_s:
        return [*spans[:-2], (prev_first, tail_last)]
    return spans


def _chunk(segments: Sequence[Segment], first: int, last: int) -> Chunk:
    head, tail = segments[first], segments[last]
    start = head.words[0].start if head.words else head.start
    end = tail.words[-1].end if tail.words else tail.end
    if end <= start:
        end = start + 0.01
    text = " ".join(s.text for s in segments[first : last + 1])
    return Chunk(start=start, end=end, text=text, first_segment=first, last_segment=last)
