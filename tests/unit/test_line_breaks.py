"""Whisper's lines mended into whole sentences for citing (the lines a stranger's lighthouse
talk was transcribed into)."""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.understanding.line_breaks import whole_sentences


@dataclass(frozen=True)
class Line:
    text: str
    end: float


LINES = [
    Line("The tower was completed in 1874, and it was designed", 10.0),
    Line("By an engineer called Margaret Holloway. It stands 41 meters tall, and you climb", 17.0),
    Line("212 steps to reach the lamp.", 20.0),
    Line("The light could be seen 22 nautical", 24.0),
    Line("Miles out to sea. The last keeper moved out in 1999.", 30.0),
]


def test_a_line_cut_mid_sentence_is_cited_with_the_rest_of_it() -> None:
    mended = whole_sentences(LINES)
    assert mended[0] == (
        "The tower was completed in 1874, and it was designed by an engineer called "
        "Margaret Holloway.",
        17.0,
    )
    # Its own first sentence belonged to the line before; its last runs into the next line.
    assert mended[1] == (
        "It stands 41 meters tall, and you climb 212 steps to reach the lamp.",
        20.0,
    )
    assert mended[2] == ("212 steps to reach the lamp.", 20.0)  # whole: the line before's end
    assert mended[3] == ("The light could be seen 22 nautical miles out to sea.", 30.0)
    assert mended[4] == ("The last keeper moved out in 1999.", 30.0)


def test_whole_lines_are_cited_as_they_are() -> None:
    lines = [Line("It opens in May.", 3.0), Line("Tickets cost five euros.", 6.0)]
    assert whole_sentences(lines) == [("It opens in May.", 3.0), ("Tickets cost five euros.", 6.0)]
    assert whole_sentences([Line("and then it stopped", 2.0)]) == [("and then it stopped", 2.0)]
