"""Timed screen text: what a video shows in writing, as passages search can find.

Each settled still (``frames``) is read (``ocr``); a read that says what the one before said
(the same words, give or take a misread one) extends that passage instead of starting
another, so a slide shown for two minutes is one passage from its first to its last second.
A passage ends where the next different picture starts (or at the end of the video)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.records import Chunk
from pipelines.vision.frames import settled_stills
from pipelines.vision.ocr import read_lines

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
    for still in settled_stills(
        path,
        container,
        change=options.change,
        min_gap_s=options.min_gap_s,
        max_side=options.max_side,
        max_frame_pixels=options.max_frame_pixels,
    ):
        progress(min(1.0, still.time / duration) if duration > 0 else 0.0)
        lines = read_lines(still.pixels, min_score=options.min_score, threads=options.threads)
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


def _closed(passage: Chunk, end: float) -> Chunk:
    return Chunk(passage.start, end, passage.text, 0, 0, source="screen")


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0
