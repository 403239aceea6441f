"""Crafted videos for the decoding limits, made at test time with the bundled FFmpeg (each in
a second or three, so nothing large is committed): a stream whose header promises a small
picture while later frames are much larger, and a long video with a single keyframe."""

from __future__ import annotations

import subprocess  # nosec B404  # the bundled ffmpeg, with an argument list
from pathlib import Path

from pipelines.media.ffmpeg import ffmpeg_executable

SMALL = (320, 240)  # what the header says
LARGE = (1280, 720)  # what the frames after SWITCH_S are: over a cap of SMALL_PIXELS * 2
SMALL_PIXELS = SMALL[0] * SMALL[1]
TEST_CAP = SMALL_PIXELS * 2  # VIDSCOPE_MAX_FRAME_PIXELS for these tests: 320x240 passes
SWITCH_S = 3.0  # the small segment's length; keyframes every second in both
LARGE_S = 2.0
ONE_KEY_S = 300.0  # the single-keyframe video's length


def _ffmpeg(*args: str) -> None:
    subprocess.run(  # nosec B603  # an argument list, no shell
        [ffmpeg_executable(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args],
        check=True,
        capture_output=True,
    )


def _annex_b(path: Path, size: tuple[int, int], seconds: float, source: str) -> Path:
    # Raw H.264 (Annex B) carries its parameter sets in-band, so two of them joined byte by
    # byte switch picture size at the second one's first keyframe, as a crafted file does.
    _ffmpeg(
        "-f", "lavfi", "-i", f"{source}=s={size[0]}x{size[1]}:r=10:d={seconds}",
        "-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-pix_fmt", "yuv420p",
        "-f", "h264", str(path),
    )  # fmt: skip
    return path


def growing_video(folder: Path, *, container: str = "mp4", large: tuple[int, int] = LARGE) -> Path:
    """A video-only file whose header says 320x240 (the first 3 s are) and whose last 2 s are
    ``large`` frames; keyframes every second (10 fps)."""
    small_part = _annex_b(folder / "small.h264", SMALL, SWITCH_S, "testsrc")
    large_part = _annex_b(folder / "large.h264", large, LARGE_S, "testsrc")
    joined = folder / "joined.h264"
    joined.write_bytes(small_part.read_bytes() + large_part.read_bytes())
    output = folder / f"growing.{container}"
    _ffmpeg("-framerate", "10", "-f", "h264", "-i", str(joined), "-c", "copy", str(output))
    return output


def one_keyframe_video(folder: Path) -> Path:
    """300 s of 320x240 video at 25 fps with one keyframe, at the start (about 0.9 MB): the
    picture at 299 s depends on every frame before it."""
    output = folder / "one-keyframe.mp4"
    _ffmpeg(
        "-f", "lavfi", "-i", f"testsrc=s=320x240:r=25:d={ONE_KEY_S:g}",
        "-c:v", "libx264", "-preset", "ultrafast", "-crf", "51",
        "-g", "100000", "-keyint_min", "100000", "-sc_threshold", "0", "-pix_fmt", "yuv420p",
        str(output),
    )  # fmt: skip
    return output
