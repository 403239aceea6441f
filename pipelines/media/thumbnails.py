"""Still frames: a JPEG of the picture at a given second (for search results and players).

A still is the keyframe at or before the second asked, decoded alone: one packet, so a request
costs the same at any second (decoding forward from the keyframe to the second asked cost
2.85 s at 299 s of a video with one keyframe, and 0.07 s at 0). Stills are kept in a small
cache by (video, keyframe, width): a page of search cards often lands on the same keyframes."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from pipelines.errors import MediaError
from pipelines.media.probe import cap_decoder, capped_frames, open_media
from pipelines.records import Video

THUMBNAIL_WIDTH = 320
# Decoding holds a full-size frame (up to VIDSCOPE_MAX_FRAME_PIXELS): a page of search cards
# asks for many at once, so two decode at a time and the rest wait their turn.
_DECODING = threading.BoundedSemaphore(2)


@dataclass(frozen=True)
class KeyframeStill:
    """The keyframe at or before a second: its ``time`` (seconds), the decoded ``frame``, and
    how many packets were decoded to get it (one)."""

    time: float
    frame: av.VideoFrame
    packets_decoded: int


def keyframe_time(path: Path, container: str, at_s: float) -> float | None:
    """The time of the keyframe at or before ``at_s`` (the first one when a seek lands
    later), read from packet headers only; None for a file without video packets."""
    with open_media(path, container) as media:
        packet = _keyframe_packet(media, at_s)
        return None if packet is None else _packet_time(packet)


def keyframe_still(
    path: Path, container: str, at_s: float, *, max_frame_pixels: int | None = None
) -> KeyframeStill:
    """The keyframe at or before ``at_s``, decoded alone (its packet, then the decoder
    drained). Raises ``media.frame_too_large`` for a keyframe over ``max_frame_pixels`` (the
    decoder refuses it before allocating it) and ``media.undecodable`` when it gives no
    picture."""
    with open_media(path, container) as media:
        packet = _keyframe_packet(media, at_s)
        if packet is None:
            raise MediaError("no frame could be decoded there", code="media.undecodable")
        stream = media.streams.video[0]
        stream.thread_type = "SLICE"  # frame threads would each hold a frame of their own
        cap_decoder(stream, max_frame_pixels)
        decoder = stream.codec_context
        # One packet, then a drain: a decoder that reorders frames holds the keyframe back
        # until it knows no earlier frame follows, and draining says none will.
        frames = capped_frames(_decode_one(decoder, packet), stream, path.name, max_frame_pixels)
        picture = next(frames, None)
        if picture is None:
            raise MediaError("no frame could be decoded there", code="media.undecodable")
        return KeyframeStill(_packet_time(packet), picture, packets_decoded=1)


def _decode_one(decoder: Any, packet: av.Packet[Any]) -> Any:
    yield from decoder.decode(packet)
    yield from decoder.decode(None)


def _keyframe_packet(media: av.container.InputContainer, at_s: float) -> av.Packet[Any] | None:
    if not media.streams.video:
        return None
    stream = media.streams.video[0]
    time_base = stream.time_base or Fraction(1, 1000)
    media.seek(int(at_s / time_base), stream=stream, backward=True, any_frame=False)
    # A seek lands on a keyframe in an indexed file; elsewhere the packets up to the next
    # keyframe are skipped unread by the decoder (demuxing costs no decoding).
    for packet in media.demux(stream):
        if packet.is_keyframe and packet.pts is not None:
            return packet
    return None


def _packet_time(packet: av.Packet[Any]) -> float:
    assert packet.pts is not None and packet.time_base is not None
    return round(float(packet.pts * packet.time_base), 6)


class StillCache:
    """A small LRU of JPEG stills keyed by (video id, content hash, keyframe time, width),
    bounded by ``entries`` and by ``max_bytes``; safe to share between threads."""

    def __init__(self, *, entries: int = 256, max_bytes: int = 16 * 1024 * 1024) -> None:
        self.entries, self.max_bytes = entries, max_bytes
        self.hits = 0
        self._stills: OrderedDict[tuple[str, str, float, int], bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._stills)

    def get(self, key: tuple[str, str, float, int]) -> bytes | None:
        with self._lock:
            jpeg = self._stills.get(key)
            if jpeg is not None:
                self._stills.move_to_end(key)
                self.hits += 1
            return jpeg

    def put(self, key: tuple[str, str, float, int], jpeg: bytes) -> None:
        with self._lock:
            if key in self._stills or len(jpeg) > self.max_bytes:
                return
            self._stills[key] = jpeg
            self._bytes += len(jpeg)
            while len(self._stills) > self.entries or self._bytes > self.max_bytes:
                _, dropped = self._stills.popitem(last=False)
                self._bytes -= len(dropped)


STILLS = StillCache()  # the server's: about 13 KB a still at 320 px, 16 MB at most


def thumbnail_jpeg(
    path: Path,
    video: Video,
    at_s: float,
    *,
    width: int = THUMBNAIL_WIDTH,
    max_frame_pixels: int | None = None,
    cache: StillCache | None = None,
) -> bytes:
    """The keyframe at or before ``at_s`` (clamped into the video), ``width`` pixels wide and
    upright, as JPEG bytes; from ``cache`` when it holds that keyframe's still. Raises
    ``media.no_video`` for a file without pictures, ``media.frame_too_large`` for a keyframe
    over ``max_frame_pixels``."""
    if not video.has_video:
        raise MediaError(f"{video.title!r} has no pictures", code="media.no_video")
    at_s = min(max(0.0, at_s), max(0.0, video.duration - 0.05))
    key: tuple[str, str, float, int] | None = None
    if cache is not None:
        found = keyframe_time(path, video.container, at_s)
        key = (video.id, video.sha256, -1.0 if found is None else found, width)
        jpeg = cache.get(key)
        if jpeg is not None:
            return jpeg
    with _DECODING:
        still = keyframe_still(path, video.container, at_s, max_frame_pixels=max_frame_pixels)
        jpeg = _encode_jpeg(still.frame, width)
    if cache is not None and key is not None:
        cache.put(key, jpeg)
    return jpeg


def _encode_jpeg(picture: av.VideoFrame, width: int) -> bytes:
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
