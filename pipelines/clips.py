"""Frame-accurate clips. ffmpeg seeks on the input to the keyframe before ``start``, decodes
from there and drops frames before ``start``, then re-encodes only the clip itself (not the
source) with a fast x264 preset. Stream copy would be faster still but can only start on a
keyframe, seconds away from the asked time; docs/benchmarks.md measures both."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pipelines.errors import ClipError
from pipelines.media import run_ffmpeg
from pipelines.records import Video

CLIP_SUFFIXES = (".mp4", ".mov", ".mkv", ".m4a")
MIN_CLIP_S = 0.1


@dataclass(frozen=True)
class ClipOptions:
    preset: str = "veryfast"
    crf: int = 20
    audio_bitrate: str = "128k"
    timeout_s: float = 600.0


def check_clip_range(video: Video, start: float, end: float) -> None:
    if start < 0 or end <= start:
        raise ClipError(
            f"invalid range {start:.2f}-{end:.2f} s: need 0 <= start < end",
            code="clip.bad_range",
        )
    if end - start < MIN_CLIP_S:
        raise ClipError(f"clips must be at least {MIN_CLIP_S} s long", code="clip.too_short")
    if start >= video.duration:
        raise ClipError(
            f"start {start:.2f} s is past the end of the video ({video.duration:.2f} s)",
            code="clip.out_of_range",
        )


def cut_clip(
    source: Path,
    output: Path,
    *,
    start: float,
    end: float,
    has_video: bool,
    options: ClipOptions | None = None,
) -> Path:
    """Writes [start, end) of ``source`` to ``output`` (atomically) and returns ``output``."""
    options = options or ClipOptions()
    suffix = output.suffix.lower()
    if suffix not in CLIP_SUFFIXES:
        raise ClipError(
            f"unsupported clip file type {suffix or '(none)'!r}; use one of "
            f"{', '.join(CLIP_SUFFIXES)}",
            code="clip.bad_output",
        )
    if suffix == ".m4a" or not has_video:
        codecs = ["-vn"]
    else:
        codecs = [
            "-c:v",
            "libx264",
            "-preset",
            options.preset,
            "-crf",
            str(options.crf),
            "-pix_fmt",
            "yuv420p",
        ]
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(f".{output.stem}.part{suffix}")
    try:
        run_ffmpeg(
            [
                "-y",
                "-ss",
                f"{start:.6f}",
                "-i",
                str(source),
                "-t",
                f"{end - start:.6f}",
                "-map",
                "0:v:0?",
                "-map",
                "0:a:0?",
                *codecs,
                "-c:a",
                "aac",
                "-b:a",
                options.audio_bitrate,
                "-movflags",
                "+faststart",
                str(partial),
            ],
            timeout_s=options.timeout_s,
        )
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
    return output
