"""Words for a reel drawn as pictures with Pillow's bundled font (no system font needed): a
title card filling the frame, and subtitles wrapped inside the frame's safe area whatever its
shape (landscape or 9:16), so FFmpeg only lays finished pictures over the video.

Sizes follow the frame: text is ``TEXT_SHARE`` of the frame's height (of 1.25 x its width on a
tall frame, so a phone's 9:16 picture still fits a few words a line), subtitles stay within
``SAFE_WIDTH`` of the width and ``BOTTOM_MARGIN`` above the bottom edge, at most
``MAX_LINES`` lines at a time (a longer sentence is shown in turns)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

SAFE_WIDTH = 0.9  # share of the frame's width text may use
BOTTOM_MARGIN = 0.08  # share of the frame's height kept free below subtitles
TEXT_SHARE = 0.05  # subtitle letters' size, as a share of the frame's (text) height
CARD_SHARE = 0.085  # a card's title, likewise
MAX_LINES = 2  # subtitle lines on screen at once
MIN_FONT_PX = 10


@functools.lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.FreeTypeFont:
    font = ImageFont.load_default(size=size)
    assert isinstance(font, ImageFont.FreeTypeFont)  # Pillow built with FreeType (its wheels)
    return font


def text_px(width: int, height: int, share: float = TEXT_SHARE) -> int:
    """Letter size for a ``width`` x ``height`` frame: ``share`` of its height, or of 1.25 x its
    width when the frame is tall."""
    return max(MIN_FONT_PX, round(share * min(height, 1.25 * width)))


def wrap(text: str, font: ImageFont.FreeTypeFont, max_width: float) -> list[str]:
    """``text`` in lines no wider than ``max_width`` pixels: words kept whole where one fits on
    a line, a word wider than a line broken between letters."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        while font.getlength(word) > max_width and len(word) > 1:
            if line:
                lines.append(line)
                line = ""
            head, word = _break_word(word, font, max_width)
            lines.append(head)
        candidate = f"{line} {word}" if line else word
        if line and font.getlength(candidate) > max_width:
            lines.append(line)
            line = word
        else:
            line = candidate
    if line:
        lines.append(line)
    return lines


def _break_word(word: str, font: ImageFont.FreeTypeFont, max_width: float) -> tuple[str, str]:
    """The longest head of ``word`` that fits ``max_width`` (a letter at least), and the rest."""
    n = 1
    while n < len(word) and font.getlength(word[: n + 1]) <= max_width:
        n += 1
    return word[:n], word[n:]


Timed = tuple[float, float, str]  # start, end (seconds of the reel), text


def _line_height(font: ImageFont.FreeTypeFont) -> int:
    ascent, descent = font.getmetrics()
    return ascent + descent


def _padding(font: ImageFont.FreeTypeFont) -> int:
    return max(2, round(font.size * 0.3))


def subtitle_turns(text: str, *, width: int, height: int) -> list[list[str]]:
    """``text`` wrapped to the safe width, in turns of at most ``MAX_LINES`` lines; a sentence
    needing several turns is split between words into turns of about equal length (no turn
    left holding one word)."""
    font = _font(text_px(width, height))
    line_width = width * SAFE_WIDTH - 2 * _padding(font)
    words = text.split()
    lines = wrap(" ".join(words), font, line_width)
    turns = -(-len(lines) // MAX_LINES)
    if turns <= 1:
        return [_even_wrap(" ".join(words), font, line_width)]
    while turns <= len(words):
        groups = _balanced(words, turns)
        wrapped = [_even_wrap(" ".join(group), font, line_width) for group in groups]
        if all(len(lines) <= MAX_LINES for lines in wrapped):
            return wrapped
        turns += 1
    # A word longer than MAX_LINES lines (broken between letters): the lines in order.
    return [lines[n : n + MAX_LINES] for n in range(0, len(lines), MAX_LINES)]


def _even_wrap(text: str, font: ImageFont.FreeTypeFont, max_width: float) -> list[str]:
    """``text`` in as few lines as ``wrap`` gives it, made about equally long (the narrowest
    width that still needs no more lines), so no line is left holding one word."""
    lines = wrap(text, font, max_width)
    low, high = 0.0, max_width
    while len(lines) > 1 and high - low > 1:
        middle = (low + high) / 2
        if len(wrap(text, font, middle)) <= len(lines):
            high = middle
        else:
            low = middle
    return wrap(text, font, high) if len(lines) > 1 else lines


def _balanced(words: list[str], groups: int) -> list[list[str]]:
    """``words`` in ``groups`` runs (none empty) of about equal length in letters."""
    total = sum(len(w) + 1 for w in words)
    runs: list[list[str]] = [[]]
    done = 0
    for n, word in enumerate(words):
        left = len(words) - n  # words not yet placed, this one included
        due = total * len(runs) / groups
        if (
            runs[-1]
            and len(runs) < groups
            and (done + len(word) / 2 > due or left <= groups - len(runs))
        ):
            runs.append([])
        runs[-1].append(word)
        done += len(word) + 1
    return runs


@dataclass(frozen=True)
class SubtitleTrack:
    """Subtitles as one picture stream for FFmpeg's concat demuxer: ``listing`` names a
    ``width`` x band picture per turn (transparent around a black box) and a blank one between,
    each with its duration; it is laid over the reel at ``top``, a band ending
    ``BOTTOM_MARGIN`` above the frame's bottom edge."""

    listing: Path
    top: int


def subtitle_track(
    lines: Sequence[Timed], *, width: int, height: int, folder: Path
) -> SubtitleTrack:
    """``lines`` (in time order) as white letters on a black box, centred in the band: one
    picture per turn of ``MAX_LINES`` lines, a long sentence's turns sharing its time by their
    length; written to ``folder``."""
    font = _font(text_px(width, height))
    pad = _padding(font)
    line_h = _line_height(font)
    band_h = line_h * MAX_LINES + 2 * pad
    top = max(0, height - round(height * BOTTOM_MARGIN) - band_h)
    blank = folder / "blank.png"
    Image.new("RGBA", (width, band_h), (0, 0, 0, 0)).save(blank)
    entries: list[tuple[Path, float]] = []
    clock = 0.0
    for n, (start, end, text) in enumerate(lines):
        start = max(start, clock)
        if end - start <= 0:
            continue
        if start > clock:
            entries.append((blank, start - clock))
        turns = subtitle_turns(text, width=width, height=height)
        total = sum(len("".join(turn)) for turn in turns) or 1
        for k, turn in enumerate(turns):
            share = (end - start) * len("".join(turn)) / total
            path = folder / f"line-{n:04d}-{k}.png"
            _band(turn, font, pad, line_h, width, band_h).save(path)
            entries.append((path, share))
        clock = end
    entries += [(blank, 1.0), (blank, 1.0)]  # the last picture's duration needs one after it
    listing = folder / "subtitles.txt"
    listing.write_text(
        "ffconcat version 1.0\n"
        + "".join(f"file '{path.resolve()}'\nduration {span:.6f}\n" for path, span in entries)
    )
    return SubtitleTrack(listing, top)


def _band(
    turn: list[str],
    font: ImageFont.FreeTypeFont,
    pad: int,
    line_h: int,
    width: int,
    band_h: int,
) -> Image.Image:
    """A transparent ``width`` x ``band_h`` band with ``turn`` on a black box, centred at its
    bottom."""
    band = Image.new("RGBA", (width, band_h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(band)
    box_w = round(max(font.getlength(line) for line in turn)) + 2 * pad
    box_h = line_h * len(turn) + 2 * pad
    left, top = (width - box_w) // 2, band_h - box_h
    draw.rectangle((left, top, left + box_w - 1, band_h - 1), fill=(0, 0, 0, 255))
    for row, line in enumerate(turn):
        x = (width - font.getlength(line)) / 2
        draw.text((x, top + pad + row * line_h), line, font=font, fill=(255, 255, 255, 255))
    return band


def card_picture(title: str, second: str, *, width: int, height: int, path: Path) -> Path:
    """A ``width`` x ``height`` black card: ``title`` large and ``second`` smaller beneath,
    both wrapped to the safe width and centred; the letters shrink until the text fits within
    the frame's safe area. Written to ``path`` (.png)."""
    size = text_px(width, height, CARD_SHARE)
    while True:
        big, small = _font(size), _font(max(MIN_FONT_PX, round(size * 0.6)))
        blocks = [
            (big, wrap(title, big, width * SAFE_WIDTH)),
            (small, wrap(second, small, width * SAFE_WIDTH) if second else []),
        ]
        total = sum(_line_height(font) * len(lines) for font, lines in blocks)
        gap = _line_height(small) // 2 if blocks[1][1] else 0
        if total + gap <= height * SAFE_WIDTH or size <= MIN_FONT_PX:
            break
        size = max(MIN_FONT_PX, round(size * 0.85))
    picture = Image.new("RGB", (width, height), (0, 0, 0))
    draw = ImageDraw.Draw(picture)
    top = (height - total - gap) / 2
    for font, lines in blocks:
        for line in lines:
            draw.text(((width - font.getlength(line)) / 2, top), line, font=font, fill="white")
            top += _line_height(font)
        top += gap
    picture.save(path)
    return path
