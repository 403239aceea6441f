"""Word-boundary refinement. Whisper's word timestamps come from attention alignment, and the
first word of a segment often absorbs the silence before it (starting up to a second early).
Each word's start is moved forward to the first voiced 10 ms frame inside the word, and its end
back to the last voiced frame; words never grow and never move outside their original span."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace

import numpy as np

from pipelines.records import Segment, Word

FRAME_S = 0.01
VOICE_OVER_FLOOR_DB = 20.0
# The noise floor is measured around each second of audio (3 s either side), not over the
# whole file: after a quiet narration, a noisy room's background would otherwise count as
# voice, and words there would keep Whisper's early starts.
FLOOR_BLOCK_FRAMES = 100
FLOOR_REACH_BLOCKS = 3


def voiced_frames(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """Boolean per 10 ms frame: 20 dB louder than the local noise floor (10th percentile of
    the frame levels within about 3 s), or 10 dB below the local peak when the stretch is
    too noisy for that."""
    hop = int(sample_rate * FRAME_S)
    count = len(audio) // hop
    if count == 0:
        return np.zeros(0, dtype=bool)
    frames = audio[: count * hop].reshape(count, hop).astype(np.float64)
    level_db = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-10)
    blocks = -(-count // FLOOR_BLOCK_FRAMES)
    thresholds = np.empty(blocks)
    for block in range(blocks):
        first = max(0, (block - FLOOR_REACH_BLOCKS) * FLOOR_BLOCK_FRAMES)
        last = min(count, (block + FLOOR_REACH_BLOCKS + 1) * FLOOR_BLOCK_FRAMES)
        floor_db, peak_db = np.percentile(level_db[first:last], [10, 99])
        thresholds[block] = min(floor_db + VOICE_OVER_FLOOR_DB, peak_db - 10.0)
    voiced: np.ndarray = level_db > np.repeat(thresholds, FLOOR_BLOCK_FRAMES)[:count]
    return voiced


def _tighten(word: Word, voiced: np.ndarray) -> Word:
    first, last = int(word.start / FRAME_S), int(np.ceil(word.end / FRAME_S))
    inside = np.flatnonzero(voiced[first:last])
    if len(inside) == 0:
        return word
    start = round((first + inside[0]) * FRAME_S, 3)
    end = round(min(word.end, (first + inside[-1] + 1) * FRAME_S), 3)
    return replace(word, start=max(word.start, start), end=max(end, max(word.start, start)))


def refine_word_boundaries(
    segments: Iterable[Segment], audio: np.ndarray, sample_rate: int
) -> Iterator[Segment]:
    voiced = voiced_frames(audio, sample_rate)
    for segment in segments:
        if not segment.words:
            yield segment
            continue
        words = tuple(_tighten(w, voiced) for w in segment.words)
        start, end = words[0].start, words[-1].end
        if end <= start:
            end = start + 0.01
        yield replace(segment, words=words, start=start, end=end)
