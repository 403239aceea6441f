"""Reel parts snapped to the pauses between sentences (editing.sentence_bounds): a padded part
never cuts a sentence, never crosses into the next chapter, and ends before a new slide."""

from __future__ import annotations

import pytest

from pipelines.editing.sentence_bounds import SCREEN_SLACK_S, snap_part
from pipelines.records import ReelPart

SAID = [(0.5, 3.2), (4.6, 7.6), (9.0, 11.7), (12.9, 15.7)]


def snapped(start: float, end: float, **bounds: list[float]) -> tuple[float, float]:
    part = snap_part(ReelPart("v", start, end), SAID, **bounds)
    return part.start, part.end


def test_padding_inside_the_pauses_is_kept() -> None:
    assert snapped(4.3, 7.9) == (4.3, 7.9)


def test_a_part_cutting_into_the_next_sentence_ends_before_it() -> None:
    assert snapped(8.7, 13.2) == (8.7, 12.9)  # 0.3 s of "12.9 - 15.7" was padding
    assert snapped(2.9, 7.9) == (3.2, 7.9)  # the previous sentence's last 0.3 s


def test_a_part_starting_or_ending_inside_its_own_sentence_takes_it_whole() -> None:
    assert snapped(5.5, 7.0) == (4.6, 7.6)


def test_a_new_slide_in_the_pause_bounds_the_part() -> None:
    start, end = snapped(3.9, 12.86, screen_changes=[4.2, 12.56])
    assert start == 4.2  # the slide was dated late: it is already up
    assert end == pytest.approx(12.56 - SCREEN_SLACK_S)  # ends before it appeared
    # Never before the part's own last sentence ends, however close the change.
    assert snapped(8.7, 12.5, screen_changes=[11.9])[1] == 11.7


def test_a_part_keeps_to_the_chapter_holding_most_of_it() -> None:
    assert snapped(4.3, 15.9, chapter_starts=[12.9]) == (4.3, 12.9)
    assert snapped(8.8, 15.9, chapter_starts=[12.9]) == (12.9, 15.9)


def test_a_part_with_no_sentence_is_kept_as_it_is() -> None:
    assert snapped(3.3, 4.5) == (3.3, 4.5)
    assert snap_part(ReelPart("v", 1.0, 2.0), []) == ReelPart("v", 1.0, 2.0)
