"""Still frames: a JPEG of the picture at a given second (for search results and players)."""

from __future__ import annotations

import threading
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from pipelines.errors import MediaError
from pipelines.media.probe import open_media
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
    # A phone video stores its pixels sideways with a display matrix that says how to turn
    # them: the still is turned the same way, so it is upright like the player's picture.
    turns = (int(round(picture.rotation)) % 360) // 90
    stored_width = width if turns % 2 == 0 else round(width * picture.width / picture.height)
    stored_height = max(2, round(picture.height * stored_width / picture.width / 2) * 2)
    stored_width = max(2, stored_width // 2 * 2)
    pixels = picture.reformat(width=stored_width, height=stored_height, format="rgb24")
    upright: np.ndarray[Any, np.dtype[np.uint8]] = np.ascontiguousarray(
        np.rot90(pixels.to_ndarray(), k=turns), dtype=np.uint8
    )
    frame = av.VideoFrame.from_ndarray(upright, format="rgb24")
    encoder = av.CodecContext.create("mjpeg", "w")
    encoder.width, encoder.height = frame.width, frame.height
    encoder.pix_fmt = "yuvj420p"
    encoder.time_base = Fraction(1, 25)
    encoder.options = {"qscale": "4"}
    scaled = frame.reformat(format="yuvj420p")
    packets = list(encoder.encode(scaled)) + list(encoder.encode(None))
    return b"".join(bytes(p) for p in packets)
