"""What reading the pictures costs (``python -m evals.screen_cost``, part of ``make bench``):
the screen-text stage alone (``read_screen_text``: decode, change detection, OCR) on three
kinds of picture, in seconds per minute of video, with how many stills were read. The OCR
engine is loaded before the clock starts (0.6 s once per process).

- the committed slide talk (tests/data/slides.mp4, 640×360, four text slides, 23 s);
- the 10-minute talk as a 720p slide deck with a moving webcam inset (the inset keeps the
  picture from settling, so it is read every ``VIDSCOPE_OCR_MIN_GAP_S``);
- the 2-minute talk as 720p high motion (testsrc2: every frame differs)."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from evals.common import ROOT, log, machine
from evals.talk_videos import slide_video, talk_video
from pipelines.config import load_settings
from pipelines.jobs.tracking import log_run
from pipelines.media.probe import probe
from pipelines.vision import ocr
from pipelines.vision.frames import settled_stills
from pipelines.vision.screen_text import ScreenOptions, read_screen_text

COMMAND = "python -m evals.screen_cost"


def measure(name: str, path: Path, options: ScreenOptions) -> dict[str, float]:
    info = probe(path, allowed=("mp4",))
    log(f"reading the pictures of {name} ({info.duration:.0f} s)")
    started = time.perf_counter()
    passages = read_screen_text(path, info.container, info.duration, options)
    seconds = time.perf_counter() - started
    stills = sum(
        1
        for _ in settled_stills(
            path,
            info.container,
            change=options.change,
            min_gap_s=options.min_gap_s,
            max_side=64,
        )
    )
    return {
        "seconds": seconds,
        "video_min": info.duration / 60,
        "s_per_video_min": seconds / (info.duration / 60),
        "stills_read": float(stills),
        "passages": float(len(passages)),
    }


def main() -> None:
    settings = load_settings()
    options = ScreenOptions.from_settings(settings)
    ocr._engine(options.threads)  # loaded once per process, before any clock starts
    rows = {
        "slides fixture (tests/data/slides.mp4, 640×360)": measure(
            "the slide fixture", ROOT / "tests" / "data" / "slides.mp4", options
        ),
        "10-min 720p slide deck with webcam inset": measure(
            "the slide deck", slide_video(), options
        ),
        "2-min 720p high motion": measure("the high-motion talk", talk_video("2min"), options),
    }
    lines = [
        f"\n## {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC — `{COMMAND}` (in `make bench`)\n",
        f"Machine: {machine()}. The screen-text stage alone (decode, change detection, OCR), "
        f"OCR engine loaded beforehand; settings: change {options.change}, min gap "
        f"{options.min_gap_s} s, longest side {options.max_side}.\n",
        "| video | length | stage | per video minute | stills read | passages |",
        "| --- | --- | --- | --- | --- | --- |",
        *(
            f"| {name} | {r['video_min']:.1f} min | {r['seconds']:.1f} s | "
            f"**{r['s_per_video_min']:.2f} s** | {r['stills_read']:.0f} | {r['passages']:.0f} |"
            for name, r in rows.items()
        ),
        "",
    ]
    with (ROOT / "docs" / "benchmarks.md").open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines))
    log_run(
        "bench",
        uri=settings.tracking_uri,
        name=f"screen text {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M}",
        params={"command": COMMAND, "machine": machine()},
        metrics={
            f"{key}_{n}": value for n, r in enumerate(rows.values()) for key, value in r.items()
        },
    )
    for name, r in rows.items():
        log(f"{name}: {r['s_per_video_min']:.2f} s per video minute")


if __name__ == "__main__":
    main()
