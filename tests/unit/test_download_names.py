"""What a downloaded file is called: the video's title and, for a clip, its times — never an
id, never a character a file system refuses (pipelines/editing/names.py)."""

from __future__ import annotations

from pipelines.editing.names import NAME_CHARS, clip_name, download_name


def test_a_clip_is_named_by_its_title_and_times() -> None:
    assert clip_name("Solar power update", 4.2, 9.9) == "Solar power update 00.04-00.09.mp4"
    assert clip_name("Board", 3599.0, 3725.5) == "Board 59.59-01.02.05.mp4"


def test_characters_a_file_system_refuses_are_left_out() -> None:
    assert download_name('Q3: "plans" / <draft>?', "", "srt") == "Q3 plans draft.srt"
    assert download_name("../../etc/passwd", "reel", "mp4") == "etc passwd reel.mp4"
    assert download_name(" \x00 ", "", "txt") == "video.txt"


def test_a_long_title_is_cut_before_the_suffix() -> None:
    name = download_name("word " * 100, "", "vtt")
    assert len(name) <= NAME_CHARS + len(".vtt") and name.endswith("word.vtt")


def test_invisible_characters_that_reorder_text_are_left_out() -> None:
    """A right-to-left override would show 'invoice\u202e4pm.exe' as if it ended in 'exe'."""
    assert download_name("invoice\u202e4pm", "", "mp4") == "invoice 4pm.mp4"
    assert clip_name("a\u200bb\u2066c\ufeff", 0, 1) == "a b c 00.00-00.01.mp4"
