"""One measurement for ``evals.screen_cost``, in a process of its own, of whichever code is
named: ``python evals/screen_cost_child.py CODE_ROOT VIDEO [DETECT_SIDE]`` prints JSON.

The code root goes first on ``sys.path``, so the same file measures the baseline release's
``pipelines`` (a ``git archive`` under bench-work) and this checkout's. The screen-text stage
alone is timed (``read_screen_text``: decode, change detection, OCR), the OCR engine loaded
beforehand; stills are counted on their way from ``settled_stills`` to the reader, with the
share of each still that was to be read."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def main() -> None:
    code, video = Path(sys.argv[1]), Path(sys.argv[2])
    sys.path.insert(0, str(code))
    from pipelines.config import load_settings
    from pipelines.media.probe import probe
    from pipelines.vision import ocr, screen_text
    from pipelines.vision.screen_text import ScreenOptions, read_screen_text

    if len(sys.argv) > 3:
        ocr.DETECT_SIDE = int(sys.argv[3])
    options = ScreenOptions.from_settings(load_settings())
    ocr._engine(options.threads)
    counted = {"stills": 0, "share": 0.0}
    stills = getattr(screen_text, "settled_stills")  # noqa: B009

    def counting(*args: Any, **kwargs: Any) -> Iterator[Any]:
        for still in stills(*args, **kwargs):
            h, w = still.pixels.shape[:2]
            regions = getattr(still, "regions", ()) or ()  # the baseline reads whole stills
            area = sum((r.bottom - r.top) * (r.right - r.left) for r in regions) or h * w
            counted["stills"] += 1
            counted["share"] += min(1.0, area / (h * w))
            yield still

    setattr(screen_text, "settled_stills", counting)  # noqa: B010  # counted on the way
    info = probe(video, allowed=("mp4",))
    started = time.perf_counter()
    passages = read_screen_text(video, info.container, info.duration, options)
    seconds = time.perf_counter() - started
    json.dump(
        {
            "seconds": seconds,
            "duration": info.duration,
            "stills": counted["stills"],
            "area_read": counted["share"],  # stills' worth of pixels handed to the reader
            "passages": [[p.start, p.end, p.text] for p in passages],
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
