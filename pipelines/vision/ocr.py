"""Reading text in a still with RapidOCR: PP-OCR detection, orientation and recognition
models in ONNX, shipped inside the ``rapidocr`` wheel (nothing is downloaded). The engine
loads in about 0.6 s and is kept for the life of the process."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

# Shorter lines are dropped: on camera pictures the recogniser finds one- and two-glyph
# "text" in textures (scored up to 0.84 on the test pattern), and a real label that short
# says little a search could use.
MIN_CHARS = 3


@dataclass(frozen=True)
class TextLine:
    text: str
    score: float  # the recogniser's confidence, 0–1
    top: float  # the box's top edge, pixels (lines are ordered by it, then by left)
    left: float


@functools.lru_cache(maxsize=2)
def _engine(threads: int) -> Any:
    from rapidocr import RapidOCR

    engine = RapidOCR(
        params={
            "Global.log_level": "warning",
            "EngineConfig.onnxruntime.intra_op_num_threads": threads or -1,
        }
    )
    logging.getLogger("RapidOCR").setLevel(logging.WARNING)
    return engine


def read_lines(
    pixels: np.ndarray[Any, np.dtype[np.uint8]], *, min_score: float, threads: int = 0
) -> list[TextLine]:
    """The lines of text in an RGB still scoring at least ``min_score``, in reading order
    (top to bottom, then left to right within a row)."""
    bgr = np.ascontiguousarray(pixels[:, :, ::-1])  # OpenCV's order, as the engine expects
    result = _engine(threads)(bgr)
    if result.txts is None or result.boxes is None:
        return []
    lines = [
        TextLine(str(text).strip(), float(score), float(box[:, 1].min()), float(box[:, 0].min()))
        for text, score, box in zip(result.txts, result.scores, result.boxes, strict=True)
        if score >= min_score and len(str(text).strip()) >= MIN_CHARS
    ]
    row = max(8.0, pixels.shape[0] / 60)  # boxes whose tops are this close share a row
    return sorted(lines, key=lambda line: (round(line.top / row), line.left))
