"""Probing: a file's streams read with the sniffed container's demuxer and checked whole
(every packet header, a truncation or a stream that ends early named) before anything is
decoded; the audio track to transcribe chosen. Nothing is decoded before validation passes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from fractions import Fraction
from pathlib import Path

import av

from pipelines.errors import MediaError
from pipelines.logs import get_logger
from pipelines.media.intake import DEMUXERS, path_error, sniff_container
from pipelines.records import AudioTrack, MediaInfo

log = get_logger(__name__)


def probe(
    path: Path, *, allowed: tuple[str, ...], max_frame_pixels: int | None = None
) -> MediaInfo:
    """Reads the headers and every packet header with the sniffed container's demuxer (the
    first video frame is the only thing decoded, under ``max_frame_pixels``: it carries the
    display rotation). Returns the facts later stages rely on; raises MediaError on any rule."""
    try:
        with path.open("rb") as handle:
            head = handle.read(64)
    except OSError as exc:
        raise path_error(str(path), exc) from None
    container = sniff_container(head)
    if container is None or container not in allowed:
        raise MediaError(
            f"{path.name}: not an allowed audio/video container (allowed: {', '.join(allowed)})",
            code="media.unsupported",
            path=str(path),
        )
    try:
        with open_media(path, container) as media:
            declared = _duration(media)
            audio = list(media.streams.audio)
            video = [s for s in media.streams.video if not _is_cover_art(s)]
            width = height = None
            fps: float | None = None
            rotation = 0
            if video:
                width, height = video[0].codec_context.width, video[0].codec_context.height
                rate = video[0].average_rate or video[0].guessed_rate
                fps = float(rate) if rate else None
                rotation = _rotation(media, video[0], path, max_frame_pixels)
            ends = _packet_ends(media, path, [*audio, *video])
            tracks = tuple(_audio_track(n, s, ends.get(s.index, 0.0)) for n, s in enumerate(audio))
            measured = max(ends.values(), default=0.0)
            if (audio or video) and measured <= 0:
                raise MediaError(
                    f"{path.name}: no audio or video data could be read; the file is damaged "
                    f"or is not really {container}",
                    code="media.corrupt",
                    path=str(path),
                )
            # Stream objects are only valid while the container is open.
            _check_complete(path, declared, ends, [*audio, *video])
    except av.FFmpegError as exc:
        raise MediaError(
            f"{path.name}: the {container} file is damaged or truncated and cannot be read",
            code="media.corrupt",
            path=str(path),
            detail=str(exc),
        ) from exc
    if not audio and not video:
        raise MediaError(
            f"{path.name}: has no audio or video stream", code="media.no_streams", path=str(path)
        )
    if container in ("mp4", "mov") and not video:
        container = "m4a"
    return MediaInfo(
        container=container,
        # A header without a duration (browser MediaRecorder WebM) is normal: measure it.
        duration=declared if declared else measured,
        size_bytes=path.stat().st_size,
        has_audio=bool(audio),
        has_video=bool(video),
        width=width,
        height=height,
        fps=fps,
        audio_tracks=tracks,
        rotation=rotation,
    )


def open_media(path: Path, container: str) -> av.container.InputContainer:
    """Opens ``path`` with the demuxer of its sniffed container, never FFmpeg's guess: every
    read after the checks (probe, decode, clips) must see the file the checks saw."""
    return av.open(str(path), format=DEMUXERS[container])


def _audio_track(number: int, stream: av.audio.stream.AudioStream, end: float) -> AudioTrack:
    language = stream.metadata.get("language")
    return AudioTrack(
        number=number,
        duration=round(max(0.0, end - _start_s(stream)), 3),
        codec=stream.codec_context.name,
        channels=stream.codec_context.channels,
        default=bool(stream.disposition & av.stream.Disposition.default),
        language=None if language in (None, "und") else language,
        title=stream.metadata.get("title") or None,
    )


def _rotation(
    media: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    path: Path,
    max_frame_pixels: int | None,
) -> int:
    """Degrees of the display matrix, read from the first decoded frame."""
    cap_decoder(stream, max_frame_pixels)
    try:
        frame = next(capped_frames(media.decode(stream), stream, path.name, max_frame_pixels), None)
    except av.FFmpegError as exc:
        raise MediaError(
            f"{path.name}: its {stream.codec_context.name} video cannot be decoded",
            code="media.undecodable",
            path=str(path),
            detail=str(exc),
        ) from exc
    media.seek(0)
    return int(round(frame.rotation)) % 360 if frame is not None else 0


def _packet_ends(
    media: av.container.InputContainer, path: Path, streams: list[av.stream.Stream]
) -> dict[int, float]:
    """Where each stream's packets really end (seconds): reads packet headers, no decoding.
    A read error part-way is what a cut-off file looks like: the ends so far are returned."""
    ends: dict[int, float] = {}
    if not streams:
        return ends
    try:
        for packet in media.demux(streams):
            if packet.pts is None or packet.time_base is None:
                continue
            end = float((packet.pts + (packet.duration or 0)) * packet.time_base)
            index = packet.stream.index
            if end > ends.get(index, 0.0):
                ends[index] = end
    except av.FFmpegError as exc:
        if not ends:
            raise
        log.info("probe.read_error", path=str(path), detail=str(exc))
    return ends


def _start_s(stream: av.stream.Stream) -> float:
    if stream.start_time is None or stream.time_base is None:
        return 0.0
    return max(0.0, float(stream.start_time * stream.time_base))


def _check_complete(
    path: Path,
    declared: float | None,
    ends: dict[int, float],
    streams: list[av.stream.Stream],
) -> None:
    """A header that promises more than the packets hold means a cut-off file (an interrupted
    download or recording whose index survived at the front). Checked for every stream."""
    for stream in streams:
        promised = (
            float(stream.duration * stream.time_base)
            if stream.duration and stream.time_base
            else declared
        )
        found = ends.get(stream.index, 0.0)
        start = _start_s(stream)
        if promised and found - start < promised - max(1.0, 0.02 * promised):
            raise MediaError(
                f"{path.name}: its {stream.type} stream holds {max(0.0, found - start):.1f} s "
                f"of the {promised:.1f} s its header promises; the file is truncated — "
                "download or export it again",
                code="media.truncated",
                path=str(path),
                found_s=round(found - start, 3),
                expected_s=round(promised, 3),
            )


def validate(
    info: MediaInfo, path: Path, *, max_duration_s: float, max_frame_pixels: int | None = None
) -> None:
    """Refuses what would cost more than the limits allow to decode: a picture larger than
    ``max_frame_pixels`` (a tiny file may claim 8192x8192, 201 MB per decoded frame),
    a duration past ``max_duration_s``."""
    pixels = (info.width or 0) * (info.height or 0)
    if max_frame_pixels is not None and info.has_video and pixels > max_frame_pixels:
        raise frame_too_large(
            path.name, info.width or 0, info.height or 0, max_frame_pixels, path=str(path)
        )
    if info.duration > max_duration_s:
        raise MediaError(
            f"{path.name}: {info.duration / 3600:.2f} h exceeds the "
            f"{max_duration_s / 3600:.2f} h limit (VIDSCOPE_MAX_DURATION_S)",
            code="media.too_long",
            path=str(path),
            duration=info.duration,
            limit=max_duration_s,
        )


def frame_too_large(name: str, width: int, height: int, limit: int, **context: str) -> MediaError:
    """The ``media.frame_too_large`` error for a ``width`` x ``height`` picture of ``name``
    (the header's, or a frame met while decoding)."""
    pixels = width * height
    return MediaError(
        f"{name}: its picture is {width}x{height} ({pixels} pixels), over the {limit}-pixel "
        "limit (VIDSCOPE_MAX_FRAME_PIXELS); export it at a smaller size, e.g. 3840x2160",
        code="media.frame_too_large",
        pixels=pixels,
        limit=limit,
        **context,
    )


def cap_decoder(stream: av.video.stream.VideoStream, max_frame_pixels: int | None) -> None:
    """Sets libavcodec's ``max_pixels`` on ``stream``'s decoder (call it before the first
    packet is decoded): a frame larger than ``max_frame_pixels`` then fails in the decoder
    before its picture is allocated, also when the header promised a smaller one."""
    if max_frame_pixels is not None:
        options = dict(stream.codec_context.options)
        stream.codec_context.options = {**options, "max_pixels": str(max_frame_pixels)}


def capped_frames(
    frames: Iterable[av.VideoFrame],
    stream: av.video.stream.VideoStream,
    name: str,
    max_frame_pixels: int | None,
) -> Iterator[av.VideoFrame]:
    """``frames`` (decoded from ``stream``, its decoder capped by ``cap_decoder``) one by one;
    raises ``media.frame_too_large`` at the first frame over ``max_frame_pixels``: the one the
    capped decoder refused (its size is the codec context's by then), or one it let through."""
    # The header's size, read before the first decode: a decoder refused at its opening
    # (the header is already over the cap) forgets it.
    header = (stream.codec_context.width, stream.codec_context.height)
    try:
        for frame in frames:
            if max_frame_pixels is not None and frame.width * frame.height > max_frame_pixels:
                raise frame_too_large(name, frame.width, frame.height, max_frame_pixels)
            yield frame
    except av.FFmpegError as exc:
        context = stream.codec_context
        # A refused frame surfaces as "invalid data"; the context already holds the size
        # that was refused (or, refused at the first frame, the header's), which tells it
        # apart from damaged data (re-raised as it is).
        width, height = context.width or header[0], context.height or header[1]
        if max_frame_pixels is not None and width * height > max_frame_pixels:
            raise frame_too_large(name, width, height, max_frame_pixels) from exc
        raise


def choose_audio_track(info: MediaInfo, requested: int | None, path: Path) -> int | None:
    """The audio track to transcribe: ``requested`` (0:a:N) if given, else the one marked
    default, else the first; None for a file without sound."""
    if requested is None:
        return info.default_audio_track()
    if not 0 <= requested < len(info.audio_tracks):
        available = "; ".join(t.describe() for t in info.audio_tracks) or "none"
        raise MediaError(
            f"{path.name}: has no audio track #{requested} (audio tracks count from 0; "
            f"tracks: {available})",
            code="media.no_such_track",
            path=str(path),
            requested=requested,
        )
    return requested


def check_decoded_audio(track: AudioTrack, decoded_s: float, path: Path) -> None:
    """Packets that are present but do not decode (damaged data inside an intact container)
    show up only here: less sound than the track's packets span."""
    expected = track.duration
    if decoded_s < expected - max(1.0, 0.02 * expected):
        raise MediaError(
            f"{path.name}: only {decoded_s:.1f} s of the {expected:.1f} s of audio track "
            f"#{track.number} could be decoded; the file is truncated or damaged — "
            "download or export it again",
            code="media.truncated",
            path=str(path),
            decoded_s=decoded_s,
            expected_s=expected,
        )


def _is_cover_art(stream: av.video.stream.VideoStream) -> bool:
    return bool(stream.disposition & av.stream.Disposition.attached_pic)


def _duration(media: av.container.InputContainer) -> float | None:
    if media.duration:
        return float(Fraction(media.duration, av.time_base))
    spans = [float(s.duration * s.time_base) for s in media.streams if s.duration and s.time_base]
    return max(spans) if spans else None
