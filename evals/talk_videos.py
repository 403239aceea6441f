"""The benchmark talks as 720p videos, made once and cached in bench-work: a high-motion one
(every frame differs) and a slide deck (what screen-recorded talks look like). Shared by the
clip benchmark (``evals.bench``) and the start-up benchmark (``evals.startup``)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from evals.common import ROOT, WORK, log
from pipelines.media.ffmpeg import ffmpeg_executable

DATA = ROOT / "evals" / "data"
TALKS = {"10min": "talk-10min-voices", "2min": "talk-2min-voices"}


def mux_video(name: str, audio: Path, video_graph: str, gop: int) -> Path:
    """A 1280x720 25 fps H.264 video (a lavfi graph) around ``audio``, cached in bench-work."""
    video = WORK / f"{name}.mp4"
    if not video.exists():
        log(f"muxing {video.name}")
        subprocess.run(
            [
                ffmpeg_executable(),
                "-y",
                "-loglevel",
                "error",
                "-f",
                "lavfi",
                "-i",
                video_graph,
                "-i",
                str(audio),
                "-c:v",
                "libx264",
                "-preset",
                "veryfast",
                "-g",
                str(gop),
                "-pix_fmt",
                "yuv420p",
                "-c:a",
                "aac",
                "-b:a",
                "96k",
                "-shortest",
                str(video),
            ],
            check=True,
        )
    return video


def talk_video(key: str) -> Path:
    """A talk as a high-motion 720p video (testsrc2: every frame differs; x264's default
    keyframe interval, 10 s)."""
    stem = TALKS[key]
    duration = json.loads((DATA / f"{stem}.json").read_text())["duration"]
    return mux_video(
        f"{stem}-720p",
        DATA / f"{stem}.ogg",
        f"testsrc2=size=1280x720:rate=25:duration={duration}",
        250,
    )


def slide_video() -> Path:
    """The 10-minute talk as a slide deck: a still picture that changes every 8 s (testsrc2 at
    1/8 fps held to 25 fps) with a small webcam inset that moves in every frame (so frames
    can be told apart), and a keyframe every 2 s, as screen-recorded talks are encoded."""
    stem = TALKS["10min"]
    d = json.loads((DATA / f"{stem}.json").read_text())["duration"]
    return mux_video(
        f"{stem}-slides-720p",
        DATA / f"{stem}.ogg",
        f"testsrc2=size=1280x720:rate=1/8:duration={d},fps=25[slides];"
        f"testsrc2=size=160x120:rate=25:duration={d}[camera];"
        "[slides][camera]overlay=W-w-16:H-h-16",
        50,
    )
