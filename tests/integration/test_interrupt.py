"""Interrupting `vidscope clip` (SIGTERM, SIGINT, SIGKILL) leaves no FFmpeg running and no
partial file: at once for the signals Python can handle, at the next clip for SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines.library import Library
from pipelines.media.ffmpeg import ffmpeg_executable
from tests.support.library import make_settings


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def running(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def long_video_library(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A 40 s 1280x720 4:4:4 video without sound: ingest is quick, and a clip of it is a
    full re-encode that runs for many seconds."""
    folder = tmp_path_factory.mktemp("interrupt")
    source = folder / "long.mp4"
    subprocess.run(
        [
            ffmpeg_executable(), "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
            "testsrc2=size=1280x720:rate=25:duration=40", "-c:v", "libx264", "-preset",
            "ultrafast", "-pix_fmt", "yuv444p", str(source),
        ],
        check=True,
    )  # fmt: skip
    home = folder / "library"
    with Library(make_settings(home)) as library:
        [result] = list(library.local.ingest([source]))
    return home, result.video_id


def start_clip(home: Path, video_id: str, output: Path) -> subprocess.Popen[bytes]:
    # The slowest preset on the whole range: FFmpeg is surely still encoding when signalled.
    env = {**os.environ, "VIDSCOPE_HOME": str(home), "VIDSCOPE_CLIP_PRESET": "slow"}
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "clip", video_id, "--start", "0.5", "--end", "39.5",
         "-o", str(output)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip


def wait_for_ffmpeg(process: subprocess.Popen[bytes]) -> list[int]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        encoders = [c for c in children(process.pid) if "ffmpeg" in _cmdline(c)]
        if encoders:
            return encoders
        assert process.poll() is None, "the clip ended before FFmpeg started"
        time.sleep(0.02)
    raise AssertionError("FFmpeg never started")


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_text()
    except OSError:
        return ""


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_interrupted_clip_leaves_no_ffmpeg_and_no_partial_file(
    long_video_library: tuple[Path, str], tmp_path: Path, signum: int
) -> None:
    home, video_id = long_video_library
    out = tmp_path / "clips"
    process = start_clip(home, video_id, out / "cut.mp4")
    encoders = wait_for_ffmpeg(process)
    time.sleep(0.3)
    process.send_signal(signum)
    process.wait(timeout=60)
    deadline = time.monotonic() + 3  # the encode alone would run far longer
    while any(running(pid) for pid in encoders) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(running(pid) for pid in encoders), "FFmpeg outlived the clip command"
    assert not (out / "cut.mp4").exists()
    if signum != signal.SIGKILL:
        assert leftovers(out) == []
        assert b"Traceback" not in (process.stderr.read() if process.stderr else b"")
        return
    # SIGKILL cannot be handled: the partial files go at the next clip into that folder.
    assert leftovers(out) != []
    with Library(make_settings(home)) as library:
        library.local.clip(video_id, start=1.0, end=2.0, output=out / "next.mp4")
    assert leftovers(out) == ["next.mp4"]
