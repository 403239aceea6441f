"""Word-boundary refinement. Whisper's word timestamps come from attention alignment, and the
first word of a segment often absorbs the silence before it (starting up to a second early).
Each word's start is moved forward to the first voiced 10 ms frame inside the word, and its end
back to the last voiced frame.

The opposite error happens too, more rarely: a short first word after a pause ("The") placed
in the silence just *after* it was spoken (a third of a second late on CTranslate2's AVX2
kernels, on time on AVX-512). When a word starts in silence and a stretch of voice that no
word holds ends just before it, after a pause, the word starts where that stretch does."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace

import numpy as np

from pipelines.records import Segment, Word

FRAME_S = 0.01
VOICE_OVER_FLOOR_DB = 20.0
MIN_OVER_FLOOR_DB = 6.0
# The noise floor is local ("minimum statistics"): the quietest tenth of each second, then the
# lowest of those within 2 s either side. A floor for the whole file would come from its
# quietest part, so after a quiet narration a noisy room's background would count as voice and
# words there would keep Whisper's early starts. Speech pauses at least once in 5 s, so the
# minimum finds the background between words; a change of room affects at most 2 s.
FLOOR_BLOCK_FRAMES = 100
# A word starts where the voice is sustained for 40 ms: shorter blips in a pause (a click, a
# breath, a burst of a noisy room) would otherwise pull a word's start back into the pause.
MIN_RUN_FRAMES = 4
FLOOR_REACH_BLOCKS = 2
# A late start is pulled back only over voice that ends at most LATE_GAP_FRAMES before the
# word, begins after at least PAUSE_FRAMES of silence (so it is not the previous word's tail
# that Whisper ended early), and lies after the previous word; gaps of up to BRIDGE_FRAMES
# inside that voice (a stop consonant) do not split it. LATE_PULL_S bounds the move.
LATE_GAP_FRAMES = 15
PAUSE_FRAMES = 15
BRIDGE_FRAMES = 2
LATE_PULL_S = 0.6


def voiced_frames(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """Boolean per 10 ms frame: 20 dB louder than the local noise floor, or (a stretch too
    noisy for that) 10 dB below the local peak but still 6 dB over the floor."""
    hop = int(sample_rate * FRAME_S)
    count = len(audio) // hop
    if count == 0:
        return np.zeros(0, dtype=bool)
    frames = audio[: count * hop].reshape(count, hop).astype(np.float64)
    level_db = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-10)
    blocks = -(-count // FLOOR_BLOCK_FRAMES)
    padded = np.pad(level_db, (0, blocks * FLOOR_BLOCK_FRAMES - count), mode="edge")
    per_block = padded.reshape(blocks, FLOOR_BLOCK_FRAMES)
    block_floor = np.percentile(per_block, 10, axis=1)
    block_peak = np.percentile(per_block, 99, axis=1)
    reach = FLOOR_REACH_BLOCKS
    floor = np.array([block_floor[max(0, b - reach) : b + reach + 1].min() for b in range(blocks)])
    peak = np.array([block_peak[max(0, b - reach) : b + reach + 1].max() for b in range(blocks)])
    # 20 dB over the floor; in a noisy stretch at most 10 dB under its peak; and never within
    # 6 dB of the floor, so a stretch of background alone (its peak is the noise) is not voice.
    thresholds = np.maximum(
        np.minimum(floor + VOICE_OVER_FLOOR_DB, peak - 10.0), floor + MIN_OVER_FLOOR_DB
    )
    voiced: np.ndarray = level_db > np.repeat(thresholds, FLOOR_BLOCK_FRAMES)[:count]
    return voiced


def _first_sustained(voiced: np.ndarray) -> int | None:
    """The first frame of the first voiced run of MIN_RUN_FRAMES or more: a click, a breath
    or a burst of noise in the pause before a word is shorter than any spoken sound."""
    run = 0
    for index, on in enumerate(voiced):
        run = run + 1 if on else 0
        if run >= MIN_RUN_FRAMES:
            return index - MIN_RUN_FRAMES + 1
    return None


def _tighten(word: Word, voiced: np.ndarray) -> Word:
    first, last = int(word.start / FRAME_S), int(np.ceil(word.end / FRAME_S))
    inside = np.flatnonzero(voiced[first:last])
    if len(inside) == 0:
        return word
    onset = _first_sustained(voiced[first:last])
    start = round((first + (inside[0] if onset is None else onset)) * FRAME_S, 3)
    end = round(min(word.end, (first + inside[-1] + 1) * FRAME_S), 3)
    return replace(word, start=max(word.start, start), end=max(end, max(word.start, start)))


def _unheld_voice_before(word: Word, voiced: np.ndarray, previous_end: float) -> float | None:
    """Where a stretch of voice that no word holds begins, if the word starts in silence just
    after it and a pause comes before it; None otherwise."""
    first = int(round(word.start / FRAME_S))
    if first >= len(voiced) or voiced[first]:
        return None
    lowest = max(0, int(np.ceil(previous_end / FRAME_S)), first - int(LATE_PULL_S / FRAME_S))
    before = voiced[lowest:first]
    on = np.flatnonzero(before)
    if len(on) == 0 or len(before) - 1 - on[-1] > LATE_GAP_FRAMES:
        return None
    onset, gap = int(on[-1]), 0
    for index in range(onset - 1, -1, -1):  # back to where the stretch begins
        if before[index]:
            onset, gap = index, 0
        elif (gap := gap + 1) > BRIDGE_FRAMES:
            break
    silence_before = before[max(0, onset - PAUSE_FRAMES) : onset]
    if onset < PAUSE_FRAMES or silence_before.any():
        return None  # no pause before it (or the search window ends inside voice)
    if _first_sustained(before[onset:]) is None:
        return None  # only blips: a click or a breath
    return round((lowest + onset) * FRAME_S, 3)


def refine_word_boundaries(
    segments: Iterable[Segment], audio: np.ndarray, sample_rate: int
) -> Iterator[Segment]:
    voiced = voiced_frames(audio, sample_rate)
    previous_end = 0.0
    for segment in segments:
        if not segment.words:
            yield segment
            continue
        refined: list[Word] = []
        for word in segment.words:
            start = _unheld_voice_before(word, voiced, previous_end)
            tightened = _tighten(word, voiced) if start is None else replace(word, start=start)
            refined.append(tightened)
            previous_end = max(previous_end, tightened.end)
        words = tuple(refined)
        start, end = words[0].start, words[-1].end
        if end <= start:
            end = start + 0.01
        yield replace(segment, words=words, start=start, end=end)
