"""Speakers' colours follow the person, and there are enough of them (issue 26, a stranger's
finding: the colour was the label's place, so Dana changed colour from video to video, and
Speaker 9 had Speaker 1's blue). And a bold name is drawn in one typeface: its first letter
came from another."""

from __future__ import annotations

import itertools
import math
import re
from pathlib import Path

import gradio
from fontTools.ttLib import TTFont

from app.web.colours import BACKGROUNDS, CSS, PALETTE, TONES, contrast, tones_of
from app.web.render import CSS as PAGE_CSS
from app.web.speakers import voices_of
from pipelines.public import SpeakerPublic
from pipelines.records import Segment

FONTS = Path(gradio.__file__).parent / "templates" / "frontend"


def _speakers(*names: str | None) -> list[SpeakerPublic]:
    share = 1 / len(names)
    return [
        SpeakerPublic(
            label=f"Speaker {n + 1}",
            name=name,
            shown=name or f"Speaker {n + 1}",
            seconds=10,
            share=share,
        )
        for n, name in enumerate(names)
    ]


def _tones(*names: str | None) -> dict[str, int]:
    speakers = _speakers(*names)
    lines = [Segment(n, n + 1, "words", speaker=s.shown) for n, s in enumerate(speakers)]
    return {t.shown: t.tone for t in voices_of(speakers, lines)}


def _lab(colour: str) -> tuple[float, float, float]:
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(int(colour[i : i + 2], 16) / 255) for i in (1, 3, 5))
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(v: float) -> float:
        return v ** (1 / 3) if v > 0.008856 else 7.787 * v + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def test_a_named_speaker_has_its_names_colour_in_every_video() -> None:
    here = _tones("Dana", None, None)
    there = _tones(None, None, "Cora", "dana")  # another video: Dana speaks fourth
    assert here["Dana"] == there["dana"]
    # Named or not, the speakers of one video are told apart.
    assert len(set(there.values())) == 4 and len(set(here.values())) == 3
    # Two names asking for one place: the first by name keeps it, in any video, and the
    # other takes the next free one.
    rivals = {}
    for name in (f"Person {n}" for n in range(40)):
        rivals.setdefault(tones_of([("x", name)])["x"], []).append(name)
    first, second = next(names for names in rivals.values() if len(names) >= 2)[:2]
    together = _tones(second, None, first)
    assert together[first] == _tones(first)[first]
    assert together[second] != together[first]


def test_every_speaker_of_a_big_meeting_has_a_colour_of_its_own() -> None:
    assert len(PALETTE) >= 12
    for count in (9, 13, 20, 45):
        tones = _tones(*([None] * count))
        distinct = len(set(tones.values()))
        assert distinct == min(count, len(TONES)), (count, distinct)
    # Unnamed voices take the palette in label order, as before.
    assert list(_tones(None, None, None).values()) == [0, 1, 2]


def test_every_colour_is_readable_and_the_palette_is_told_apart() -> None:
    for colour in TONES:
        for background in BACKGROUNDS:
            assert contrast(colour, background) >= 4.5, (colour, background)
    closest = min(math.dist(_lab(a), _lab(b)) for a, b in itertools.combinations(PALETTE, 2))
    assert closest >= 24, closest
    assert len(set(TONES)) == len(TONES)
    assert [int(n) for n in re.findall(r"\.vs-tone-(\d+) ", CSS)] == list(range(len(TONES)))


def test_bold_text_is_drawn_from_a_font_that_has_its_letters() -> None:
    """Gradio's theme declares Source Sans Pro 600 with a file of 55 glyphs: 'Ann' in bold
    drew its A from it and 'nn' from the system's fallback. The page declares the complete
    Bold file for both weights the page's bold text uses."""
    letters = {ord(c) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:·"}
    stub = TTFont(FONTS / "static/fonts/SourceSansPro/SourceSansPro-SemiBold.woff2")
    assert not letters <= set(stub.getBestCmap())  # why the page declares its own
    faces = re.findall(r"@font-face \{([^}]*)\}", PAGE_CSS)
    declared = {}
    for face in faces:
        weight = re.search(r"font-weight: (\d+);", face)
        source = re.search(r"url\('([^']+)'\)", face)
        assert "'Source Sans Pro'" in face and weight and source, face
        declared[int(weight.group(1))] = source.group(1)
    assert set(declared) == {600, 700}
    for path in declared.values():
        assert letters <= set(TTFont(FONTS / path).getBestCmap()), path
