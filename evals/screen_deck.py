"""A 720p slide deck with words to find and a webcam inset that never holds still, made once
and cached in bench-work (``evals.screen_cost`` measures what reading it costs and how many
of its words are kept).

Three minutes of the 10-minute talk's audio under twelve slides of 15 s each, drawn with
Pillow's bundled font at three sizes (a 48 px title, 28 px body lines, an 18 px footnote: the
sizes a shared screen shows), encoded as screen-recorded talks are (H.264, a keyframe every
2 s). Two slides build up (a line appears 7 s in, the rest unchanged) and one changes a figure
in place, so a reader that looks only at what changed must still catch those. The inset is
testsrc2 in a 192×144 box at the bottom right, moving in every frame. The manifest lists each
slide's lines with the seconds they are shown."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from evals.common import WORK, log
from evals.talk_videos import DATA
from pipelines.media.ffmpeg import ffmpeg_executable

SIZE = (1280, 720)
SLIDE_S = 15.0
BUILD_AT_S = 7.0  # a built-up slide's last line (or a changed figure) appears this far in
TOPICS = (
    ("Warehouse throughput", "Pallets moved per shift: 1,284", "Dock doors in service: 14"),
    ("Delivery partners", "On-time arrivals: 96.4%", "Claims filed this month: 37"),
    ("Fleet maintenance", "Trucks due for service: 22", "Average tyre age: 19 months"),
    ("Customer support", "Tickets closed per agent: 58", "First reply time: 2.7 hours"),
    ("Inventory accuracy", "Cycle counts completed: 412", "Shrinkage rate: 0.8%"),
    ("Returns processing", "Parcels inspected daily: 903", "Refund turnaround: 4 days"),
    ("Energy use", "Solar share of power: 31%", "Forklift charging hours: 640"),
    ("Hiring plan", "Open roles in logistics: 18", "Interviews booked: 47"),
    ("Safety record", "Days without incident: 212", "Drills held this quarter: 6"),
    ("Packaging review", "Cardboard per order: 340 grams", "Recycled content: 72%"),
    ("Route planning", "Stops per route: 41", "Kilometres saved weekly: 2,950"),
    ("Next quarter goals", "Target volume: 5,600 units", "Budget review: November 20"),
)
BUILDS = {2: "New depot opens: March 3", 8: "Audit score: 94 of 100"}  # a line appears
CHANGES = {5: ("Parcels inspected daily: 903", "Parcels inspected daily: 1,127")}


def _slide(lines: list[str], out: Path) -> None:
    image = Image.new("RGB", SIZE, (245, 245, 240))
    draw = ImageDraw.Draw(image)
    title, body, note = (ImageFont.load_default(size=s) for s in (48, 28, 18))
    draw.text((96, 72), lines[0], fill=(20, 20, 30), font=title)
    y = 180
    for line in lines[1:-1]:
        draw.text((120, y), line, fill=(20, 20, 30), font=body)
        y += 56
    draw.text((96, 560), lines[-1], fill=(70, 70, 80), font=note)
    image.save(out)


def _slides() -> list[dict[str, Any]]:
    """Each picture shown: its lines, start and end (a built-up slide is two pictures)."""
    shown: list[dict[str, Any]] = []
    for n, (title, *body) in enumerate(TOPICS):
        start = n * SLIDE_S
        note = f"Source: operations dashboard, slide {n + 1} of {len(TOPICS)}"
        lines = [title, *body, note]
        later = None
        if n in BUILDS:
            later = [title, *body, BUILDS[n], note]
        elif n in CHANGES:
            old, new = CHANGES[n]
            later = [new if line == old else line for line in lines]
        if later is None:
            shown.append({"start": start, "end": start + SLIDE_S, "lines": lines})
        else:
            middle = start + BUILD_AT_S
            shown.append({"start": start, "end": middle, "lines": lines})
            shown.append({"start": middle, "end": start + SLIDE_S, "lines": later})
    return shown


def screen_deck() -> tuple[Path, list[dict[str, Any]]]:
    """The deck (made once) and what each of its pictures shows."""
    video = WORK / "screen-deck-720p-inset.mp4"
    shown = _slides()
    duration = len(TOPICS) * SLIDE_S
    if not video.exists():
        log(f"drawing and encoding {video.name}")
        WORK.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            listing = ["ffconcat version 1.0"]
            for n, picture in enumerate(shown):
                _slide(picture["lines"], work / f"s{n}.png")
                listing += [f"file 's{n}.png'", f"duration {picture['end'] - picture['start']}"]
            listing.append(f"file 's{len(shown) - 1}.png'")
            (work / "deck.txt").write_text("\n".join(listing) + "\n")
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
                    str(work / "deck.txt"),
                    "-f",
                    "lavfi",
                    "-i",
                    f"testsrc2=size=192x144:rate=25:duration={duration}",
                    "-i",
                    str(DATA / "talk-10min-voices.ogg"),
                    "-filter_complex",
                    "[0:v]fps=25[slides];[slides][1:v]overlay=W-w-24:H-h-24,format=yuv420p[v]",
                    "-map",
                    "[v]",
                    "-map",
                    "2:a",
                    "-c:v",
                    "libx264",
                    "-preset",
                    "veryfast",
                    "-g",
                    "50",
                    "-c:a",
                    "aac",
                    "-b:a",
                    "96k",
                    "-t",
                    f"{duration}",
                    str(video),
                ],
                check=True,
            )
        (WORK / "screen-deck-720p-inset.json").write_text(json.dumps(shown, indent=2) + "\n")
    return video, shown


if __name__ == "__main__":
    path, _ = screen_deck()
    log(f"written: {path}")
