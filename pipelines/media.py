"""Media intake: sniff, probe and validate a file by its content, store it under a generated
name, and run ffmpeg safely. Nothing is decoded before validation passes."""

from __future__ import annotations

import ctypes
import errno
import hashlib
import os
import re
import signal
import stat
import subprocess
import sys
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import imageio_ffmpeg

from pipelines.errors import MediaError, ProcessingError
from pipelines.files import atomic_write
from pipelines.logs import get_logger
from pipelines.records import AudioTrack, MediaInfo

# The demuxer each allowed container is opened with. Forcing the demuxer means FFmpeg never
# probes the file against other formats (HLS playlists, concat lists, image sequences ...),
# so a hostile file cannot make it read other files or URLs.
DEMUXERS = {
    "mp4": "mov",
    "mov": "mov",
    "m4a": "mov",
    "mkv": "matroska",
    "webm": "matroska",
    "avi": "avi",
    "wav": "wav",
    "mp3": "mp3",
    "flac": "flac",
    "ogg": "ogg",
}
_URL_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_HASH_BLOCK = 1024 * 1024
log = get_logger(__name__)


def sniff_container(head: bytes) -> str | None:
    """The allowed container the leading bytes belong to, or None. Content, not extension."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand == b"qt  ":
            return "mov"
        if brand in (b"M4A ", b"M4B "):
            return "m4a"
        return "mp4"
    if len(head) >= 8 and head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip"):
        return "mov"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm" if b"webm" in head[:64] else "mkv"
    if head.startswith(b"RIFF") and len(head) >= 12:
        return {b"AVI ": "avi", b"WAVE": "wav"}.get(head[8:12])
    if head.startswith(b"fLaC"):
        return "flac"
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"ID3"):
        return "mp3"
    # MPEG audio frame sync with a non-zero layer (layer bits 00 is ADTS AAC, not MP3).
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06:
        return "mp3"
    return None


def check_local_file(path: str | Path, *, max_bytes: int) -> Path:
    """Returns the resolved path of a readable regular local file within the size limit."""
    text = str(path)
    if _URL_SCHEME.match(text) and not Path(text).exists():
        raise MediaError(
            f"{text}: only local files can be ingested, not URLs or protocols",
            code="media.not_local",
            path=text,
        )
    try:
        resolved = Path(text).expanduser().resolve()
        info = resolved.stat()
    except OSError as exc:
        raise _path_error(text, exc) from None
    if stat.S_ISDIR(info.st_mode):
        raise MediaError(
            f"{text}: a folder, not a file; name its files, or give the folder itself to "
            "'vidscope ingest' or 'vidscope batch ingest', which walk it",
            code="media.is_folder",
            path=text,
        )
    if not stat.S_ISREG(info.st_mode):
        raise MediaError(
            f"{text}: not a regular file (devices, pipes and sockets are not accepted)",
            code="media.not_local",
            path=text,
        )
    if info.st_size == 0:
        raise MediaError(f"{text}: the file is empty", code="media.empty", path=text)
    if info.st_size > max_bytes:
        raise MediaError(
            f"{text}: {info.st_size / 1e6:.1f} MB exceeds the {max_bytes / 1e6:.0f} MB limit "
            "(VIDSCOPE_MAX_FILE_BYTES)",
            code="media.too_large",
            path=text,
            size_bytes=info.st_size,
            limit=max_bytes,
        )
    return resolved


def _path_error(text: str, exc: OSError) -> MediaError:
    """A coded error for a path the OS refuses, naming what is wrong with it."""
    if exc.errno == errno.ENOENT:
        return MediaError(f"{text}: no such file", code="media.not_found", path=text)
    if exc.errno == errno.ENOTDIR:
        return MediaError(
            f"{text}: no such file (a part of the path is a file, not a folder)",
            code="media.not_found",
            path=text,
        )
    if exc.errno == errno.ENAMETOOLONG:
        return MediaError(
            f"{text[:80]}…: the path or a name in it is longer than the system allows; "
            "rename the file or move it to a shorter path",
            code="media.bad_path",
            path=text,
        )
    return MediaError(
        f"{text}: cannot be read ({exc.strerror or exc}); check its permissions",
        code="media.unreadable",
        path=text,
    )


def probe(path: Path, *, allowed: tuple[str, ...]) -> MediaInfo:
    """Reads the headers and every packet header with the sniffed container's demuxer (the
    first video frame is the only thing decoded: it carries the display rotation). Returns the
    facts later stages rely on; raises MediaError on any rule."""
    try:
        with path.open("rb") as handle:
            head = handle.read(64)
    except OSError as exc:
        raise _path_error(str(path), exc) from None
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
                rotation = _rotation(media, video[0], path)
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


def sniff_file(path: Path) -> str:
    """The allowed container of a stored file, by content (what ``probe`` accepted)."""
    with path.open("rb") as handle:
        container = sniff_container(handle.read(64))
    if container is None:
        raise MediaError(
            f"{path.name}: not an allowed audio/video container", code="media.unsupported"
        )
    return container


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
    media: av.container.InputContainer, stream: av.video.stream.VideoStream, path: Path
) -> int:
    """Degrees of the display matrix, read from the first decoded frame."""
    try:
        frame = next(media.decode(stream), None)
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
        raise MediaError(
            f"{path.name}: its picture is {info.width}x{info.height} ({pixels} pixels), over "
            f"the {max_frame_pixels}-pixel limit (VIDSCOPE_MAX_FRAME_PIXELS); export it at a "
            "smaller size, e.g. 3840x2160",
            code="media.frame_too_large",
            path=str(path),
            pixels=pixels,
            limit=max_frame_pixels,
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


def choose_audio_track(info: MediaInfo, requested: int | None, path: Path) -> int | None:
    """The audio track to transcribe: ``requested`` (0:a:N) if given, else the one marked
    default, else the first; None for a file without sound."""
    if requested is None:
        return info.default_audio_track()
    if not 0 <= requested < len(info.audio_tracks):
        available = "; ".join(t.describe() for t in info.audio_tracks) or "none"
        raise MediaError(
            f"{path.name}: has no audio track #{requested} (--audio-track counts from 0; "
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


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def store_media(source: Path, target: Path) -> None:
    """Copies ``source`` to ``target`` atomically (``files.atomic_write``)."""
    with atomic_write(target) as partial, source.open("rb") as src, partial.open("wb") as dst:
        while block := src.read(_HASH_BLOCK):
            dst.write(block)


def ffmpeg_executable() -> str:
    """The ffmpeg binary shipped in the imageio-ffmpeg wheel (no system ffmpeg needed)."""
    return str(imageio_ffmpeg.get_ffmpeg_exe())


def run_ffmpeg(args: list[str], *, timeout_s: float) -> None:
    """Runs ffmpeg with an argument list (never a shell), no stdin, and a time limit."""
    wait_ffmpeg_jobs(start_ffmpeg_jobs([args]), timeout_s=timeout_s)


_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None
_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> Callable[[], None]:
    """Runs in a child (FFmpeg between fork and exec, a compute process at its start): the
    kernel kills it when the Python process that started it ends, even by SIGKILL, so no
    encoder or compute process outlives an interrupted server."""

    def arm() -> None:
        if _LIBC is not None:
            _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the signal was armed
            os._exit(1)

    return arm


def start_ffmpeg_jobs(jobs: list[list[str]]) -> list[subprocess.Popen[bytes]]:
    """Starts independent ffmpeg jobs at once; pair with ``wait_ffmpeg_jobs``, which stops
    them all if the caller is interrupted."""
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for args in jobs:
            processes.append(
                subprocess.Popen(
                    [ffmpeg_executable(), "-nostdin", "-hide_banner", "-loglevel", "error", *args],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    preexec_fn=die_with_parent(os.getpid()),  # noqa: PLW1509
                )
            )
    except BaseException:
        stop_ffmpeg_jobs(processes)
        raise
    return processes


def stop_ffmpeg_jobs(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait()
        if process.stderr is not None:
            process.stderr.close()


def wait_ffmpeg_jobs(processes: list[subprocess.Popen[bytes]], *, timeout_s: float) -> None:
    """Waits for every job; the first failure raises once all have ended, so no process
    outlives the call, also when the wait itself is interrupted (Ctrl-C, SIGTERM)."""
    failure: ProcessingError | None = None
    try:
        for process in processes:
            try:
                _, stderr = process.communicate(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                stop_ffmpeg_jobs(processes)
                failure = failure or ProcessingError(
                    f"ffmpeg took longer than {timeout_s:.0f} s (VIDSCOPE_FFMPEG_TIMEOUT_S)",
                    code="processing.timeout",
                )
                continue
            if process.returncode != 0 and failure is None:
                detail = " | ".join(stderr.decode(errors="replace").strip().splitlines()[-3:])
                failure = ProcessingError(
                    f"ffmpeg failed: {detail or 'exit code ' + str(process.returncode)}",
                    code="processing.ffmpeg",
                )
    except BaseException:
        stop_ffmpeg_jobs(processes)
        raise
    if failure is not None:
        raise failure
