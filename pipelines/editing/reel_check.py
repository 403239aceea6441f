"""A reel read back before it is called one: its parts are measured before they are joined
(frames, where the picture starts and ends, whether there is sound) and the joined file is
measured the same way and held to them. Only packet headers are read, never a picture: a
5-part reel is checked in milliseconds.

A reel whose picture and sound disagree with each other or with its parts (a join that
squeezed a part's 126 frames into 1 ms of timestamps looked to the muxer like any other file)
raises ``reel.broken_output``; ``make_reel`` then writes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av

from pipelines.errors import ClipError

# Frames closer than this were squeezed together by a join: nothing records 1,000 a second.
MIN_FRAME_GAP_S = 0.001


@dataclass(frozen=True)
class Measured:
    """A file's streams, from packet headers. Times are seconds on the file's own clock."""

    frames: int  # video packets (one frame each)
    video_start: float  # the first frame shown
    video_s: float  # from the first frame shown to the end of the last (0: no video)
    frame_step: float  # the shortest time between two frames shown (0.04 s at 25 fps)
    min_gap: float  # the shortest time between two frames shown, as found (0: two at once)
    reorder_s: float  # how long before the first frame is shown it is decoded (B-frames)
    audio_s: float | None  # how long the sound lasts (None: no sound)
    width: int
    height: int
    header_video_s: float  # the lengths the file states, which players show
    header_audio_s: float | None
    audio_packet_s: float  # the longest sound packet (AAC: 1024 samples, 21 ms at 48 kHz)

    @property
    def span(self) -> float:
        """How long the part lasts in a reel: its picture, or its sound when it has none."""
        return self.video_s if self.frames else (self.audio_s or 0.0)


def measure(path: Path) -> Measured:
    """Measures ``path`` from its packet headers; ``reel.broken_output`` when it cannot be
    read."""
    try:
        with av.open(str(path)) as media:
            video = media.streams.video[0] if media.streams.video else None
            audio = media.streams.audio[0] if media.streams.audio else None
            pictures: list[tuple[float, float]] = []  # (time shown, length)
            decoded_from: float | None = None  # the first frame's decoding time
            sound: list[tuple[float, float]] = []
            for packet in media.demux(*(s for s in (video, audio) if s is not None)):
                if packet.pts is None or packet.time_base is None:
                    continue
                timed = (
                    float(packet.pts * packet.time_base),
                    float((packet.duration or 0) * packet.time_base),
                )
                (pictures if packet.stream is video else sound).append(timed)
                if packet.stream is video and packet.dts is not None and decoded_from is None:
                    decoded_from = float(packet.dts * packet.time_base)
            header_video = _stated(video)
            header_audio = _stated(audio) if audio is not None else None
            width = video.codec_context.width if video else 0
            height = video.codec_context.height if video else 0
    except (av.FFmpegError, IndexError) as exc:
        raise ClipError(
            f"the reel could not be read back ({exc}); nothing was written",
            code="reel.broken_output",
        ) from exc
    pictures.sort()
    shown = [t for t, _ in pictures]
    gaps = [b - a for a, b in zip(shown, shown[1:], strict=False)]
    step = min((g for g in gaps if g > 0), default=0.0) or (pictures[-1][1] if pictures else 0.0)
    step = step or 0.04
    video_s = shown[-1] + (pictures[-1][1] or step) - shown[0] if shown else 0.0
    audio_s = None
    if audio is not None:
        # The stated length leaves out the encoder's priming and padding (an AAC packet at
        # each end, which the packets' times include); without one, the packets' span.
        spanned = max(t + n for t, n in sound) - min(t for t, _ in sound) if sound else 0.0
        audio_s = header_audio or spanned
    return Measured(
        frames=len(shown),
        video_start=shown[0] if shown else 0.0,
        video_s=video_s,
        frame_step=step,
        min_gap=min(gaps, default=step),
        reorder_s=max(0.0, shown[0] - decoded_from) if shown and decoded_from is not None else 0.0,
        audio_s=audio_s,
        width=width,
        height=height,
        header_video_s=header_video,
        header_audio_s=header_audio,
        audio_packet_s=max((n for _, n in sound), default=0.0),
    )


def measure_parts(files: list[Path]) -> list[Measured]:
    """Each cut part, measured; ``reel.broken_output`` for a part whose frames are squeezed
    together (a part cut by a server is not trusted either)."""
    found = [measure(f) for f in files]
    for n, part in enumerate(found):
        if part.frames and part.min_gap < MIN_FRAME_GAP_S:
            raise ClipError(
                f"part {n + 1} of the reel came out with frames {part.min_gap * 1000:.3f} ms "
                f"apart ({part.frames} frames in {part.video_s:.3f} s); nothing was written",
                code="reel.broken_output",
            )
    return found


def _stated(stream: av.stream.Stream | None) -> float:
    if stream is None or not stream.duration or stream.time_base is None:
        return 0.0
    return float(stream.duration * stream.time_base)


def check_reel(
    path: Path,
    *,
    length: float,
    frames: int | None,
    frame_step: float,
    audio: bool,
    frame_slack: int = 0,
) -> Measured:
    """Raises ``reel.broken_output`` unless ``path`` lasts ``length`` seconds within a frame
    (its picture, its sound and what its header states), holds ``frames`` frames (give or
    take ``frame_slack``; None: ``length`` at its own frame rate) whose times strictly
    increase at least half a ``frame_step`` apart, and has sound when ``audio``."""
    found = measure(path)
    tolerance = frame_step + 1e-3
    problems = []
    if found.frames == 0 and (frames or 0) > 0:
        problems.append("no picture")
    if audio and found.audio_s is None:
        problems.append("no sound")
    if found.frames:
        if found.min_gap < frame_step / 2:
            problems.append(
                f"two frames {found.min_gap * 1000:.3f} ms apart (frames squeezed together)"
            )
        for what, seconds in (("picture", found.video_s), ("stated length", found.header_video_s)):
            if abs(seconds - length) > tolerance:
                problems.append(f"{what} {seconds:.3f} s")
        wanted = frames if frames is not None else round(length / found.frame_step)
        if abs(found.frames - wanted) > frame_slack:
            problems.append(f"{found.frames} frames instead of {wanted}")
    if audio and found.audio_s is not None:
        # Sound ends on a whole packet: 46 ms of AAC at 22.05 kHz is longer than a frame.
        leeway = max(tolerance, found.audio_packet_s + 1e-3)
        for what, sound_s in (("sound", found.audio_s), ("stated sound", found.header_audio_s)):
            if sound_s is not None and abs(sound_s - length) > leeway:
                problems.append(f"{what} {sound_s:.3f} s")
    if problems:
        raise ClipError(
            f"the reel came out broken ({'; '.join(problems)}) where its parts make "
            f"{length:.3f} s; nothing was written",
            code="reel.broken_output",
            duration=found.video_s,
            expected=length,
        )
    return found
