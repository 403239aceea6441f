"""Intake: what a file is, judged by its bytes before anything opens it as media — a local
regular file within the size limit (no URLs, devices, pipes or folders), and its container
sniffed from its first bytes. The container decides the demuxer ``probe`` forces."""

from __future__ import annotations

import errno
import re
import stat
from pathlib import Path

from pipelines.errors import MediaError

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
        raise path_error(text, exc) from None
    if stat.S_ISDIR(info.st_mode):
        raise MediaError(
            f"{text}: a folder, not a file; name its files, or ingest the folder as a whole "
            "(its files are found for you)",
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


def path_error(text: str, exc: OSError) -> MediaError:
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


def sniff_file(path: Path) -> str:
    """The allowed container of a stored file, by content (what ``probe`` accepted)."""
    with path.open("rb") as handle:
        container = sniff_container(handle.read(64))
    if container is None:
        raise MediaError(
            f"{path.name}: not an allowed audio/video container", code="media.unsupported"
        )
    return container
