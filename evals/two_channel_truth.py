"""Who speaks when in a call recorded one person to a channel: the truth the diarization eval
scores the mixed-down call against (issue 26: "a real two-channel call mixed down to one
channel, whose channels give the truth").

Each channel's voice activity comes from its own energy: 30 ms frames every 10 ms, a frame
speech when it is loud for that channel (``margin_db`` above its noise floor and no more than
``range_db`` below its loud speech), runs closer than ``bridge_s`` joined (the pauses inside a
sentence) and runs shorter than ``shortest_s`` dropped (clicks, breaths). A frame where the
other channel is ``bleed_db`` louder is that channel's voice leaking in (a handset's echo, a
headset's crosstalk) and is not this channel's speech. Both channels loud and neither far
quieter is overlap: both speakers count, as md-eval counts overlap. Pure numpy, no models."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from evals.diarization_scores import Span

FRAME_S = 0.03
HOP_S = 0.01


@dataclass(frozen=True)
class ActivityOptions:
    """How loud is speech, per channel. The defaults were set on the AWS Live Call Analytics
    test calls (evals/data/real-call.txt) before any diarization was scored on them."""

    margin_db: float = 15.0  # above the channel's noise floor (its 10th percentile frame)
    range_db: float = 35.0  # at most this far below its loud speech (its 99th percentile)
    bleed_db: float = 20.0  # the other channel this much louder: leakage, not speech
    bridge_s: float = 0.3  # pauses shorter than this stay inside the turn
    shortest_s: float = 0.1  # shorter bursts are not speech


def frame_levels(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Each frame's energy in dB (full scale 0 dB for samples in [-1, 1]); frame ``i`` starts
    at ``i * HOP_S`` seconds."""
    frame, hop = round(FRAME_S * sample_rate), round(HOP_S * sample_rate)
    count = max(0, 1 + (len(samples) - frame) // hop)
    if count == 0:
        return np.zeros(0)
    starts = np.arange(count) * hop
    power = np.square(samples.astype(np.float64))
    sums = np.concatenate(([0.0], np.cumsum(power)))
    mean = (sums[starts + frame] - sums[starts]) / frame
    return 10.0 * np.log10(mean + 1e-12)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, past-last) frame indices of each run of True."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def voice_activity(
    levels: np.ndarray, other: np.ndarray | None = None, options: ActivityOptions | None = None
) -> list[tuple[float, float]]:
    """(start s, end s) of speech in one channel's ``frame_levels``; ``other`` is the other
    channel's, so that its voice leaking in is not counted here."""
    opts = options or ActivityOptions()
    if len(levels) == 0:
        return []
    floor, loud = np.percentile(levels, 10), np.percentile(levels, 99)
    speech = levels > max(floor + opts.margin_db, loud - opts.range_db)
    if other is not None:
        speech &= levels > other[: len(levels)] - opts.bleed_db
    runs = _runs(speech)
    joined: list[list[int]] = []
    for first, last in runs:
        if joined and (first - joined[-1][1]) * HOP_S < opts.bridge_s:
            joined[-1][1] = last
        else:
            joined.append([first, last])
    # A run of frames covers from its first frame's start to its last frame's end.
    spans = [(a * HOP_S, (b - 1) * HOP_S + FRAME_S) for a, b in joined]
    return [(round(s, 3), round(e, 3)) for s, e in spans if e - s >= opts.shortest_s]


def truth_from_channels(
    channels: np.ndarray,
    sample_rate: int,
    speakers: Sequence[str],
    options: ActivityOptions | None = None,
) -> list[Span]:
    """The turns of a recording with one speaker per channel (``channels`` shaped (speakers,
    samples)), as RTTM-like spans sorted by start."""
    if channels.ndim != 2 or channels.shape[0] != len(speakers):
        raise ValueError(f"{channels.shape[0]} channels for {len(speakers)} speakers: one each")
    levels = [frame_levels(c, sample_rate) for c in channels]
    spans: list[Span] = []
    for index, who in enumerate(speakers):
        others = [lv for i, lv in enumerate(levels) if i != index]
        loudest = np.max(np.stack(others), axis=0) if others else None
        spans += [(s, e, who) for s, e in voice_activity(levels[index], loudest, options)]
    return sorted(spans)


def mix_down(channels: np.ndarray) -> np.ndarray:
    """The channels as one, as a phone or a meeting app plays them: their mean (never clips)."""
    mixed: np.ndarray = np.asarray(channels, dtype=np.float32).mean(axis=0)
    return mixed
