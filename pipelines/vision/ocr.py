"""Reading text in a still with RapidOCR: PP-OCR detection and recognition models in ONNX,
shipped inside the ``rapidocr`` wheel (nothing is downloaded). The engine loads in about 0.6 s
and is kept for the life of the process.

Detection and recognition are run apart, so that each does only the work it must:

- the detector looks at the parts of a still that changed (``Region``), all of them in one
  call: they are stacked into one picture (a batch of one, whatever their sizes), shrunk so
  the still's longer side is ``DETECT_SIDE`` (detection needs the shape of a line, not its
  glyphs: measured in ``evals.screen_cost``, words kept vs side);
- the recogniser reads each line found from the full-size still (its input is 48 px high
  whatever the still's size), unless ``ScreenReader`` has read the same pixels at the same
  place before: a slide's unchanged lines are never recognised twice.

The orientation classifier is not run: it only tells upside-down lines, which screens do not
show (a video's display rotation is applied before reading), and it cost a third of a read."""

from __future__ import annotations

import functools
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np

# Shorter lines are dropped: on camera pictures the recogniser finds one- and two-glyph
# "text" in textures (scored up to 0.84 on the test pattern), and a real label that short
# says little a search could use.
MIN_CHARS = 3
# The detector sees a still scaled to this longer side (a 1280×720 still at half size).
# `python -m evals.screen_cost --sides` (docs/benchmarks.md): on the benchmark decks every
# word the recogniser can read is found from 480 up, 320 loses 18 px footnotes at 720p; 640
# keeps text down to about ¾ of that size.
DETECT_SIDE = 640
GAP = 16  # rows between two regions stacked for the detector (copies of their edge rows)
REMEMBERED = 512  # recognised lines kept for reuse (a deck's worth)
# A line's box whose pixels differ in no more than this many is the line read before: one
# digit changed in an 18 px footnote moves ~40, compression noise a handful at most.
SAME_PIXELS = 6
NEAR = 6  # pixels a line's box may shift by between two detections and be the same box
LEVEL = 32  # grey levels a pixel must move by to count as changed


@dataclass(frozen=True)
class Region:
    """A rectangle of a still, in its pixels (bottom and right exclusive)."""

    top: int
    left: int
    bottom: int
    right: int


@dataclass(frozen=True)
class TextLine:
    text: str
    score: float  # the recogniser's confidence, 0–1
    top: float  # the box's top edge, pixels (lines are ordered by it, then by left)
    left: float
    bottom: float = 0.0
    right: float = 0.0


@functools.lru_cache(maxsize=2)
def _engine(threads: int) -> Any:
    from rapidocr import RapidOCR

    engine = RapidOCR(
        params={
            "Global.log_level": "warning",
            "EngineConfig.onnxruntime.intra_op_num_threads": threads or -1,
            # Stills are shrunk for the detector here (``_detect``), never by the engine.
            "Det.limit_type": "max",
            "Det.limit_side_len": 1 << 16,
        }
    )
    logging.getLogger("RapidOCR").setLevel(logging.WARNING)
    # The two models are called apart (``ScreenReader``); rapidocr (pinned) loads each on its
    # first use, through these.
    engine._load_det_model()  # type: ignore[no-untyped-call]
    engine._load_rec_model()  # type: ignore[no-untyped-call]
    return engine


class ScreenReader:
    """Reads regions of one video's stills, remembering the lines it recognised."""

    def __init__(self, *, min_score: float, threads: int = 0) -> None:
        self.min_score = min_score
        self.engine = _engine(threads)
        self.remembered: OrderedDict[tuple[int, int, int, int], tuple[np.ndarray, str, float]]
        self.remembered = OrderedDict()
        self.recognised = 0  # lines run through the recogniser (the rest were remembered)
        self.reused = 0

    def read(
        self, pixels: np.ndarray[Any, np.dtype[np.uint8]], regions: list[Region]
    ) -> list[TextLine]:
        """The lines of text in ``regions`` of an RGB still scoring at least ``min_score``,
        in reading order (top to bottom, then left to right within a row), in still pixels."""
        from rapidocr.ch_ppocr_rec import TextRecInput
        from rapidocr.utils.process_img import get_rotate_crop_image

        bgr = np.ascontiguousarray(pixels[:, :, ::-1])  # OpenCV's order, as the engine expects
        boxes = self._detect(bgr, regions)
        known: list[tuple[np.ndarray, str, float] | None] = []
        keys, crops = [], []
        for box in boxes:
            key = _key(box)
            same = self._same_line(pixels, key)
            keys.append(same or key)
            if same is not None:
                self.remembered.move_to_end(same)
                known.append(self.remembered[same])
            else:
                known.append(None)
                crops.append(get_rotate_crop_image(bgr, box.astype(np.float32).copy()))
        if crops:
            result = self.engine.text_rec(TextRecInput(img=crops))
            fresh = iter(zip(result.txts or (), result.scores, strict=False))
            for n in range(len(boxes)):
                if known[n] is None:
                    text, score = next(fresh, ("", 0.0))
                    known[n] = (_patch(pixels, keys[n]), str(text), float(score))
                    self._remember(keys[n], known[n])  # type: ignore[arg-type]
        self.recognised += len(crops)
        self.reused += len(boxes) - len(crops)
        lines = [
            TextLine(
                text.strip(),
                score,
                float(b[:, 1].min()),
                float(b[:, 0].min()),
                float(b[:, 1].max()),
                float(b[:, 0].max()),
            )  # fmt: skip
            for b, entry in zip(boxes, known, strict=True)
            if entry is not None
            for _, text, score in [entry]
            if score >= self.min_score and len(text.strip()) >= MIN_CHARS
        ]
        return in_reading_order(lines, pixels.shape[0])

    def _detect(self, bgr: np.ndarray, regions: list[Region]) -> list[np.ndarray]:
        """Boxes (4×2 corner points, still pixels) of the lines in ``regions``, from one
        detector call over the regions stacked one under another."""
        import cv2

        if not regions:
            return []
        width = max(r.right - r.left for r in regions)
        parts, offsets, y = [], [], 0
        for r in regions:
            part = bgr[r.top : r.bottom, r.left : r.right]
            gap = GAP if len(regions) > 1 else 0
            parts.append(
                cv2.copyMakeBorder(part, 0, gap, 0, width - part.shape[1], cv2.BORDER_REPLICATE)
            )
            offsets.append((y, r))
            y += part.shape[0] + gap
        stack = np.vstack(parts)
        # A small still is enlarged for the detector as much as a large one is shrunk: text
        # in a 320×240 video is a few pixels high.
        scale = DETECT_SIDE / max(bgr.shape[:2])
        if scale != 1.0:
            size = (max(32, round(stack.shape[1] * scale)), max(32, round(stack.shape[0] * scale)))
            smoothing = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
            stack = cv2.resize(stack, size, interpolation=smoothing)
        found = self.engine.text_det(np.ascontiguousarray(stack))
        if found.boxes is None:
            return []
        boxes = []
        for shrunk in found.boxes:
            box = shrunk / np.array([stack.shape[1] / width, stack.shape[0] / y])
            middle = float(box[:, 1].mean())
            top, region = next((o, r) for o, r in reversed(offsets) if o <= middle)
            if middle >= top + region.bottom - region.top:
                continue  # a box in the gap below a region: edge rows copied, no text
            moved = box + np.array([region.left, region.top - top])
            moved[:, 0] = moved[:, 0].clip(region.left, region.right - 1)
            moved[:, 1] = moved[:, 1].clip(region.top, region.bottom - 1)
            boxes.append(moved)
        return boxes

    def _same_line(
        self, pixels: np.ndarray, key: tuple[int, int, int, int]
    ) -> tuple[int, int, int, int] | None:
        """The key of a remembered line at (about) ``key`` whose pixels are there now, or
        None. The detector's boxes move by a pixel or two between reads."""
        for other, (patch, _, _) in reversed(self.remembered.items()):
            near = max(abs(a - b) for a, b in zip(other, key, strict=True)) <= NEAR
            if near and _same(patch, _patch(pixels, other)):
                return other
        return None

    def _remember(
        self, key: tuple[int, int, int, int], entry: tuple[np.ndarray, str, float]
    ) -> None:
        self.remembered[key] = entry
        self.remembered.move_to_end(key)
        while len(self.remembered) > REMEMBERED:
            self.remembered.popitem(last=False)


def read_lines(
    pixels: np.ndarray[Any, np.dtype[np.uint8]], *, min_score: float, threads: int = 0
) -> list[TextLine]:
    """The lines of text in a whole RGB still scoring at least ``min_score``, in reading
    order (top to bottom, then left to right within a row)."""
    whole = Region(0, 0, pixels.shape[0], pixels.shape[1])
    return ScreenReader(min_score=min_score, threads=threads).read(pixels, [whole])


def in_reading_order(lines: list[TextLine], height: int) -> list[TextLine]:
    row = max(8.0, height / 60)  # boxes whose tops are this close share a row
    return sorted(lines, key=lambda line: (round(line.top / row), line.left))


def _key(box: np.ndarray) -> tuple[int, int, int, int]:
    """A box's axis-aligned bounds, to the pixel."""
    return (
        int(box[:, 1].min()),
        int(box[:, 0].min()),
        int(np.ceil(box[:, 1].max())) + 1,
        int(np.ceil(box[:, 0].max())) + 1,
    )


def _patch(pixels: np.ndarray, key: tuple[int, int, int, int]) -> np.ndarray:
    """The grey pixels of a line's box: what tells a line already read."""
    top, left, bottom, right = key
    return np.asarray(pixels[top:bottom, left:right].mean(axis=2), np.int16)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    if a.shape != b.shape or a.size == 0:
        return False
    return bool(np.count_nonzero(np.abs(a - b) > LEVEL) <= SAME_PIXELS)
