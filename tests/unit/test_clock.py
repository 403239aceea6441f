"""Every time a face writes comes from pipelines/clock.py: a player's clock (m:ss) or a
fixed-width timestamp (HH:MM:SS), whole seconds truncated and decimals rounded, in the shapes
each face shows (the command line's, the web page's, citations', WebVTT's)."""

from __future__ import annotations

from pipelines.clock import clock, timestamp


def test_a_players_clock_truncates_to_the_second() -> None:
    shown = [clock(s) for s in (0.0, 59.99, 61.2, 3599.0, 3661.5, -1.0)]
    assert shown == ["0:00", "0:59", "1:01", "59:59", "1:01:01", "0:00"]


def test_the_web_pages_clock_has_two_digits_first() -> None:
    assert [clock(s, padded=True) for s in (12.0, 30.9, 3599.0, 3725.5)] == [
        "00:12",
        "00:30",
        "59:59",
        "01:02:05",
    ]


def test_the_clip_builder_shows_hundredths_only_when_there_are_any() -> None:
    shown = [clock(s, decimals=2) for s in (4.5, 9.25, 9.0, 9.999, 3600.5)]
    assert shown == ["0:04.5", "0:09.25", "0:09", "0:10", "1:00:00.5"]


def test_a_timestamp_is_fixed_width_and_rounds_only_its_decimals() -> None:
    assert timestamp(8.97) == "00:00:08"  # a transcript line: in second 8
    assert [timestamp(s, decimals=1) for s in (8.97, 8.94, 59.96, 0.0)] == [
        "00:00:09.0",
        "00:00:08.9",
        "00:01:00.0",
        "00:00:00.0",
    ]
    assert timestamp(3725.5, decimals=3) == "01:02:05.500"  # a WebVTT cue
