"""On-screen text: a figure shown only on a slide is found, dated from when the slide
appeared, and said to come from the screen (tests/data/slides.mp4, made by evals/slides.py:
four text slides over speech that never says what they show)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from pipelines.library import Library
from pipelines.vision.frames import settled_stills
from pipelines.vision.screen_text import ScreenOptions, read_screen_text
from tests.support.library import DATA, TALK, make_settings

SLIDES = DATA / "slides.mp4"
OPTIONS = ScreenOptions(
    enabled=True, change=0.005, min_gap_s=5.0, min_score=0.8, max_side=1280, threads=0
)


@pytest.fixture(scope="module")
def slides() -> list[dict[str, Any]]:
    manifest: dict[str, Any] = json.loads((DATA / "slides.json").read_text())
    return list(manifest["slides"])


def squeezed(text: str) -> str:
    return "".join(text.split()).lower()


def test_each_slide_is_one_passage_from_when_it_appeared(slides: list[dict[str, Any]]) -> None:
    seen: list[float] = []
    passages = read_screen_text(SLIDES, "mp4", 23.442, OPTIONS, seen.append)
    assert len(passages) == len(slides)
    for passage, slide in zip(passages, slides, strict=True):
        assert passage.source == "screen"
        assert abs(passage.start - slide["start"]) <= 0.5, (passage, slide)
        assert abs(passage.end - slide["end"]) <= 0.5, (passage, slide)
        for line in slide["lines"]:  # OCR may drop a space ("Returns:2.3%"), never a word
            assert squeezed(line) in squeezed(passage.text), (line, passage.text)
    assert seen == sorted(seen) and seen[-1] == 1.0


def test_an_unchanged_picture_is_read_once_and_a_moving_one_at_most_every_gap() -> None:
    stills = list(settled_stills(SLIDES, "mp4", change=0.005, min_gap_s=5.0, max_side=640))
    assert len(stills) == 4  # four slides: each read once, however long it is shown
    assert all(s.pixels.shape == (360, 640, 3) for s in stills)
    moving = list(settled_stills(TALK, "mp4", change=0.0005, min_gap_s=5.0, max_side=320))
    # testsrc2 changes in every frame: read at the start, then once per gap at most.
    assert 2 <= len(moving) <= math.ceil(35.8 / 5.0) + 1
    assert all(b.time - a.time >= 5.0 - 1e-6 for a, b in zip(moving, moving[1:], strict=False))


@pytest.fixture(scope="module")
def slide_library(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with Library(make_settings(tmp_path_factory.mktemp("slides"))) as lib:
        [result] = list(lib.local.ingest([SLIDES]))
        assert result.status == "indexed", result
        yield lib


@pytest.mark.parametrize(
    ("query", "slide"),
    [
        ("what was the order volume this quarter", 1),
        ("4,718", 1),
        ("how many orders were returned", 1),
        ("when is the holiday plan due", 2),
    ],
)
def test_a_figure_shown_only_on_a_slide_is_found(
    slide_library: Library, slides: list[dict[str, Any]], query: str, slide: int
) -> None:
    hits = slide_library.local.search(query, k=5)
    screen = [h for h in hits if h.source == "screen"]
    assert screen, hits
    top = screen[0]
    assert hits.index(top) <= 1, hits  # the slide is the first or second hit
    assert abs(top.start - slides[slide]["start"]) <= 0.5
    assert squeezed(slides[slide]["lines"][1]) in squeezed(top.text)


def test_speech_hits_still_say_speech(slide_library: Library) -> None:
    hits = slide_library.local.search("plan the holiday season early", k=5)
    assert any(h.source == "speech" for h in hits)


def test_ocr_can_be_switched_off(tmp_path: Path) -> None:
    with Library(make_settings(tmp_path, ocr_enabled=False)) as lib:
        [result] = list(lib.local.ingest([SLIDES]))
        assert result.status == "indexed"
        assert all(h.source == "speech" for h in lib.local.search("order volume 4,718", k=5))


def test_a_clock_and_a_frame_counter_alone_are_not_screen_text() -> None:
    # The test pattern shows a running timecode and a frame number, and no words: read as
    # text, "00:00:20.440" answered "what time does the meeting end".
    assert read_screen_text(TALK, "mp4", 35.79, OPTIONS) == []
