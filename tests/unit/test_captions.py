"""Words drawn for a reel (editing.captions): whatever the frame's shape, from a 1080p landscape
to a 90x160 9:16 picture, every subtitle picture lies inside the safe area (within 90 % of the
width, above the bottom margin), no word is lost in the wrapping, the subtitles keep their
times, and a card's text stays on the card."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pipelines.editing.captions import (
    BOTTOM_MARGIN,
    MAX_LINES,
    SAFE_WIDTH,
    card_picture,
    subtitle_track,
    subtitle_turns,
)

FRAMES = [(1920, 1080), (480, 270), (404, 720), (202, 360), (152, 270), (90, 160)]
LONG = (
    "Let us start with the warehouse and the orders we shipped this quarter, "
    "which came to four thousand seven hundred and eighteen units in all."
)
ODD = "Pneumonoultramicroscopicsilicovolcanoconiosis-and-then-some is one word, 4,718 units."


def pictures(listing: Path) -> list[tuple[Path, float]]:
    found = re.findall(r"file '([^']+)'\nduration ([0-9.]+)", listing.read_text())
    return [(Path(path), float(span)) for path, span in found]


@pytest.mark.parametrize(("width", "height"), FRAMES)
def test_subtitles_stay_inside_the_safe_area_of_any_frame(
    width: int, height: int, tmp_path: Path
) -> None:
    lines = [(0.5, 4.0, LONG), (5.0, 8.0, ODD), (9.0, 9.5, "Thank you.")]
    track = subtitle_track(lines, width=width, height=height, folder=tmp_path)
    shown = [(path, span) for path, span in pictures(track.listing) if path.name != "blank.png"]
    assert len(shown) >= 3
    for path, _ in shown:
        band = np.asarray(Image.open(path))
        assert band.shape[1] == width and track.top >= 0
        assert track.top + band.shape[0] <= height * (1 - BOTTOM_MARGIN) + 1
        opaque = np.nonzero(band[:, :, 3].max(axis=0) > 0)[0]
        assert opaque.min() >= width * (1 - SAFE_WIDTH) / 2 - 1, path.name
        assert opaque.max() <= width * (1 + SAFE_WIDTH) / 2 + 1, path.name
        letters = (band[:, :, :3].min(axis=2) > 200) & (band[:, :, 3] == 255)
        assert letters.sum() > 0  # white letters on the black box


@pytest.mark.parametrize(("width", "height"), FRAMES)
def test_wrapping_loses_no_word_and_shows_few_lines_at_a_time(width: int, height: int) -> None:
    for text in (LONG, ODD):
        turns = subtitle_turns(text, width=width, height=height)
        assert all(1 <= len(turn) <= MAX_LINES for turn in turns)
        shown = "".join(line for turn in turns for line in turn)
        assert "".join(shown.split()) == "".join(text.split())


def test_subtitles_keep_their_times(tmp_path: Path) -> None:
    lines = [(1.0, 3.0, "First words."), (3.5, 4.0, "Second."), (3.8, 6.0, "Overlapping.")]
    track = subtitle_track(lines, width=480, height=270, folder=tmp_path)
    clock, starts = 0.0, []
    for path, span in pictures(track.listing):
        if path.name != "blank.png":
            starts.append(round(clock, 6))
        clock += span
    # A line starting before the last has ended waits for it (4.0, not 3.8).
    assert starts == [1.0, 3.5, 4.0]


@pytest.mark.parametrize(("width", "height"), FRAMES)
def test_a_cards_text_stays_on_the_card(width: int, height: int, tmp_path: Path) -> None:
    card = card_picture(
        "The budget for the holiday season and the new delivery partners we signed",
        "quarterly-operations-review · 12:34",
        width=width,
        height=height,
        path=tmp_path / "card.png",
    )
    pixels = np.asarray(Image.open(card).convert("L"))
    assert pixels.shape == (height, width)
    rows, columns = np.nonzero(pixels > 128)
    assert len(rows) > 0
    assert columns.min() >= width * (1 - SAFE_WIDTH) / 2 - 1
    assert columns.max() <= width * (1 + SAFE_WIDTH) / 2 + 1
    assert rows.min() > 0 and rows.max() < height - 1
