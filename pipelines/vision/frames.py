"""Stills worth reading, and which parts of them: each time part of the picture changes and
then holds still.

A frame looked at is shrunk to a 160×90 grey signature, cut into 16×9 tiles of 10×10 (80×80
pixels of a 720p frame). A tile has changed when at least two of its pixels moved by more than
32 grey levels since it was last read (a mean difference would not do: two text slides on the
same background differ in 1–3 % of their pixels). Tiles decide on their own:

- a tile that changed and then held still (it differs from the frame before in fewer than two
  pixels) is read once every tile still changing has settled too, so a slide is read after
  its transition, not in the middle of a fade, and dated from when it appeared — if the
  changed tiles hold more than ``change`` of the signature's pixels, or ``TEXT_MOVED`` of
  them (a figure changed on a slide: reading the rows it is in costs little);
- a tile that keeps changing for ``MOTION_S`` (a webcam inset, a camera, a pointer being
  moved, a clock), with no pause of ``HOLD_S``, is motion: it never delays the rest, and it
  is read on its own at most once per ``min_gap_s``, and the tiles around it never start a
  read (an inset's edge tiles are partly covered). A webcam inset therefore never makes an
  unchanged slide new;
- a picture mostly in motion (a camera) is one moving picture: read whole at most once per
  ``min_gap_s``, whatever part of it holds still for a moment.

Each still says where to read (``regions``): the rows of changed tiles across the whole width
(a line of text is never cut at its sides), the boxes of moving tiles, or the whole picture.

Decoding every frame of a 720p video costs more than reading it (4 s per minute of video on
2 cores), so only keyframes are decoded at first (screen recordings have one every few
seconds). Between two keyframes that differ other than by motion, the frames in between are
decoded (but for B-frames) and looked at every ``check_every_s``; so is the tail after the
last keyframe, and any stretch longer than ``KEY_GAP_S`` without a keyframe. A picture that
changes and changes back between two keyframes (shown for less than a keyframe interval) is
not seen."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np

from pipelines.media.probe import cap_decoder, capped_frames, frame_too_large, open_media
from pipelines.vision.ocr import Region

SIGNATURE = (160, 90)  # width, height of the grey thumbnail that detects a change
TILE = 10  # signature pixels per tile side: a 16×9 grid
LEVEL = 32  # grey levels a signature pixel must move by to count as changed
MOVED = 2  # pixels of a tile that must move for the tile to count as changed
MOTION_S = 1.0  # a tile changing in every look for this long is moving, not in transition
HOLD_S = 1.5  # ...until it has held still this long (a clock's digits change every second)
KEY_GAP_S = 12.0  # keyframes further apart than this: the stretch is decoded whole (x264: 10 s)
# Rows to read covering this share of the picture: read all of it (a new slide, whose
# footnote may differ by one small digit, is read whole).
WHOLE = 0.4
# Pixels moved in settled tiles that make a read even under ``change``: a figure changed in
# place on a slide (28 px digits at 720p: "903" to "1,127" moves 13).
TEXT_MOVED = 10
GRID = (SIGNATURE[1] // TILE, SIGNATURE[0] // TILE)  # rows, columns


@dataclass(frozen=True)
class Still:
    """A settled picture at ``time`` (seconds), upright RGB, its longer side ≤ max_side, and
    the parts of it that changed since they were last read."""

    time: float
    pixels: np.ndarray[Any, np.dtype[np.uint8]]
    regions: tuple[Region, ...] = ()

    @property
    def whole(self) -> bool:
        h, w = self.pixels.shape[:2]
        return self.regions == (Region(0, 0, h, w),)


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
    """The stills of ``path``'s first video stream in time order. Raises
    ``media.frame_too_large`` at the first frame over ``max_frame_pixels``, which the decoder
    refuses before allocating it."""
    with open_media(path, container) as media, open_media(path, container) as between:
        if not media.streams.video:
            return
        stream = media.streams.video[0]
        stream.thread_type = "AUTO"
        stream.codec_context.skip_frame = "NONKEY"
        cap_decoder(stream, max_frame_pixels)
        detail = _Frames(between, path.name, max_frame_pixels)
        watch = _Watch(change * SIGNATURE[0] * SIGNATURE[1], min_gap_s)
        key: tuple[float, np.ndarray] | None = None
        for frame in capped_frames(media.decode(stream), stream, path.name, max_frame_pixels):
            t = frame.time
            if t is None:
                continue
            signature = _signature(frame)
            if key is not None and (t - key[0] > KEY_GAP_S or watch.fresh(key[1], signature)):
                for inner in detail.between(key[0], t, check_every_s):
                    yield from _look(watch, inner, max_side)
            yield from _look(watch, frame, max_side, signature)
            key = (t, signature)
        _refused(stream, path.name, max_frame_pixels)
        if key is not None:  # the tail after the last keyframe is never seen by the scan
            for inner in detail.between(key[0], np.inf, check_every_s):
                yield from _look(watch, inner, max_side)


class _Frames:
    """Every frame between two times, decoded from a second opening of the file (it seeks
    only where it did not stop last)."""

    def __init__(self, media: Any, name: str, max_frame_pixels: int | None) -> None:
        self.media, self.name, self.cap = media, name, max_frame_pixels
        self.stream = media.streams.video[0]
        self.stream.thread_type = "AUTO"
        # B-frames (no frame refers to them) are skipped: a third to a half of the decoding,
        # and the frames left are still a few hundredths of a second apart.
        self.stream.codec_context.skip_frame = "NONREF"
        cap_decoder(self.stream, max_frame_pixels)
        self.frames: Iterator[av.VideoFrame] | None = None
        self.at = -np.inf  # the time of the last frame taken from ``frames``

    def between(self, start: float, end: float, every_s: float) -> Iterator[av.VideoFrame]:
        """Frames after ``start`` and before ``end``, at least ``every_s`` apart."""
        if self.frames is None or abs(self.at - start) > 1e-6:
            self.media.seek(int(start / self.stream.time_base), stream=self.stream)
            decoded = self.media.decode(self.stream)
            self.frames = capped_frames(decoded, self.stream, self.name, self.cap)
        looked = start
        for frame in self.frames:
            t = frame.time
            if t is None or t <= start + 1e-6:
                continue
            self.at = t
            if t >= end - 1e-6:
                return
            if t - looked >= every_s - 1e-6:
                looked = t
                yield frame
        _refused(self.stream, self.name, self.cap)
        self.frames = None


class _Watch:
    """Each tile's state: the signature it was last read with, since when it has differed
    from that, since when it has kept changing."""

    def __init__(self, change_pixels: float, min_gap_s: float) -> None:
        self.change_pixels, self.min_gap_s = change_pixels, min_gap_s
        self.reference: np.ndarray | None = None  # the signature as last read, tile by tile
        self.previous: np.ndarray | None = None  # the signature of the last frame looked at
        self.changed_at = np.full(GRID, np.nan)  # first seen differing from the reference
        self.moving_since = np.full(GRID, np.nan)  # first seen differing from the look before
        self.moved_at = np.full(GRID, -np.inf)  # last seen differing from the look before
        self.motion_read_at = -np.inf
        self.now = 0.0
        self.dated = -np.inf  # the last still's date

    def motion(self) -> np.ndarray:
        """Tiles seen changing over at least ``MOTION_S``, the last time under ``HOLD_S`` ago
        (a slide's one change spans no time: it is never motion)."""
        spans = self.moved_at - self.moving_since >= MOTION_S - 1e-6  # nan: False
        return np.asarray(spans & (self.now - self.moved_at < HOLD_S))

    def fresh(self, before: np.ndarray, after: np.ndarray) -> bool:
        """Whether two signatures differ other than where the picture moves."""
        motion = self.motion()
        if _grown(motion).mean() >= WHOLE:
            return False  # a camera: read whole at keyframes, a GOP decoded changes nothing
        moved = _moved(before, after)
        moved[motion] = 0
        return bool(moved[moved >= MOVED].sum() >= min(self.change_pixels, TEXT_MOVED))

    def look(self, t: float, signature: np.ndarray) -> tuple[float, np.ndarray, np.ndarray] | None:
        """(the date, the settled tiles to read, the moving tiles to read), or None."""
        if self.reference is None or self.previous is None:
            self.reference, self.previous = signature.copy(), signature
            self.motion_read_at = t  # everything is read now, what moves too
            return t, np.ones(GRID, bool), np.zeros(GRID, bool)
        self.now = t
        unsettled = _moved(signature, self.previous) >= MOVED
        self.previous = signature
        self.moved_at[unsettled] = t
        self.moving_since[t - self.moved_at >= HOLD_S - 1e-6] = np.nan
        self.moving_since[unsettled & np.isnan(self.moving_since)] = t
        moved = _moved(signature, self.reference)
        differs = moved >= MOVED
        self.changed_at[~differs] = np.nan
        self.changed_at[differs & np.isnan(self.changed_at)] = t
        motion = self.motion()
        # An inset's edge tiles are only partly covered by it and change now and then: the
        # tiles around what moves never start a read of their own.
        near = _grown(motion)
        ready = differs & ~unsettled & ~near
        pending = differs & unsettled & ~near
        if pending.any() or moved[ready].sum() < min(self.change_pixels, TEXT_MOVED):
            ready[:] = False
        moving = differs & motion
        if (near | unsettled).mean() >= WHOLE:
            # Most of the picture moves (a camera): it is one moving picture, read whole at
            # most once per ``min_gap_s``, whatever part of it holds still for a moment.
            ready[:] = False
            moving = differs
        if t - self.motion_read_at < self.min_gap_s or moved[moving].sum() <= self.change_pixels:
            moving[:] = False
        if not (ready.any() or moving.any()):
            return None
        # Dated from when the last of its tiles appeared: a tile that changed long before
        # (a pointer left there) must not date a slide shown later.
        date = float(np.nanmax(self.changed_at[ready])) if ready.any() else t
        date = self.dated = max(date, self.dated)  # stills in time order, always
        if moving.any():
            self.motion_read_at = t
        read = ready | moving
        cells = np.kron(read, np.ones((TILE, TILE), bool))
        self.reference[cells] = signature[cells]
        self.changed_at[read] = np.nan
        return date, ready, moving


def _look(
    watch: _Watch, frame: Any, max_side: int, signature: np.ndarray | None = None
) -> Iterator[Still]:
    decided = watch.look(frame.time, _signature(frame) if signature is None else signature)
    if decided is None:
        return
    date, settled, moving = decided
    pixels = _upright(frame, max_side)
    turns = _turns(frame)
    regions = _regions(np.rot90(settled, turns), np.rot90(moving, turns), pixels.shape[:2])
    yield Still(date, pixels, regions)


def _regions(settled: np.ndarray, moving: np.ndarray, size: tuple[int, ...]) -> tuple[Region, ...]:
    """Where to read, in pixels of a still of ``size`` (masks already turned upright): the
    rows of settled tiles across the whole width, each moving patch's box; each half a tile
    larger on every side, so a line on a tile's edge is not cut."""
    height, width = size[0], size[1]
    rows, columns = settled.shape
    tall, wide = height / rows, width / columns
    pad_y, pad_x = tall / 2, wide / 2
    whole = Region(0, 0, height, width)
    bands: list[Region] = []
    for first, last in _runs(np.asarray(settled.any(axis=1))):
        top, bottom = int(first * tall - pad_y), int((last + 1) * tall + pad_y)
        bands.append(Region(max(0, top), 0, min(height, bottom), width))
    if sum(b.bottom - b.top for b in bands) >= WHOLE * height:
        return (whole,)
    boxes = []
    for cells in _patches(moving):
        ys, xs = zip(*cells, strict=True)
        top, bottom = int(min(ys) * tall - pad_y), int((max(ys) + 1) * tall + pad_y)
        left, right = int(min(xs) * wide - pad_x), int((max(xs) + 1) * wide + pad_x)
        boxes.append(Region(max(0, top), max(0, left), min(height, bottom), min(width, right)))
    area = sum((r.bottom - r.top) * (r.right - r.left) for r in bands + boxes)
    return (whole,) if area >= WHOLE * height * width else tuple(bands + boxes)


def _refused(stream: Any, name: str, max_frame_pixels: int | None) -> None:
    """Raises ``media.frame_too_large`` when the decoder stopped at a frame over the cap: a
    decoder told to skip frames drops the one it refuses without an error."""
    context = stream.codec_context
    if max_frame_pixels is not None and context.width * context.height > max_frame_pixels:
        raise frame_too_large(name, context.width, context.height, max_frame_pixels)


def _grown(mask: np.ndarray) -> np.ndarray:
    """``mask`` and the 8 tiles around each of its tiles."""
    padded = np.pad(mask, 1)
    rows, columns = mask.shape
    grown = np.zeros_like(mask)
    for dy in range(3):
        for dx in range(3):
            grown |= padded[dy : dy + rows, dx : dx + columns]
    return grown


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) index of each run of True."""
    runs: list[tuple[int, int]] = []
    for n, flag in enumerate(flags):
        if flag and runs and runs[-1][1] == n - 1:
            runs[-1] = (runs[-1][0], n)
        elif flag:
            runs.append((n, n))
    return runs


def _patches(mask: np.ndarray) -> list[list[tuple[int, int]]]:
    """The tiles of each 8-connected patch of True."""
    todo = {(int(y), int(x)) for y, x in zip(*np.nonzero(mask), strict=True)}
    patches = []
    while todo:
        stack, patch = [todo.pop()], []
        while stack:
            y, x = stack.pop()
            patch.append((y, x))
            for near in [(y + dy, x + dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]:
                if near in todo:
                    todo.remove(near)
                    stack.append(near)
        patches.append(patch)
    return patches


def _signature(frame: Any) -> np.ndarray:
    return np.asarray(
        frame.to_ndarray(width=SIGNATURE[0], height=SIGNATURE[1], format="gray"), np.int16
    )


def _moved(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per tile, how many signature pixels moved by more than ``LEVEL``."""
    moved = np.abs(a - b) > LEVEL
    counts: np.ndarray = moved.reshape(GRID[0], TILE, GRID[1], TILE).sum(axis=(1, 3))
    return counts


def _turns(frame: Any) -> int:
    return (int(round(frame.rotation)) % 360) // 90


def _upright(frame: Any, max_side: int) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """The frame as RGB, scaled down to ``max_side`` and turned by its display rotation."""
    scale = min(1.0, max_side / max(frame.width, frame.height))
    width = max(2, round(frame.width * scale))
    height = max(2, round(frame.height * scale))
    pixels = frame.to_ndarray(width=width, height=height, format="rgb24")
    return np.ascontiguousarray(np.rot90(pixels, k=_turns(frame)), dtype=np.uint8)
