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


def test_a_signpost_sharing_a_line_with_a_sentence_is_not_cited() -> None:
    # As Whisper heard the flite-spoken eval talks: a closing line or the next topic's
    # announcement in one line with a sentence that says something.
    mended = whole_sentences(
        [
            Line("Volunteers now plant young coral fragments on metal frames. That is all", 5.0),
            Line("on the coral reef.", 6.0),
            Line("Next, irrigation. Three members tested irrigation on their fields.", 9.0),
            Line("Now let me turn to the budget. We spent 40 percent more.", 12.0),
            Line("Next, the coral reef.", 14.0),  # a signpost alone stays (the rules see it)
            Line("Soil health improved by a third. Now, the results are in.", 18.0),
            Line("Next, soil health. It improved by a third.", 21.0),
        ]
    )
    assert [text for text, _ in mended] == [
        "Volunteers now plant young coral fragments on metal frames.",
        "on the coral reef.",
        "Three members tested irrigation on their fields.",
        "We spent 40 percent more.",
        "Next, the coral reef.",
        "Soil health improved by a third. Now, the results are in.",  # says something
        "It improved by a third.",
    ]
    assert mended[0][1] == 6.0  # the line's time still runs to the mended sentence's end
