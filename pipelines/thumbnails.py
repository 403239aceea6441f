"""Still frames: a JPEG of the picture at a given second (for search results and players)."""

from __future__ import annotations

import threading
from fractions import Fraction
from pathlib import Path

import av

from pipelines.errors import MediaError
from pipelines.media import open_media
from pipelines.records import Video

THUMBNAIL_WIDTH = 320
# Decoding holds a few full-size frames (up to VIDSCOPE_MAX_FRAME_PIXELS each): a page of
# search cards asks for many at once, so two decode at a time and the rest wait their turn.
_DECODING = threading.BoundedSemaphore(2)


def thumbnail_jpeg(path: Path, video: Video, at_s: float, *, width: int = THUMBNAIL_WIDTH) -> bytes:
    """The first frame at or after ``at_s`` (clamped into the video), ``width`` pixels wide,
    as JPEG bytes. A file without pictures raises ``media.no_video``."""
    if not video.has_video:
        raise MediaError(f"{video.title!r} has no pictures", code="media.no_video")
    at_s = min(max(0.0, at_s), max(0.0, video.duration - 0.05))
    with _DECODING, open_media(path, video.container) as media:
        stream = media.streams.video[0]
        stream.thread_type = "SLICE"  # frame threads would each hold a frame of their own
        time_base = stream.time_base or Fraction(1, 1000)
        media.seek(int(at_s / time_base), stream=stream, backward=True)
        picture = None
        for frame in media.decode(stream):
            picture = frame
            if frame.time is not None and frame.time >= at_s - 1e-3:
                break
        if picture is None:
            raise MediaError("no frame could be decoded there", code="media.undecodable")
    height = max(2, round(picture.height * width / picture.width / 2) * 2)
    encoder = av.CodecContext.create("mjpeg", "w")
    encoder.width, encoder.height = width, height
    encoder.pix_fmt = "yuvj420p"
    encoder.time_base = Fraction(1, 25)
    encoder.options = {"qscale": "4"}
    scaled = picture.reformat(width=width, height=height, format="yuvj420p")
    packets = list(encoder.encode(scaled)) + list(encoder.encode(None))
    return b"".join(bytes(p) for p in packets)
