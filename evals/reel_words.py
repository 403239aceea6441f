"""What title cards and subtitles cost a reel: the same 50 s reel (five 10 s parts of the
two-minute 720p talk, evals/talk_videos.py) made with and without words, landscape and 9:16,
each in a fresh process (wall time and peak RSS, FFmpeg included), the cases interleaved and
repeated in one run so both sides see the same machine load. The bar (issue 25): words cost
at most 3x the reel without them. ``--before COMMIT`` also makes the landscape reel with words
by that commit's editing/compose.py (6606e56~1: moviepy's frame loop).

    .venv/bin/python -m evals.reel_words [--repeats N] [--before COMMIT]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from evals.common import ROOT, log, machine
from evals.talk_videos import DATA, TALKS, talk_video

STARTS = (5.0, 30.0, 55.0, 80.0, 105.0)
PART_S = 10.0
CASES = ("plain", "words", "plain-vertical", "words-vertical")


def make(case: str, output: Path, before: str | None = None) -> None:
    """One reel of ``case`` (a child process's whole work); ``before``: composed by that
    commit's compose_reel."""
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
    if before:
        _compose_as_of(before, output.parent)
    make_reel(
        parts,
        output,
        cut=cut,
        clips=settings.clips,
        vertical=case.endswith("vertical"),
        texts=texts if words else None,
    )


def _compose_as_of(commit: str, folder: Path) -> None:
    """Puts ``commit``'s compose_reel in place of today's (in this process only)."""
    import pipelines.editing.compose as compose

    source = folder / f"compose_{commit.replace('~', '_')}.py"
    source.write_text(
        subprocess.run(
            ["git", "show", f"{commit}:pipelines/editing/compose.py"],
            cwd=ROOT, check=True, capture_output=True, text=True,
        ).stdout
    )  # fmt: skip
    spec = importlib.util.spec_from_file_location("compose_before", source)
    assert spec is not None and spec.loader is not None
    old = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = old  # dataclasses look their module up there
    spec.loader.exec_module(old)

    def compose_reel(*args: Any, timeout_s: float | None = None, **kwargs: Any) -> None:
        old.compose_reel(*args, **kwargs)  # it had no time limit

    compose.compose_reel = compose_reel


def measured(case: str, output: Path, before: str | None = None) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of a child process making ``case``."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "evals.reel_words", "--make", case, str(output)]
        + (["--before", before] if before else []),
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    _, status, usage = os.wait4(child.pid, 0)
    if status != 0:
        raise RuntimeError(f"making the {case} reel exited with status {status}")
    return time.perf_counter() - started, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--before", help="a commit whose compose_reel is measured too")
    parser.add_argument("--make", nargs=2, metavar=("CASE", "OUTPUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make:
        make(args.make[0], Path(args.make[1]), args.before)
        return
    talk_video("2min")  # muxed once, outside the timings
    cases = [*CASES, *(["words-before"] if args.before else [])]
    runs: dict[str, list[tuple[float, float]]] = {case: [] for case in cases}
    with tempfile.TemporaryDirectory() as tmp:
        for repeat in range(args.repeats):
            for case in cases:
                before = args.before if case == "words-before" else None
                output = Path(tmp) / f"{case}-{repeat}.mp4"
                runs[case].append(measured(case.removesuffix("-before"), output, before))
                log(f"{case}: {runs[case][-1][0]:.2f} s, {runs[case][-1][1]:.0f} MB")
    best = {case: min(r[0] for r in found) for case, found in runs.items()}
    rss = {case: max(r[1] for r in found) for case, found in runs.items()}
    log(f"machine: {machine()}")
    for case in cases:
        log(f"{case:15} best {best[case]:6.2f} s  peak RSS {rss[case]:5.0f} MB")
    log(f"words / plain, landscape: {best['words'] / best['plain']:.2f}x")
    log(f"words / plain, 9:16: {best['words-vertical'] / best['plain-vertical']:.2f}x")
    if args.before:
        log(f"words before / now, landscape: {best['words-before'] / best['words']:.2f}x")


if __name__ == "__main__":
    main()
