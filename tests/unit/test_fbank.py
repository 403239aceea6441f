"""The speaker embedder's features, computed in NumPy, against senko's own C++ extractor.

tests/data/fbank-turns.npz holds what senko 0.2.2's ``libfbank_extractor`` returned for four
windows of tests/data/turns.mp4 (two 1.5 s windows of speech, one shorter than a frame, one
past the end): built from senko's sdist (sha256 ae7b8b2a…) with its own flags minus
``-march=native`` (``g++ -O3 -ffast-math -funroll-loops -std=c++20 -shared -fPIC``), because
the wheel's build needs AVX-512, and called through ``Diarizer._extract_fbank_features``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipelines.media.audio import decode_audio
from pipelines.speech import fbank

DATA = Path(__file__).resolve().parents[1] / "data"


def test_features_match_senkos_extractor() -> None:
    golden = np.load(DATA / "fbank-turns.npz")
    audio = decode_audio(DATA / "turns.mp4", container="mp4")[0]
    windows = [(float(a), float(b)) for a, b in golden["windows"]]
    flat, frames, offsets, dim = fbank.extract(audio, windows)
    assert dim == 80
    assert frames.tolist() == golden["frames"].tolist() == [148, 148, 1, 1]
    assert offsets.tolist() == [0, 148 * 80, 296 * 80, 297 * 80]
    ours = flat.reshape(-1, 80)
    theirs = golden["features"]
    # Speech windows carry real spread; the library's float32 FFT and fast-math differ
    # from NumPy's in the last digits only.
    assert theirs[:148].std() > 1.0
    np.testing.assert_allclose(ours, theirs, atol=2e-3)


def test_window_bounds_follow_the_offset() -> None:
    """A caller that passes a slice of the recording gives its first sample's index; a
    window before that slice reads nothing (one padded frame, all zero after normalising)."""
    audio = decode_audio(DATA / "turns.mp4", container="mp4")[0]
    whole, _, _, _ = fbank.extract(audio, [(2.25, 3.75)])
    part, _, _, _ = fbank.extract(audio[16_000:], [(2.25, 3.75)], sample_offset=16_000)
    np.testing.assert_allclose(part, whole, atol=1e-5)
    before, frames, _, _ = fbank.extract(audio[16_000:], [(0.0, 0.5)], sample_offset=16_000)
    assert frames.tolist() == [1] and not before.any()
