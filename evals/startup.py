"""What a person waits for at the command line, whole process and all (``python -m
evals.startup``, part of ``make bench``): ``vidscope --help``, ``vidscope list`` on a small
library, and a 60 s clip of the 720p slide talk by ``vidscope clip`` against moviepy's
``subclipped`` + ``write_videofile`` — each a fresh Python process, so start-up counts.

Each command runs once to warm the page cache, then ``RUNS`` times; the median is reported
(the slowest run too: these machines are shared). The ratio clip-vs-moviepy is taken in the
same run, on the same file and the same range, with the two interleaved (three rounds of three
clips and one moviepy write): this machine's speed drifts by 10 % over a minute, and two
blocks of runs a minute apart would measure the drift into the ratio."""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from evals.common import BIN, ROOT, WORK, log, machine
from evals.talk_videos import slide_video
from pipelines.config import load_settings
from pipelines.jobs.tracking import log_run

COMMAND = "python -m evals.startup"
RUNS = 5
CLIP_START, CLIP_LENGTH = 123.37, 60.0
SMALL_TALK = ROOT / "tests" / "data" / "talk.mp4"
MOVIEPY = (
    "import sys\n"
    "from moviepy import VideoFileClip\n"
    "with VideoFileClip(sys.argv[1]) as source:\n"
    "    source.subclipped(float(sys.argv[2]), float(sys.argv[3])).write_videofile(\n"
    "        sys.argv[4], logger=None)\n"
)


ROUNDS, CLIPS_PER_ROUND = 3, 3


def _environment() -> dict[str, str]:
    # As people run it: Python writes its bytecode caches (a sandbox's
    # PYTHONDONTWRITEBYTECODE=1 recompiles ~55 modules, 0.06-0.08 s, on every start).
    env = {**os.environ, "VIDSCOPE_LOG_LEVEL": "WARNING"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def wall(command: list[str]) -> float:
    """Wall seconds of ``command`` as a fresh process."""
    started = time.perf_counter()
    subprocess.run(command, check=True, env=_environment(), capture_output=True)
    return time.perf_counter() - started


def timed(command: list[str], *, runs: int = RUNS) -> tuple[float, float]:
    """(median, slowest) wall seconds of ``command`` as a fresh process, after one warm-up."""
    wall(command)
    walls = [wall(command) for _ in range(runs)]
    return statistics.median(walls), max(walls)


def timed_against(command: list[str], baseline: list[str]) -> tuple[list[float], list[float]]:
    """Wall seconds of ``command`` and of ``baseline``, interleaved in rounds (each warmed up
    once first), so both are measured over the same minute of the machine."""
    wall(command)
    wall(baseline)
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(ROUNDS):
        ours += [wall(command) for _ in range(CLIPS_PER_ROUND)]
        theirs.append(wall(baseline))
    return ours, theirs


def library_with(home: Path, video: Path) -> str:
    """The id of ``video`` in the library at ``home``, ingesting it the first time."""
    vidscope = [str(BIN / "vidscope"), "--home", str(home)]
    if not (home / "catalog.duckdb").exists():
        log(f"ingesting {video.name} into {home.name}")
        subprocess.run([*vidscope, "ingest", str(video)], check=True, capture_output=True)
    listed = subprocess.run(
        [*vidscope, "list", "--json"], check=True, capture_output=True, text=True
    ).stdout
    return str(json.loads(listed)[0]["id"])


def measure() -> dict[str, float]:
    vidscope = str(BIN / "vidscope")
    results: dict[str, float] = {}
    log("vidscope --help")
    results["help_s"], results["help_max_s"] = timed([vidscope, "--help"])

    small = WORK / "startup-small"
    library_with(small, SMALL_TALK)
    log("vidscope list (one 35 s video)")
    results["list_s"], results["list_max_s"] = timed([vidscope, "--home", str(small), "list"])

    slides = slide_video()
    video_id = library_with(WORK / "startup-slides", slides)
    out = WORK / "startup-clips"
    out.mkdir(exist_ok=True)
    start, end = str(CLIP_START), str(CLIP_START + CLIP_LENGTH)
    log("vidscope clip: 60 s of the 720p slide talk, against moviepy's subclipped + write")
    ours, theirs = timed_against(
        [
            vidscope,
            "--home",
            str(WORK / "startup-slides"),
            "clip",
            video_id,
            "--start",
            start,
            "--end",
            end,
            "-o",
            str(out / "vidscope.mp4"),
        ],
        [sys.executable, "-c", MOVIEPY, str(slides), start, end, str(out / "moviepy.mp4")],
    )
    results["clip_cli_s"], results["clip_cli_max_s"] = statistics.median(ours), max(ours)
    results["clip_moviepy_s"] = statistics.median(theirs)
    results["clip_moviepy_max_s"] = max(theirs)
    results["clip_speedup_vs_moviepy"] = results["clip_moviepy_s"] / results["clip_cli_s"]
    return results


def write_report(r: dict[str, float]) -> None:
    lines = [
        f"\n## {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC — `{COMMAND}` (in `make bench`)\n",
        f"Machine: {machine()}. Whole processes, each run once to warm up, then the median "
        f"of {RUNS} and the slowest; the clip ({ROUNDS * CLIPS_PER_ROUND} runs) and moviepy "
        f"({ROUNDS}) interleaved in {ROUNDS} rounds.\n",
        "| command | median | slowest | target |",
        "| --- | --- | --- | --- |",
        f"| `vidscope --help` | {r['help_s']:.2f} s | {r['help_max_s']:.2f} s | < 0.4 s |",
        f"| `vidscope list` (library of one 35 s video, `tests/data/talk.mp4`) | "
        f"{r['list_s']:.2f} s | {r['list_max_s']:.2f} s | < 0.8 s |",
        f"| `vidscope clip` 60 s of the 10-minute 720p slide talk "
        f"(`bench-work/talk-10min-voices-slides-720p.mp4`, from {CLIP_START} s) | "
        f"{r['clip_cli_s']:.2f} s | {r['clip_cli_max_s']:.2f} s | |",
        f"| moviepy `subclipped` + `write_videofile`, same file and range, in its own process | "
        f"{r['clip_moviepy_s']:.2f} s | {r['clip_moviepy_max_s']:.2f} s | |",
        f"\nWhole-process clip vs moviepy: **{r['clip_speedup_vs_moviepy']:.1f}×** faster "
        "(target ≥ 15×).\n",
    ]
    with (ROOT / "docs" / "benchmarks.md").open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines))


def main() -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    results = measure()
    write_report(results)
    log_run(
        "bench",
        uri=load_settings().tracking_uri,
        name=f"startup {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M}",
        params={"command": COMMAND, "machine": machine(), "runs": RUNS},
        metrics=results,
    )
    for key, value in results.items():
        log(f"{key} = {value:.3f}")


if __name__ == "__main__":
    main()
