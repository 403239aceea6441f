"""Stills worth reading: one each time the picture changes and then holds still.

A frame looked at is shrunk to a 160×90 grey signature (well under a millisecond); a frame
whose signature differs from the last still's in more than ``change`` of its pixels (a
pixel differs when its grey level moves by more than 32 of 255) is a new picture, taken
once it has settled (it differs from the frame before in less than a quarter of that), so a
slide is read after its transition, not in the middle of a fade. A mean difference would
not do: two text slides on the same background differ in 1–3 % of their pixels. A moving
picture (a camera) never settles: it is read once per ``min_gap_s``. An unchanged picture
is never read twice."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pipelines.media.probe import cap_decoder, capped_frames, open_media

SIGNATURE = (160, 90)  # width, height of the grey thumbnail that detects a change
LEVEL = 32  # grey levels a signature pixel must move by to count as changed


@dataclass(frozen=True)
class Still:
    """A settled picture at ``time`` (seconds), upright RGB, its longer side ≤ max_side."""

    time: float
    pixels: np.ndarray[Any, np.dtype[np.uint8]]


def settled_stills(
    path: Path,
    container: str,
    *,
    change: float,
    min_gap_s: float,
    max_side: int,
    check_every_s: float = 0.2,
    max_frame_pixels: int | None = None,
) -> Iterator[Still]:
    """The stills of ``path``'s first video stream in time order. Frames closer than
    ``check_every_s`` to the last one looked at are decoded but not compared. Raises
    ``media.frame_too_large`` at the first frame over ``max_frame_pixels``, which the decoder
    refuses before allocating it."""
    with open_media(path, container) as media:
        if not media.streams.video:
            return
        stream = media.streams.video[0]
        stream.thread_type = "AUTO"
        cap_decoder(stream, max_frame_pixels)
        last_read: np.ndarray | None = None  # signature of the last still
        previous: np.ndarray | None = None  # signature of the last frame looked at
        last_read_at = -np.inf
        looked_at = -np.inf
        changed_at: float | None = None  # when the picture was first seen to differ
        for frame in capped_frames(media.decode(stream), stream, path.name, max_frame_pixels):
            t = frame.time
            if t is None or t - looked_at < check_every_s:
                continue
            looked_at = t
            signature = frame.to_ndarray(
                width=SIGNATURE[0], height=SIGNATURE[1], format="gray"
            ).astype(np.int16)
            new = last_read is None or _difference(signature, last_read) > change
            settled = previous is not None and _difference(signature, previous) < change / 4
            previous = signature
            if not new:
                changed_at = None
                continue
            changed_at = t if changed_at is None else changed_at
            if settled or last_read is None or t - last_read_at >= min_gap_s:
                last_read, last_read_at = signature, t
                # A slide is dated from when it appeared, not from when it settled; a moving
                # picture, from the frame read.
                yield Still(changed_at if settled else t, _upright(frame, max_side))
                changed_at = None


def _difference(a: np.ndarray, b: np.ndarray) -> float:
    """The fraction of signature pixels that changed."""
    return float(np.count_nonzero(np.abs(a - b) > LEVEL)) / a.size


def _upright(frame: Any, max_side: int) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """The frame as RGB, scaled down to ``max_side`` and turned by its display rotation."""
    scale = min(1.0, max_side / max(frame.width, frame.height))
    width = max(2, round(frame.width * scale))
    height = max(2, round(frame.height * scale))
    pixels = frame.to_ndarray(width=width, height=height, format="rgb24")
    turns = (int(round(frame.rotation)) % 360) // 90
    return np.ascontiguousarray(np.rot90(pixels, k=turns), dtype=np.uint8)
