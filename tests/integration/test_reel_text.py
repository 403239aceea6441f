"""Reels people can post, read back from the file: on the slide talk (tests/data/slides.mp4,
four text slides over speech that never reads them), a 9:16 reel with subtitles and title
cards keeps every slide line and every subtitle word whole (OCR reads them in full), its
cards carry the chapter's title, and a query's reel stops before the next topic's slide and
voice."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from pipelines.editing.captions import BOTTOM_MARGIN, SAFE_WIDTH
from pipelines.editing.compose import CARD_S, FPS
from pipelines.library import Library
from pipelines.records import ReelPart
from pipelines.vision.ocr import read_lines
from tests.support.library import DATA, make_settings

SLIDES = DATA / "slides.mp4"
MANIFEST: dict[str, Any] = json.loads((DATA / "slides.json").read_text())


@pytest.fixture(scope="module")
def slide_library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    with Library(make_settings(tmp_path_factory.mktemp("reel-text"))) as lib:
        [result] = list(lib.local.ingest([SLIDES]))
        assert result.status == "indexed", result
        yield lib


def squeezed(text: str) -> str:
    return "".join(text.split()).lower()


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def slide_at(t: float) -> dict[str, Any]:
    return next(s for s in MANIFEST["slides"] if s["start"] <= t < s["end"])


def frames_at(path: Path, times: list[float]) -> list[np.ndarray[Any, np.dtype[np.uint8]]]:
    """The RGB frames shown at ``times`` (seconds of the reel), in one decoding pass."""
    wanted, found = sorted(times), []
    with av.open(str(path)) as media:
        for frame in media.decode(video=0):
            while wanted and frame.time is not None and frame.time + 0.5 / FPS >= wanted[0]:
                found.append(frame.to_ndarray(format="rgb24"))
                wanted.pop(0)
    assert not wanted, f"no frame at {wanted}"
    return found


def reel_times(parts: list[ReelPart], *, cards: bool) -> list[tuple[float, float]]:
    """Where each part begins and ends in the reel (whole frames, a card before each)."""
    spans, frames = [], 0
    for part in parts:
        frames += round(CARD_S * FPS) if cards else 0
        begin = frames
        frames = round((frames / FPS + part.end - part.start) * FPS)
        spans.append((begin / FPS, frames / FPS))
    return spans


def test_a_vertical_reel_keeps_slide_text_and_subtitles_whole(
    slide_library: Library, tmp_path: Path
) -> None:
    mine = slide_library.local
    [video] = mine.list_videos()
    parts = mine.reel_parts(chapters_of=video.id)
    reel = mine.reel(
        parts, output=tmp_path / "story.mp4", vertical=True, subtitles=True, title_cards=True
    )
    with av.open(str(reel)) as media:
        width = media.streams.video[0].codec_context.width
        height = media.streams.video[0].codec_context.height
    assert (width, height) == (202, 360)  # 9:16, as tall as the 640x360 talk

    said = [(s.start, s.end, s.text) for s in mine.segments(video.id)]
    chapters = mine.summary(video.id).chapters
    spans = reel_times(parts, cards=True)
    middles = [(begin + end) / 2 for begin, end in spans]
    cards = [begin - CARD_S / 2 for begin, _ in spans]
    shown = frames_at(reel, middles + cards)
    by_time = dict(zip(sorted(middles + cards), shown, strict=True))

    subtitle_words = 0
    for part, middle in zip(parts, middles, strict=True):
        frame = by_time[middle]
        source_t = part.start + (middle - spans[parts.index(part)][0])
        lines = read_lines(frame, min_score=0.6)
        text = squeezed(" ".join(line.text for line in lines))
        for line in slide_at(source_t)["lines"]:  # OCR may drop a space, never a word
            assert squeezed(line) in text, (line, [x.text for x in lines])
        # The subtitle: in the band above the bottom margin, every word read is a whole word
        # of what is said then (a word cut at the frame's edge would read as a fragment).
        band_top = height * (1 - BOTTOM_MARGIN) - 0.2 * height
        subtitle = [x for x in lines if x.top >= band_top]
        spoken = {w for a, b, t in said if a < part.end and b > part.start for w in words(t)}
        read = [w for x in subtitle for w in words(x.text)]
        assert len(read) >= 3, [x.text for x in lines]
        assert set(read) <= spoken, (read, spoken)
        subtitle_words += len(read)
        # The subtitle's black box lies inside the safe area, clear of both edges.
        band = frame[int(band_top) : int(height * (1 - BOTTOM_MARGIN))]
        dark = np.nonzero((band.max(axis=2) < 30).sum(axis=0) > 3)[0]
        assert dark.min() >= width * (1 - SAFE_WIDTH) / 2 - 1
        assert dark.max() <= width * (1 + SAFE_WIDTH) / 2 + 1
    assert subtitle_words >= 10

    for part, card_t in zip(parts, cards, strict=True):
        chapter = max(chapters, key=lambda c: min(c.end, part.end) - max(c.start, part.start))
        card = squeezed(" ".join(x.text for x in read_lines(by_time[card_t], min_score=0.6)))
        assert squeezed(chapter.title) in card, (chapter.title, card)
        assert squeezed(video.title) in card  # the video's title, smaller, beneath


def test_a_query_reel_stops_before_the_next_topic(slide_library: Library, tmp_path: Path) -> None:
    mine = slide_library.local
    [video] = mine.list_videos()
    said = mine.segments(video.id)
    parts = mine.reel_parts(query="what was the order volume this quarter")
    ends = []
    for part in parts:
        # No sentence is cut: each is wholly inside the part or wholly outside it.
        inside = [s for s in said if s.start < part.end and s.end > part.start]
        assert inside and all(part.start <= s.start and s.end <= part.end for s in inside)
        # Not a frame of another slide than those its sentences are said over: the padding
        # stops at the change of slide (slides.json: when each slide really appeared).
        assert slide_at(inside[0].start)["start"] <= part.start
        assert part.end <= slide_at(inside[-1].end)["end"]
        ends.append(slide_at(inside[-1].end))
    reel = mine.reel(parts, output=tmp_path / "orders.mp4")
    spans = reel_times(parts, cards=False)
    last_frames = frames_at(reel, [end - 2 / FPS for _, end in spans])
    for frame, slide in zip(last_frames, ends, strict=True):
        text = squeezed(" ".join(x.text for x in read_lines(frame, min_score=0.6)))
        assert squeezed(slide["lines"][0]) in text, (slide["lines"][0], text)
