"""Frame-accurate clips.

Three ways to cut were measured (docs/benchmarks.md): stream copy is fastest but starts on a
keyframe, seconds from the asked time; re-encoding the whole clip is exact but costs a full
encode; a smart cut (``smart_cut.py``) re-encodes only the partial GOPs at both ends and copies
the rest, exact and several times faster. Smart cut is used whenever it is safe; otherwise the
clip is re-encoded: FFmpeg seeks the input to the keyframe before ``start``, decodes from
there and drops the frames before ``start``."""

from __future__ import annotations

import errno
import math
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import av

from pipelines.editing.smart_cut import MAX_PLANNED_FRAMES, plan_smart_cut, smart_cut
from pipelines.errors import ClipError
from pipelines.media.ffmpeg import decoder_cap, run_ffmpeg
from pipelines.media.intake import DEMUXERS, sniff_file
from pipelines.media.probe import open_media
from pipelines.records import Video
from pipelines.storage.faults import process_alive, storage_full

if TYPE_CHECKING:
    from pipelines.config import Settings

CLIP_SUFFIXES = (".mp4", ".mov", ".mkv", ".m4a")
MIN_CLIP_S = 0.1


@dataclass(frozen=True)
class ClipOptions:
    """How to encode, from the settings (``VIDSCOPE_CLIP_PRESET``, ``VIDSCOPE_FFMPEG_TIMEOUT_S``:
    the defaults live there); the rest are fixed choices of this stage."""

    preset: str  # for whole re-encodes; a smart cut's ends use smart_cut.ENDS_PRESET
    timeout_s: float
    crf: int = 20
    audio_bitrate: str = "128k"
    smart: bool = True  # False forces a full re-encode (benchmarks compare the two)
    # VIDSCOPE_MAX_FRAME_PIXELS: every decoded frame is checked against it (None: no cap)
    max_frame_pixels: int | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> ClipOptions:
        return cls(
            preset=settings.clips.preset,
            timeout_s=settings.clips.ffmpeg_timeout_s,
            max_frame_pixels=settings.limits.max_frame_pixels,
        )


@dataclass(frozen=True)
class ClipPlan:
    """One clip to cut, checked against its video: plain values, so it can cross to a
    Ray worker (``vidscope batch clips``)."""

    source: str
    output: str
    start: float
    end: float
    has_video: bool
    has_audio: bool
    audio_track: int
    options: ClipOptions

    def cut(self) -> Path:
        return cut_clip(
            Path(self.source),
            Path(self.output),
            start=self.start,
            end=self.end,
            has_video=self.has_video,
            has_audio=self.has_audio,
            audio_track=self.audio_track,
            options=self.options,
        )


def check_clip_range(video: Video, start: float, end: float) -> None:
    if not (math.isfinite(start) and math.isfinite(end)) or start < 0 or end <= start:
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
    has_audio: bool = True,
    audio_track: int = 0,
    options: ClipOptions,
) -> Path:
    """Writes [start, end) of ``source`` to ``output`` and returns ``output``. The clip is
    written under a temporary name, checked (its streams and length), then renamed: a
    broken or short clip raises ``clip.broken_output`` and leaves no file, a decoded frame
    over ``options.max_frame_pixels`` raises ``media.frame_too_large`` (no file either)."""
    suffix = output.suffix.lower()
    if suffix not in CLIP_SUFFIXES:
        raise ClipError(
            f"unsupported clip file type {suffix or '(none)'!r}; use one of "
            f"{', '.join(CLIP_SUFFIXES)}",
            code="clip.bad_output",
        )
    audio_only = suffix == ".m4a" or not has_video
    output.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_partials(output.parent)
    partial = output.with_name(f".{output.stem}.{os.getpid()}.part{suffix}")
    try:
        plan = (
            None
            if audio_only or not options.smart
            else plan_smart_cut(source, start, end, max_frame_pixels=options.max_frame_pixels)
        )
        frames = None
        if plan is not None:
            frames = smart_cut(
                source,
                partial,
                plan,
                crf=options.crf,
                audio_bitrate=options.audio_bitrate,
                has_audio=has_audio,
                audio_track=audio_track,
                timeout_s=options.timeout_s,
                max_frame_pixels=options.max_frame_pixels,
            )
        else:
            shown = None if audio_only else frame_range(source, start, end)
            _reencode(
                source,
                partial,
                start=start,
                end=end,
                audio_only=audio_only,
                audio_track=audio_track if has_audio else None,
                options=options,
                shown=shown,
            )
            frames = shown.frames if shown is not None else None
        check_clip(
            partial, video=not audio_only, audio=has_audio, length=end - start, frames=frames
        )
        os.replace(partial, output)
    except OSError as exc:  # PyAV's own OSError too, when the smart cut writes its parts
        if exc.errno == errno.ENOSPC:
            raise storage_full(output.parent) from exc
        raise
    finally:
        partial.unlink(missing_ok=True)
    return output


# Partial files carry the writer's process id: ".name.<pid>.part.mp4" and ".cut-<pid>-*".
_PARTIAL = re.compile(r"^\.(?:.+\.(\d+)\.part\.[A-Za-z0-9]+|cut-(\d+)-.+)$")


def remove_stale_partials(folder: Path) -> int:
    """Removes partial clips whose writer is gone (a clip killed with SIGKILL cannot clean
    up after itself); returns how many were removed."""
    removed = 0
    for entry in folder.iterdir():
        match = _PARTIAL.match(entry.name)
        if match is None or process_alive(int(match.group(1) or match.group(2))):
            continue
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed += 1
    return removed


def check_clip(
    path: Path, *, video: bool, audio: bool, length: float, frames: int | None = None
) -> None:
    """The written clip has the streams asked for, (within a frame or two) the length and,
    when ``frames`` is known (a smart cut's parts), that many video frames: success is
    reported only for a clip that plays as asked."""
    try:
        with av.open(str(path)) as media:
            kinds = {s.type for s in media.streams}
            duration = float(media.duration / av.time_base) if media.duration else 0.0
            found = media.streams.video[0].frames if media.streams.video else 0
    except av.FFmpegError as exc:
        raise ClipError(
            f"the clip could not be read back ({exc})", code="clip.broken_output"
        ) from exc
    missing = [k for k, wanted in (("video", video), ("audio", audio)) if wanted and k not in kinds]
    if missing:
        raise ClipError(
            f"the clip came out without its {' and '.join(missing)}; nothing was written",
            code="clip.broken_output",
        )
    if abs(duration - length) > max(0.15, 0.02 * length):
        raise ClipError(
            f"the clip came out {duration:.2f} s long instead of {length:.2f} s; the source "
            "is damaged around that range, nothing was written",
            code="clip.broken_output",
            duration=duration,
            expected=length,
        )
    # Two frames' leeway; a GOP lost from an MKV source (fixed) showed as 111 of 161.
    if frames is not None and abs(found - frames) > 2:
        raise ClipError(
            f"the clip came out with {found} frames instead of {frames}; the source is "
            "damaged around that range, nothing was written",
            code="clip.broken_output",
            frames=found,
            expected=frames,
        )


@dataclass(frozen=True)
class FrameRange:
    """The source frames a clip of [start, end) shows, for a clip re-encoded whole."""

    first_frame: float  # time of the first frame at or after start
    end_frame: float  # time of the first frame at or after end (exclusive)
    frames: int
    frame_step: float
    container: str


def frame_range(source: Path, start: float, end: float) -> FrameRange | None:
    """Reads packet headers (no picture) from the keyframe before ``start`` to just past
    ``end``; None when the source has no timed video in that range. A re-encode that seeks to
    ``start`` and stops after ``end - start`` seconds rounds both ends to its own clock: a
    clip from 12.3 s came out a frame short and its picture a frame after its sound."""
    container = sniff_file(source)
    with open_media(source, container) as media:
        if not media.streams.video or media.streams.video[0].time_base is None:
            return None
        stream = media.streams.video[0]
        tick = float(stream.time_base)  # type: ignore[arg-type]
        media.seek(int(start / tick), stream=stream, backward=True, any_frame=False)
        shown: list[float] = []
        past = 0  # packets at or after the end: frames shown earlier may follow (B-frames)
        for packet in media.demux(stream):
            if packet.pts is None:
                continue
            shown.append(packet.pts * tick)
            past += shown[-1] >= end - 1e-6
            if past > 16:
                break
            if len(shown) > MAX_PLANNED_FRAMES:
                return None
    shown.sort()
    inside = [t for t in shown if start - 1e-6 <= t < end - 1e-6]
    if not inside:
        return None
    later = [t for t in shown if t >= end - 1e-6]
    step = min((b - a for a, b in zip(shown, shown[1:], strict=False) if b > a), default=0.04)
    return FrameRange(
        first_frame=inside[0],
        end_frame=later[0] if later else inside[-1] + step,
        frames=len(inside),
        frame_step=step,
        container=container,
    )


def _reencode(
    source: Path,
    partial: Path,
    *,
    start: float,
    end: float,
    audio_only: bool,
    audio_track: int | None,
    options: ClipOptions,
    shown: FrameRange | None = None,
) -> None:
    """Encodes [start, end) whole. With ``shown`` (the frames in the range), exactly those
    frames, and the sound from the first one's time for as long as they last: picture and
    sound start together, as in a smart cut."""
    demuxer = DEMUXERS[shown.container if shown is not None else sniff_file(source)]
    video = (
        ["-vn"]
        if audio_only
        else [
            "-map",
            "0:v:0",
            # x264's 4:2:0 needs even sides: pad an odd-sized source by one line.
            "-vf",
            "pad=ceil(iw/2)*2:ceil(ih/2)*2",
            "-c:v",
            "libx264",
            "-preset",
            options.preset,
            "-crf",
            str(options.crf),
            "-pix_fmt",
            "yuv420p",
        ]
    )
    sound_input = 0
    if shown is None:
        inputs = ["-ss", f"{start:.6f}", "-f", demuxer]
        inputs += [*([] if audio_only else decoder_cap(options.max_frame_pixels)), "-i"]
        inputs += [str(source), "-t", f"{end - start:.6f}"]
    else:
        # A quarter frame early, so a time that rounds just below the first frame's keeps it;
        # the encoder's clock rounds that quarter away.
        early = shown.frame_step / 4
        span = shown.end_frame - shown.first_frame
        inputs = ["-ss", f"{max(0.0, shown.first_frame - early):.6f}", "-f", demuxer]
        inputs += [*decoder_cap(options.max_frame_pixels), "-i", str(source)]
        video += ["-frames:v", str(shown.frames)]
        if audio_track is not None:
            inputs += ["-ss", f"{shown.first_frame:.6f}", "-t", f"{span:.6f}", "-f", demuxer]
            inputs += ["-i", str(source)]
            sound_input = 1
    sound = (
        ["-map", f"{sound_input}:a:{audio_track}", "-c:a", "aac", "-b:a", options.audio_bitrate]
        if audio_track is not None
        else ["-an"]
    )
    run_ffmpeg(
        ["-y", *inputs, *video, *sound, "-movflags", "+faststart", str(partial)],
        timeout_s=options.timeout_s,
    )
