"""Benchmark: a key-points reel (5 parts of 3-8 s) of a 3-minute 720p talk with a keyframe
every 10 s (no part holds two: each is re-encoded whole), and the same parts of the talk
with a keyframe every 5 s (two parts are smart cuts, three re-encoded: the mix whose copy
join squeezed frames together), made by ``make_reel`` (cut + join by stream copy) on today's
code and on the release before the reel read-back (``c5ce1e3``, from ``git archive``).

Each side runs in its own process (the baseline's ``pipelines`` first on its path), three
times; the median is reported, with what the reel holds (frames, picture and sound lengths).

    .venv/bin/python -m evals.reel_sync            # prints a Markdown table
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "bench-work" / "reel-sync"
BASELINE = "c5ce1e3"
# Seconds of the talk: 3-8 s each, none holding two keyframes (so each is re-encoded whole),
# and one from a keyframe on, as a chapter start can be.
PARTS = [(12.3, 17.1), (41.0, 47.5), (77.7, 80.9), (118.2, 126.0), (150.0, 157.6)]
RUNS = 3


def source(path: Path, gop: int) -> Path:
    """3 minutes of a moving 1280x720 picture at 25 fps, a keyframe every ``gop`` frames,
    AAC sound."""
    if not path.exists():
        from pipelines.media.ffmpeg import run_ffmpeg

        path.parent.mkdir(parents=True, exist_ok=True)
        run_ffmpeg(
            ["-y", "-f", "lavfi", "-i", "testsrc2=s=1280x720:r=25:d=180"]
            + ["-f", "lavfi", "-i", "sine=f=440:r=48000:d=180", "-c:v", "libx264"]
            + ["-preset", "veryfast", "-g", str(gop), "-keyint_min", str(gop), "-sc_threshold", "0"]
            + ["-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", str(path)],
            timeout_s=600,
        )
    return path


def measure_once(talk: Path, output: Path) -> dict[str, float]:
    """Makes the reel with whichever ``pipelines`` is first on the path; seconds taken."""
    from pipelines.config import load_settings
    from pipelines.editing.clips import ClipOptions, cut_clip
    from pipelines.editing.reels import make_reel
    from pipelines.records import ReelPart

    settings = load_settings()
    options = ClipOptions.from_settings(settings)
    parts = [ReelPart("talk", start, end) for start, end in PARTS]
    marks: dict[str, float] = {}

    def cut(n: int, path: Path) -> Path:
        part = parts[n]
        return cut_clip(talk, path, start=part.start, end=part.end, has_video=True, options=options)

    started, cpu = time.perf_counter(), _cpu_s()
    make_reel(
        parts,
        output,
        cut=cut,
        clips=settings.clips,
        progress=lambda stage, _: marks.setdefault(stage, time.perf_counter()),
    )
    done = time.perf_counter()
    return {"total_s": done - started, "join_s": done - marks["join"], "cpu_s": _cpu_s() - cpu}


def _cpu_s() -> float:
    """CPU seconds of this process and its finished children (FFmpeg): steadier than the
    wall clock on a shared machine."""
    import resource

    mine = resource.getrusage(resource.RUSAGE_SELF)
    theirs = resource.getrusage(resource.RUSAGE_CHILDREN)
    return mine.ru_utime + mine.ru_stime + theirs.ru_utime + theirs.ru_stime


def run_side(code: Path, talk: Path, output: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": f"{code}{os.pathsep}{ROOT}", "HF_HUB_OFFLINE": "1"}
    script = (
        "import json, sys; from pathlib import Path; from evals.reel_sync import measure_once; "
        "print(json.dumps(measure_once(Path(sys.argv[1]), Path(sys.argv[2]))))"
    )
    found = subprocess.run(
        [sys.executable, "-c", script, str(talk), str(output)],
        env=env,
        cwd=code,
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(found.stdout.strip().splitlines()[-1]))


def baseline_code(folder: Path) -> Path:
    if not (folder / "pipelines").is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", BASELINE, "pipelines"],
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def holds(reel: Path) -> str:
    from pipelines.editing.reel_check import measure

    found = measure(reel)
    return (
        f"{found.frames} frames, picture {found.header_video_s:.2f} s, "
        f"sound {found.header_audio_s or 0:.2f} s"
    )


def main() -> None:
    asked = sum(end - start for start, end in PARTS)
    rows = []
    for gop in (250, 125):
        talk = source(WORK / f"talk-3min-720p-gop{gop}.mp4", gop)
        for name, code in (
            ("baseline", baseline_code(WORK / f"baseline-{BASELINE}")),
            ("now", ROOT),
        ):
            output = WORK / f"reel-{name}-gop{gop}.mp4"
            runs = [run_side(code, talk, output) for _ in range(RUNS)]
            total = statistics.median(r["total_s"] for r in runs)
            join = statistics.median(r["join_s"] for r in runs)
            cpu = statistics.median(r["cpu_s"] for r in runs)
            rows.append(
                f"| {gop / 25:g} s | {name} | {total:.2f} s | {cpu:.2f} s | {join:.2f} s "
                f"| {holds(output)} |"
            )
    print(  # noqa: T201  # a benchmark's report
        f"Key-points reel: {len(PARTS)} parts, {asked:.1f} s asked (748 frames), median of "
        f"{RUNS}\n\n| keyframes every | code | cut + join | its CPU time | join | the reel holds |"
        "\n| --- | --- | --- | --- | --- | --- |\n" + "\n".join(rows)
    )


if __name__ == "__main__":
    main()
