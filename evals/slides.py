"""Slide talks: speech over a deck of text slides, for the screen-text tests and evals. What
a slide says (a figure, a date) is not spoken, so only reading the picture can find it.

Each slide is drawn with Pillow's bundled font (no system font needed) and shown from
shortly before the sentence that introduces it until the next slide. The manifest holds the
sentences (as ``make_talk`` measures them) and each slide's lines, start and end."""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from evals.fixtures import make_talk
from pipelines.media.ffmpeg import ffmpeg_executable

LEAD_S = 0.3  # a slide appears this long before its sentence starts


def draw_slide(lines: Sequence[str], out: Path, size: tuple[int, int]) -> None:
    """Dark text on a light slide: the first line as a title, the rest below it."""
    width, height = size
    image = Image.new("RGB", size, (245, 245, 240))
    draw = ImageDraw.Draw(image)
    title = ImageFont.load_default(size=height // 10)
    body = ImageFont.load_default(size=height // 14)
    y = height // 8
    for n, line in enumerate(lines):
        font = title if n == 0 else body
        draw.text((width // 12, y), line, fill=(20, 20, 30), font=font)
        y += int((height // 10 if n == 0 else height // 14) * 1.8)
    image.save(out)


def make_slide_talk(
    sentences: Sequence[str],
    slides: Sequence[tuple[int, Sequence[str]]],
    out: Path,
    *,
    size: tuple[int, int] = (640, 360),
) -> dict[str, object]:
    """``slides``: (index of the sentence that introduces it, its lines), the first at 0.
    Writes an H.264 + AAC video with a keyframe every 2 s; returns its manifest."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        spoken = work / "talk.mp4"
        manifest = make_talk(sentences, spoken, size="64x64")
        duration = float(manifest["duration"])  # type: ignore[arg-type]
        timed = manifest["sentences"]
        assert isinstance(timed, list)
        starts = [0.0] + [max(0.0, timed[i]["start"] - LEAD_S) for i, _ in slides[1:]]
        ends = starts[1:] + [duration]
        listing = ["ffconcat version 1.0"]
        for n, ((_, lines), start, end) in enumerate(zip(slides, starts, ends, strict=True)):
            draw_slide(lines, work / f"slide{n}.png", size)
            listing += [f"file 'slide{n}.png'", f"duration {end - start:.3f}"]
        listing.append(f"file 'slide{len(slides) - 1}.png'")  # the concat demuxer's last entry
        (work / "slides.txt").write_text("\n".join(listing) + "\n")
        subprocess.run(
            [
                ffmpeg_executable(),
                "-y",
                "-loglevel",
                "error",
                "-f",
                "concat",
                "-safe",
                "0",
                "-i",
                str(work / "slides.txt"),
                "-i",
                str(spoken),
                "-map",
                "0:v",
                "-map",
                "1:a",
                "-vf",
                "fps=25,format=yuv420p",
                "-c:v",
                "libx264",
                "-preset",
                "slow",
                "-crf",
                "30",
                "-g",
                "50",
                "-c:a",
                "copy",
                "-t",
                f"{duration:.3f}",
                str(out),
            ],
            check=True,
        )
    manifest["slides"] = [
        {"start": round(start, 3), "end": round(end, 3), "lines": list(lines)}
        for (_, lines), start, end in zip(slides, starts, ends, strict=True)
    ]
    return manifest


# The committed fixture (tests/data/slides.mp4): the figures are on the slides only.
SLIDE_TALK = (
    "Welcome to the quarterly operations review.",
    "Let us start with the warehouse and the orders we shipped.",
    "These numbers come straight from the order system.",
    "Next, a word about our delivery partners.",
    "They asked us to plan the holiday season early.",
    "Thank you all for coming.",
)
SLIDES = (
    (0, ("Quarterly operations review", "Northwind Logistics")),
    (1, ("Orders shipped this quarter", "Order volume: 4,718 units", "Returns: 2.3%")),
    (3, ("Delivery partners", "Holiday plan due: October 15")),
    (5, ("Thank you",)),
)


def main() -> None:
    data = Path(__file__).resolve().parents[1] / "tests" / "data"
    manifest = make_slide_talk(SLIDE_TALK, SLIDES, data / "slides.mp4")
    (data / "slides.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print("written: tests/data/slides.mp4, tests/data/slides.json")


if __name__ == "__main__":
    main()
