"""Timed screen text: what a video shows in writing, as passages search can find.

Each settled still (``frames``) is read (``ocr``) where it changed: the lines already known
there are replaced by the lines read now, the rest of the screen's lines are kept (a row read
again grows to hold every known line it cuts, so a line is never read in part). What the
screen then says is a passage; a screen that says what the one before said (the same words,
give or take a misread one) extends that passage instead of starting another, so a slide shown
for two minutes is one passage from its first to its last second. A passage ends where the
next different picture starts (or at the end of the video)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.records import Chunk
from pipelines.vision.frames import Still, settled_stills
from pipelines.vision.ocr import Region, ScreenReader, TextLine, in_reading_order

if TYPE_CHECKING:
    from pipelines.config import Settings

SAME_TEXT = 0.8  # word-set overlap (Jaccard) at which two reads are the same screen
MAX_SCREEN_CHARS = 1000  # a dense slide is cut here: the embedding model reads ~256 tokens
LINE_JOIN = " · "  # between a picture's lines: one line of text wherever it is shown
_WORD = re.compile(r"\w+")
_LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True)
class ScreenOptions:
    """How to read a video's pictures (``VIDSCOPE_OCR*``)."""

    enabled: bool
    change: float  # mean grey difference (0–255) that makes a picture new
    min_gap_s: float  # a moving picture is read at most this often
    min_score: float  # recogniser confidence a line needs
    max_side: int  # stills are scaled to this longer side before reading
    threads: int
    max_frame_pixels: int | None = None  # VIDSCOPE_MAX_FRAME_PIXELS: larger frames are refused

    @classmethod
    def from_settings(cls, settings: Settings) -> ScreenOptions:
        o = settings.ocr
        return cls(
            enabled=o.enabled,
            change=o.change,
            min_gap_s=o.min_gap_s,
            min_score=o.min_score,
            max_side=o.max_side,
            threads=settings.threads,
            max_frame_pixels=settings.limits.max_frame_pixels,
        )


def read_screen_text(
    path: Path,
    container: str,
    duration: float,
    options: ScreenOptions,
    progress: Callable[[float], None] = lambda fraction: None,
) -> list[Chunk]:
    """The screen passages of ``path`` in time order (``source="screen"``)."""
    passages: list[Chunk] = []
    words: set[str] = set()
    reader = ScreenReader(min_score=options.min_score, threads=options.threads)
    shown: list[TextLine] = []  # what the screen says now, in still pixels
    size: tuple[int, ...] = ()
    for still in settled_stills(
        path,
        container,
        change=options.change,
        min_gap_s=options.min_gap_s,
        max_side=options.max_side,
        max_frame_pixels=options.max_frame_pixels,
    ):
        progress(min(1.0, still.time / duration) if duration > 0 else 0.0)
        if still.pixels.shape != size:  # a new picture size: nothing known carries over
            shown, size = [], still.pixels.shape
        regions = _grown(still, shown)
        kept = [line for line in shown if not any(_inside(line, r) for r in regions)]
        shown = kept + reader.read(still.pixels, regions)
        lines = in_reading_order(shown, size[0])
        # Figures without a single word beside them are a clock, a timecode or a frame
        # counter far more often than a slide: a picture needs some words to be read.
        worded = any(_LETTER.search(line.text) for line in lines)
        text = LINE_JOIN.join(line.text for line in lines)[:MAX_SCREEN_CHARS].strip()
        text = text if worded else ""
        seen = {w.lower() for w in _WORD.findall(text)}
        if passages and passages[-1].end < 0:  # the open passage ends where this one starts
            if seen and _overlap(seen, words) >= SAME_TEXT:
                continue
            passages[-1] = _closed(passages[-1], still.time)
        if seen:
            passages.append(Chunk(still.time, -1.0, text, 0, 0, source="screen"))
            words = seen
    if passages and passages[-1].end < 0:
        passages[-1] = _closed(passages[-1], max(duration, passages[-1].start + 0.1))
    progress(1.0)
    return [p for p in passages if p.end > p.start]


def _grown(still: Still, shown: list[TextLine]) -> list[Region]:
    """The still's regions, each grown to hold every known line it cuts."""
    h, w = still.pixels.shape[:2]
    grown = []
    for region in still.regions or (Region(0, 0, h, w),):
        r = region
        for line in shown:
            if (
                line.top < r.bottom
                and line.bottom > r.top
                and line.left < r.right
                and line.right > r.left
            ):
                r = Region(
                    max(0, min(r.top, int(line.top) - 2)),
                    max(0, min(r.left, int(line.left) - 2)),
                    min(h, max(r.bottom, int(line.bottom) + 3)),
                    min(w, max(r.right, int(line.right) + 3)),
                )
        grown.append(r)
    return grown


def _inside(line: TextLine, region: Region) -> bool:
    middle_y, middle_x = (line.top + line.bottom) / 2, (line.left + line.right) / 2
    return region.top <= middle_y < region.bottom and region.left <= middle_x < region.right


def _closed(passage: Chunk, end: float) -> Chunk:
    return Chunk(passage.start, end, passage.text, 0, 0, source="screen")


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0
