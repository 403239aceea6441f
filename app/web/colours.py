"""Each speaker's colour on the Watch tab. A named speaker's colour comes from its name, so
Dana is one colour in every video of the owner's library; an unnamed voice takes the first
colour no named speaker of its video holds, in label order. Twelve hand-picked colours first,
then generated ones (a 40-voice meeting still tells every voice apart).

Every colour is text at least 4.5:1 (WCAG AA) on white and on the transcript's hover
(#eef1fb) and playing (#dfe6ff) backgrounds, and the twelve are at least 24 apart (CIELAB
distance) from each other; tests/unit/test_speaker_colours.py measures both, and
tests/e2e/test_web.py the contrast the browser renders."""

from __future__ import annotations

import colorsys
import hashlib
from collections.abc import Sequence

from pipelines.storage.catalog.speaker_rules import speaker_key

PALETTE = (
    "#1a5fb4",  # blue
    "#b3261e",  # red
    "#17692c",  # green
    "#7b3fb0",  # purple
    "#9a4a00",  # brown
    "#00707a",  # teal
    "#a8146a",  # magenta
    "#545b69",  # slate
    "#4300e0",  # indigo
    "#534809",  # olive
    "#7e2a37",  # wine
    "#ad00cc",  # violet
)
BACKGROUNDS = ("#ffffff", "#eef1fb", "#dfe6ff")
MIN_CONTRAST = 4.5


def luminance(colour: str) -> float:
    """WCAG relative luminance of '#rrggbb'."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two '#rrggbb' colours, 1 to 21."""
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _generated(count: int) -> tuple[str, ...]:
    """``count`` colours after the palette: hues a golden angle apart (neighbours differ
    most), each as light as it can be while readable on every background."""
    found = []
    for n in range(count):
        hue = (17.0 + 137.508 * n) % 360.0
        lightness = 0.45
        while True:
            r, g, b = colorsys.hls_to_rgb(hue / 360.0, lightness, 0.75)
            colour = f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"
            if min(contrast(colour, bg) for bg in BACKGROUNDS) >= MIN_CONTRAST + 0.1:
                break
            lightness -= 0.01
        found.append(colour)
    return tuple(found)


# The palette, then generated colours: CSS classes vs-tone-0 .. vs-tone-39. A video with more
# voices than that gives the rest generated colours again, in turn.
TONES = PALETTE + _generated(28)


def preferred(name: str) -> int:
    """The palette place a name asks for, the same in every video and process (a hash of the
    name as speakers compare it: 'dana' and 'Ｄａｎａ' are Dana)."""
    digest = hashlib.sha256(speaker_key(name).encode()).digest()
    return int.from_bytes(digest[:8], "big") % len(PALETTE)


def tones_of(speakers: Sequence[tuple[str, str | None]]) -> dict[str, int]:
    """Each speaker's tone (an index into ``TONES``), from ``speakers``: (label, name or
    None) in label order. Named speakers first, in name order: each takes its name's place,
    or the next free one when a name before it in this video has it; then unnamed ones, in
    label order, the first free places; past the palette, generated colours in turn."""
    tones: dict[str, int] = {}
    free = list(range(len(PALETTE)))
    named = sorted((speaker_key(n), label) for label, n in speakers if n is not None)
    for key, label in named:
        if not free:
            break
        place = preferred(key)
        # The first free place at or after the name's own, round the palette.
        chosen = min(free, key=lambda p: (p - place) % len(PALETTE))
        free.remove(chosen)
        tones[label] = chosen
    extra = len(TONES) - len(PALETTE)
    spilled = 0
    for label, _ in speakers:
        if label in tones:
            continue
        if free:
            tones[label] = free.pop(0)
        else:
            tones[label] = len(PALETTE) + spilled % extra
            spilled += 1
    return tones


CSS = "".join(f".vs-tone-{n} {{ --vs-tone: {colour}; }}\n" for n, colour in enumerate(TONES))
