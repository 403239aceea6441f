"""Smart cut: re-encode only the partial GOPs at each end of a clip and copy the whole GOPs in
between. For a 60 s clip of a source with 10 s keyframe spacing that re-encodes ~10 s instead
of 60 s. Both ends stay frame-accurate because they are decoded and re-encoded; the copied GOPs
are untouched. The parts are H.264 in MPEG-TS (Annex B, parameter sets in-band), joined by
FFmpeg's concat demuxer with explicit durations; the sound is copied when its packets line up
with the cuts, else re-encoded once for the whole clip from the first video frame's time, so
picture and sound stay in sync.

``plan_smart_cut`` returns None whenever a smart cut is not safe (not H.264 4:2:0 with even
sides, a display rotation, open GOPs, a sequence parameter set in the packets that the header
does not hold — a new picture size —, or fewer than two keyframes in the range); the caller
then re-encodes the whole clip, decoding every frame under the frame-size cap. Copied GOPs are
never decoded here, so a size change inside them would reach a player, or a reel's encode,
unchecked. A rotated phone video is the reason for the rotation rule:
re-encoded ends come out turned upright while copied GOPs keep their sideways pixels."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av

from pipelines.editing.parameter_sets import header_parameter_sets, packet_parameter_sets
from pipelines.editing.transport_stream import copy_picture, decoding_lead
from pipelines.media.ffmpeg import (
    decoder_cap,
    run_ffmpeg,
    start_ffmpeg_jobs,
    stop_ffmpeg_jobs,
    wait_ffmpeg_jobs,
)
from pipelines.media.intake import DEMUXERS, sniff_file
from pipelines.media.probe import cap_decoder, capped_frames, open_media

MAX_PLANNED_FRAMES = 1_000_000  # about 9 h at 30 fps; longer ranges are re-encoded
# The ends are at most a GOP each, encoded beside each other: x264's fastest preset. At the same
# CRF it spends more bits per frame than the others, so the ends come out no worse (60 s of
# the 720p slide talk: 58.9 dB PSNR against the source vs 53.9 dB with superfast) and the clip
# 5 % larger, in 0.06 s less (docs/benchmarks.md). VIDSCOPE_CLIP_PRESET is for whole re-encodes.
ENDS_PRESET = "ultrafast"


@dataclass(frozen=True)
class SmartCutPlan:
    first_frame: float  # time of the first frame at or after the asked start
    first_key: float  # first keyframe at or after first_frame: copying starts here
    last_key: float  # last keyframe before the end: copying stops here
    end_frame: float  # time of the first frame at or after the asked end (exclusive)
    head_frames: int
    tail_frames: int
    profile: str | None
    frame_step: float = 0.04
    container: str = "mp4"  # the source's sniffed container: every later read forces it


def plan_smart_cut(
    source: Path, start: float, end: float, *, max_frame_pixels: int | None = None
) -> SmartCutPlan | None:
    """Reads packet headers from the keyframe before ``start`` to ``end``; the only frame
    decoded is the first (for its display rotation; ``media.frame_too_large`` when it is over
    ``max_frame_pixels``)."""
    container = sniff_file(source)
    with open_media(source, container) as media:
        if not media.streams.video:
            return None
        stream = media.streams.video[0]
        ctx = stream.codec_context
        if ctx.name != "h264" or ctx.pix_fmt != "yuv420p" or stream.time_base is None:
            return None
        if ctx.width % 2 or ctx.height % 2:
            return None
        cap_decoder(stream, max_frame_pixels)
        decoded = capped_frames(media.decode(stream), stream, source.name, max_frame_pixels)
        first = next(decoded, None)
        if first is None or round(first.rotation) % 360:
            return None
        length_size, known = header_parameter_sets(ctx.extradata)
        base = stream.time_base
        tick = float(base)  # seconds per pts step: a Fraction per packet costs ~10 µs
        media.seek(int(start / base), stream=stream, backward=True, any_frame=False)
        frames: list[tuple[float, bool]] = []  # (pts seconds, keyframe) in decode order
        for packet in media.demux(stream):
            if packet.pts is None:
                continue
            t = packet.pts * tick
            if packet.is_keyframe and t >= end:
                break
            for found in packet_parameter_sets(packet, length_size):
                if not known:  # no parameter sets in the header: the first ones are the rule
                    known.add(found)
                elif found not in known:
                    return None
            frames.append((t, bool(packet.is_keyframe)))
            if len(frames) > MAX_PLANNED_FRAMES:
                return None
        profile = ctx.profile
    shown = sorted(t for t, _ in frames)
    inside = [t for t in shown if t >= start - 1e-6]
    later = [t for t in shown if t >= end - 1e-6]
    keys = [t for t, key in frames if key and start - 1e-6 <= t < end - 1e-6]
    if len(keys) < 2 or not inside:
        return None
    first_key, last_key = keys[0], keys[-1]
    # Open GOP: a frame decoded after a keyframe but shown before it needs the previous GOP.
    # H.264 allows up to 16 B-frames, so look that far past each keyframe.
    for i, (t, key) in enumerate(frames):
        following = frames[i + 1 : i + 17]
        if key and first_key <= t <= last_key and any(u < t for u, _ in following):
            return None
    step = _frame_step(shown)
    end_frame = later[0] if later else inside[-1] + step
    return SmartCutPlan(
        first_frame=inside[0],
        first_key=first_key,
        last_key=last_key,
        end_frame=end_frame,
        head_frames=sum(1 for t in inside if t < first_key),
        tail_frames=sum(1 for t in inside if last_key <= t < end - 1e-6),
        profile=profile.lower() if isinstance(profile, str) else None,
        frame_step=step,
        container=container,
    )


def _frame_step(shown: list[float]) -> float:
    steps = [b - a for a, b in zip(shown, shown[1:], strict=False) if b > a]
    return min(steps) if steps else 0.04


def smart_cut(
    source: Path,
    output: Path,
    plan: SmartCutPlan,
    *,
    crf: int,
    audio_bitrate: str,
    has_audio: bool,
    timeout_s: float,
    audio_track: int = 0,
    max_frame_pixels: int | None = None,
) -> int:
    """Writes the clip ``plan`` describes to ``output``; returns the frames its parts were
    made of. The ends are decoded under ``max_frame_pixels`` (``media.frame_too_large``)."""
    encode = [
        "-an",
        "-c:v",
        "libx264",
        "-preset",
        ENDS_PRESET,
        "-crf",
        str(crf),
        # An end is a few dozen frames, encoded beside the other end: one thread each and no
        # lookahead, which only delay so short an encode (both ends of a 60 s clip of the
        # 720p slide talk: 0.33 s with x264's defaults, 0.24 s so; docs/benchmarks.md).
        "-x264-params",
        "threads=1:rc-lookahead=0:sync-lookahead=0",
        "-pix_fmt",
        "yuv420p",
        "-f",
        "mpegts",
    ]
    if plan.profile in ("baseline", "main", "high"):
        encode[1:1] = ["-profile:v", plan.profile]
    demuxer = ["-f", DEMUXERS[plan.container]]
    # One decoding thread too: the two ends and the copies below already keep the cores busy,
    # and frame threading only adds its start-up to a decode of a few dozen frames.
    ends_input = [*demuxer, "-threads", "1", *decoder_cap(max_frame_pixels)]
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=f".cut-{os.getpid()}-") as tmp:
        work = Path(tmp)
        # The ends and the sound are independent encodes: run them at once, copy the GOPs
        # meanwhile, then join everything by stream copy.
        # Seek a quarter frame early: a timestamp that rounds just below the asked time
        # would otherwise drop that frame and repeat the keyframe at the join.
        early = plan.frame_step / 4
        # The tail starts on a keyframe. MP4 and MOV list every keyframe, so a seek lands on
        # it: start there, not a hair before it, which decodes the whole GOP before (2 s of
        # frames on the slide talk) only to drop it. Other containers may index fewer
        # keyframes (Matroska's cues), and a seek could land a GOP early: decode and drop.
        indexed = DEMUXERS[plan.container] == "mov"
        jobs = [
            _encode_job(
                source,
                [*ends_input, "-noaccurate_seek"] if indexed else ends_input,
                plan.last_key + early if indexed else plan.last_key - early,
                plan.tail_frames,
                encode,
                work / "tail.ts",
            )
        ]
        parts = [
            (work / "middle.ts", plan.last_key - plan.first_key),
            (work / "tail.ts", plan.end_frame - plan.last_key),
        ]
        if plan.head_frames:
            jobs.append(
                _encode_job(
                    source,
                    ends_input,
                    plan.first_frame - early,
                    plan.head_frames,
                    encode,
                    work / "head.ts",
                )
            )
            parts.insert(0, (work / "head.ts", plan.first_key - plan.first_frame))
        processes = start_ffmpeg_jobs(jobs)
        try:
            # While the ends encode: copy the whole GOPs, then the sound when its packets
            # line up with the cuts (else one more encode joins the others).
            with open_media(source, plan.container) as media:  # one open for both copies
                copied = _copy_gops(media, work / "middle.ts", plan.first_key, plan.last_key)
                copy_sound = has_audio and _copy_audio(
                    media,
                    work / "audio.m4a",
                    audio_track,
                    plan.first_frame,
                    plan.end_frame,
                    max_shift=plan.frame_step / 2,
                )
            if has_audio and not copy_sound:
                # Cut from the first frame's time, so picture and sound start together.
                span = plan.end_frame - plan.first_frame
                processes += start_ffmpeg_jobs(
                    [
                        [
                            "-ss",
                            f"{plan.first_frame:.6f}",
                            "-t",
                            f"{span:.6f}",
                            *demuxer,
                            "-i",
                            str(source),
                            "-map",
                            f"0:a:{audio_track}",
                            "-c:a",
                            "aac",
                            "-b:a",
                            audio_bitrate,
                            str(work / "audio.m4a"),
                        ]
                    ]
                )
        except BaseException:
            stop_ffmpeg_jobs(processes)
            raise
        wait_ffmpeg_jobs(processes, timeout_s=timeout_s)
        _decode_ends_earlier(work)
        listing = work / "parts.txt"
        listing.write_text(
            "ffconcat version 1.0\n"
            + "".join(f"file '{path.name}'\nduration {duration:.6f}\n" for path, duration in parts)
        )
        audio = ["-i", str(work / "audio.m4a")] if has_audio else []
        run_ffmpeg(
            [
                "-y",
                "-f",
                "concat",
                "-safe",
                "0",
                "-i",
                str(listing),
                *audio,
                "-map",
                "0:v:0",
                *(["-map", "1:a:0"] if has_audio else []),
                "-c",
                "copy",
                "-movflags",
                "+faststart",
                str(output),
            ],
            timeout_s=timeout_s,
        )
    # The frames the parts were made of, for the caller's check of the clip: the concat's
    # explicit durations set its length, so a part short of frames would pass for whole.
    return plan.head_frames + copied + plan.tail_frames


# Codecs whose packets are all key frames and decode on their own (after a frame of warm-up
# at most), so a cut on packet boundaries is clean.
COPYABLE_AUDIO = ("aac", "mp3", "opus", "ac3", "eac3", "pcm_s16le")


def _copy_audio(
    media: av.container.InputContainer,
    target: Path,
    track: int,
    start: float,
    end: float,
    *,
    max_shift: float,
) -> bool:
    """Copies, untouched, the audio packets that cover [start, end) when the packet edges
    fall within ``max_shift`` (half a video frame) of both cuts; returns False (nothing
    written) when they do not, and the caller re-encodes the sound. Copying skips an audio
    encode of the whole clip: on a slide talk, where little video is re-encoded, that encode
    was the largest cost."""
    if track >= len(media.streams.audio):
        return False
    stream = media.streams.audio[track]
    if stream.codec_context.name not in COPYABLE_AUDIO or stream.time_base is None:
        return False
    base = stream.time_base
    tick = float(base)
    media.seek(int(max(0.0, start - 1.0) / base), stream=stream, backward=True)
    packets: list[tuple[Any, int, int]] = []  # (packet, pts, duration)
    for packet in media.demux(stream):
        pts, duration = packet.pts, packet.duration
        if pts is None or not duration:
            continue
        t, length = pts * tick, duration * tick
        if length / 2 > max_shift:
            return False  # packets too long to land within half a frame of a cut
        if t + length / 2 <= start:
            continue
        if t + length / 2 > end:
            break
        packets.append((packet, pts, duration))
    if not packets:
        return False
    first = packets[0][1] * tick
    last = (packets[-1][1] + packets[-1][2]) * tick
    if abs(first - start) > max_shift or abs(last - end) > max_shift:
        return False
    with av.open(str(target), "w", format="mp4") as out:
        copy = out.add_stream_from_template(stream)
        offset = packets[0][1]
        for packet, pts, _ in packets:
            packet.pts = packet.dts = pts - offset
            packet.stream = copy
            out.mux(packet)
    return True


def _decode_ends_earlier(work: Path) -> None:
    """The copied GOPs may hold B-frames; the encoded ends hold none: their frames are
    decoded as long before they are shown, so decoding times run on across both joins."""
    lead = decoding_lead(work / "middle.ts")
    for end in (work / "head.ts", work / "tail.ts") if lead > 0 else ():
        if end.exists():
            copy_picture(end, end.with_name(f"early-{end.name}"), earlier_s=lead)
            end.with_name(f"early-{end.name}").replace(end)


def _encode_job(
    source: Path, input_options: list[str], at: float, frames: int, encode: list[str], target: Path
) -> list[str]:
    return [
        "-ss",
        f"{max(0.0, at):.6f}",
        *input_options,
        "-i",
        str(source),
        "-map",
        "0:v:0",
        "-frames:v",
        str(frames),
        *encode,
        str(target),
    ]


def _copy_gops(
    media: av.container.InputContainer, target: Path, first_key: float, last_key: float
) -> int:
    """Remuxes, untouched, every packet from the keyframe at ``first_key`` up to (not
    including) the keyframe at ``last_key``, in decode order; returns how many."""
    with av.open(str(target), "w", format="mpegts") as out:
        stream = media.streams.video[0]
        base = stream.time_base
        copy = out.add_stream_from_template(stream)
        assert base is not None  # plan_smart_cut only plans streams with a time base
        tick = float(base)
        media.seek(int(first_key / base), stream=stream, backward=True, any_frame=False)
        started, copied = False, 0
        for packet in media.demux(stream):
            # No dts is no reason to skip: Matroska stores none, and the keyframe a seek lands
            # on comes without one (skipping it dropped a whole GOP); the muxer derives it.
            if packet.pts is None:
                continue
            t = packet.pts * tick
            if packet.is_keyframe and t >= last_key - 1e-6:
                break
            if packet.is_keyframe and t >= first_key - 1e-6:
                started = True
            if started:
                packet.stream = copy
                out.mux(packet)
                copied += 1
    return copied
