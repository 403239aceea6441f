"""Screen text read where the picture changed (issue 27): a webcam inset moving over a slide
never makes the slide new, a figure changed in place is read with its row only, and a line
read once is not recognised again. A 12 s 640×360 video made here (three pictures of one
slide, an inset of testsrc2 moving in every frame, a keyframe every 2 s), real RapidOCR."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from pipelines.media.ffmpeg import ffmpeg_executable
from pipelines.vision.frames import settled_stills
from pipelines.vision.ocr import Region, ScreenReader
from pipelines.vision.screen_text import ScreenOptions, read_screen_text

SIZE = (640, 360)
INSET = Region(top=360 - 72 - 8, left=640 - 96 - 8, bottom=360 - 8, right=640 - 8)
# (seconds shown, lines): the second picture changes one figure, the third adds a line
PICTURES = (
    (4.0, ("Quarterly review", "Orders shipped: 4,718", "Returns: 2.3%")),
    (4.0, ("Quarterly review", "Orders shipped: 5,906", "Returns: 2.3%")),
    (
        4.0,
        (
            "Quarterly review",
            "Orders shipped: 5,906",
            "Returns: 2.3%",
            "Holiday plan due: October 15, all depots",
        ),
    ),
)
OPTIONS = ScreenOptions(
    enabled=True, change=0.005, min_gap_s=5.0, min_score=0.8, max_side=1280, threads=0
)


def draw(lines: tuple[str, ...], out: Path) -> None:
    image = Image.new("RGB", SIZE, (245, 245, 240))
    pen = ImageDraw.Draw(image)
    pen.text((40, 30), lines[0], fill=(20, 20, 30), font=ImageFont.load_default(size=32))
    for n, line in enumerate(lines[1:]):
        pen.text((60, 100 + 50 * n), line, fill=(20, 20, 30), font=ImageFont.load_default(size=24))
    image.save(out)


@pytest.fixture(scope="module")
def deck(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("deck")
    listing = ["ffconcat version 1.0"]
    for n, (seconds, lines) in enumerate(PICTURES):
        draw(lines, folder / f"p{n}.png")
        listing += [f"file 'p{n}.png'", f"duration {seconds}"]
    listing.append(f"file 'p{len(PICTURES) - 1}.png'")
    (folder / "deck.txt").write_text("\n".join(listing) + "\n")
    out = folder / "deck.mp4"
    subprocess.run(  # nosec B603  # an argument list, no shell
        [
            ffmpeg_executable(), "-nostdin", "-loglevel", "error", "-y",
            "-f", "concat", "-safe", "0", "-i", str(folder / "deck.txt"),
            "-f", "lavfi", "-i", "testsrc2=size=96x72:rate=25:duration=12",
            "-filter_complex", "[0:v]fps=25[s];[s][1:v]overlay=W-w-8:H-h-8,format=yuv420p",
            "-c:v", "libx264", "-preset", "ultrafast", "-g", "50", "-t", "12", str(out),
        ],
        check=True,
    )  # fmt: skip
    return out


def inside(region: Region, outer: Region, margin: int = 48) -> bool:
    return (
        region.top >= outer.top - margin
        and region.left >= outer.left - margin
        and region.bottom <= outer.bottom + margin
        and region.right <= outer.right + margin
    )


def test_a_moving_inset_does_not_make_the_slide_new(deck: Path) -> None:
    stills = list(settled_stills(deck, "mp4", change=0.005, min_gap_s=5.0, max_side=640))
    first, *rest = stills
    assert first.time == 0.0 and first.whole
    slide_reads = [s for s in rest if not all(inside(r, INSET) for r in s.regions)]
    # The figure changed at 4 s and the line added at 8 s; nothing else on the slide.
    assert [round(s.time) for s in slide_reads] == [4, 8], [(s.time, s.regions) for s in rest]
    inset_reads = [s.time for s in rest if s not in slide_reads]
    assert all(b - a >= 5.0 - 1e-6 for a, b in zip(inset_reads, inset_reads[1:], strict=False))


def test_a_changed_figure_is_read_in_its_row_only(deck: Path) -> None:
    stills = list(settled_stills(deck, "mp4", change=0.005, min_gap_s=5.0, max_side=640))
    changed = next(s for s in stills if 3.5 <= s.time <= 4.5)
    assert not changed.whole
    [row] = [r for r in changed.regions if not inside(r, INSET)]
    assert (row.left, row.right) == (0, 640)  # a line is never cut at its sides
    assert row.bottom - row.top <= 120  # the figure's row, not the slide
    assert row.top <= 100 <= row.bottom  # where "Orders shipped" is drawn


def test_each_picture_is_a_passage_with_what_it_shows(deck: Path) -> None:
    passages = read_screen_text(deck, "mp4", 12.0, OPTIONS)
    assert [round(p.start) for p in passages] == [0, 4, 8], passages
    assert "4,718" in passages[0].text and "5,906" not in passages[0].text
    assert "5,906" in passages[1].text and "Quarterly review" in passages[1].text
    assert "Holiday plan due" in passages[2].text and "Returns: 2.3%" in passages[2].text


def test_a_line_read_before_is_not_recognised_again(tmp_path: Path) -> None:
    draw(PICTURES[0][1], tmp_path / "a.png")
    draw(PICTURES[1][1], tmp_path / "b.png")
    a, b = (np.asarray(Image.open(tmp_path / f"{n}.png").convert("RGB")) for n in "ab")
    whole = [Region(0, 0, SIZE[1], SIZE[0])]
    reader = ScreenReader(min_score=0.8)
    first = [line.text for line in reader.read(a, whole)]
    assert first == list(PICTURES[0][1]) and reader.recognised == 3
    assert [line.text for line in reader.read(a, whole)] == first
    assert reader.recognised == 3 and reader.reused == 3  # nothing recognised again
    assert [line.text for line in reader.read(b, whole)] == list(PICTURES[1][1])
    assert reader.recognised == 4  # only the changed figure's line
