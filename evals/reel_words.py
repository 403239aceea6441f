"""What title cards and subtitles cost a reel: the same 50 s reel (five 10 s parts of the
two-minute 720p talk, evals/talk_videos.py) made with and without words, landscape and 9:16,
each in a fresh process (wall time and peak RSS, FFmpeg included), the cases interleaved and
repeated in one run so both sides see the same machine load. The bar (issue 25): words cost
at most 3x the reel without them.

    .venv/bin/python -m evals.reel_words [--repeats N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from evals.common import log, machine
from evals.talk_videos import DATA, TALKS, talk_video

STARTS = (5.0, 30.0, 55.0, 80.0, 105.0)
PART_S = 10.0
CASES = ("plain", "words", "plain-vertical", "words-vertical")


def make(case: str, output: Path) -> None:
    """One reel of ``case`` (a child process's whole work)."""
    from pipelines.config import load_settings
    from pipelines.editing.clips import ClipOptions, cut_clip
    from pipelines.editing.compose import part_texts
    from pipelines.editing.reels import make_reel
    from pipelines.records import ReelPart

    settings = load_settings(home=output.parent / "library")
    source = talk_video("2min")
    manifest = json.loads((DATA / f"{TALKS['2min']}.json").read_text())
    sentences = [(s["start"], s["end"], s["text"]) for s in manifest["sentences"]]
    parts = [ReelPart("talk", start, start + PART_S) for start in STARTS]
    words = case.startswith("words")
    options = ClipOptions.from_settings(settings)

    def cut(n: int, path: Path) -> Path:
        return cut_clip(
            source, path, start=parts[n].start, end=parts[n].end, has_video=True, options=options
        )

    texts = part_texts(
        parts,
        title_of=lambda video_id: "The two-minute talk",
        sentences_of=lambda video_id: sentences,
        chapters_of=lambda video_id: [(0.0, 60.0, "Search features"), (60.0, 130.0, "Budgets")],
        subtitles=words,
        title_cards=words,
    )
    make_reel(
        parts,
        output,
        cut=cut,
        clips=settings.clips,
        vertical=case.endswith("vertical"),
        texts=texts if words else None,
    )


def measured(case: str, output: Path) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of a child process making ``case``."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "evals.reel_words", "--make", case, str(output)],
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    _, status, usage = os.wait4(child.pid, 0)
    if status != 0:
        raise RuntimeError(f"making the {case} reel exited with status {status}")
    return time.perf_counter() - started, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--make", nargs=2, metavar=("CASE", "OUTPUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make:
        make(args.make[0], Path(args.make[1]))
        return
    talk_video("2min")  # muxed once, outside the timings
    runs: dict[str, list[tuple[float, float]]] = {case: [] for case in CASES}
    with tempfile.TemporaryDirectory() as tmp:
        for repeat in range(args.repeats):
            for case in CASES:
                runs[case].append(measured(case, Path(tmp) / f"{case}-{repeat}.mp4"))
                log(f"{case}: {runs[case][-1][0]:.2f} s, {runs[case][-1][1]:.0f} MB")
    best = {case: min(r[0] for r in found) for case, found in runs.items()}
    rss = {case: max(r[1] for r in found) for case, found in runs.items()}
    log(f"machine: {machine()}")
    for case in CASES:
        log(f"{case:15} best {best[case]:6.2f} s  peak RSS {rss[case]:5.0f} MB")
    log(f"words / plain, landscape: {best['words'] / best['plain']:.2f}x")
    log(f"words / plain, 9:16: {best['words-vertical'] / best['plain-vertical']:.2f}x")


if __name__ == "__main__":
    main()
