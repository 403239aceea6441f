"""Word-boundary refinement with a noise floor local to each stretch of audio."""

from __future__ import annotations

import numpy as np

from pipelines.records import Segment, Word
from pipelines.speech.alignment import FRAME_S, refine_word_boundaries, voiced_frames

RATE = 16_000


def quiet_then_noisy() -> tuple[np.ndarray, float]:
    """10 s of near-silence, then 10 s of steady noise with a 'word' (a loud tone) at 17 s."""
    rng = np.random.default_rng(0)
    audio = np.concatenate([rng.normal(0, 1e-4, 10 * RATE), rng.normal(0, 0.02, 10 * RATE)]).astype(
        np.float32
    )
    onset = 17.0
    t = np.arange(int(0.6 * RATE)) / RATE
    audio[int(onset * RATE) : int(onset * RATE) + len(t)] += 0.3 * np.sin(2 * np.pi * 220 * t)
    return audio, onset


def test_background_noise_after_a_quiet_stretch_is_not_voice() -> None:
    audio, onset = quiet_then_noisy()
    voiced = voiced_frames(audio, RATE)
    noise_only = voiced[int(12 / FRAME_S) : int(16.5 / FRAME_S)]
    word = voiced[int((onset + 0.05) / FRAME_S) : int((onset + 0.55) / FRAME_S)]
    assert noise_only.mean() < 0.05  # a file-wide floor (the quiet part) marked all of it voiced
    assert word.all()


def test_an_early_word_start_in_noise_moves_to_the_onset() -> None:
    audio, onset = quiet_then_noisy()
    early = Segment(16.0, 17.6, "hello", (Word(16.0, 17.6, "hello"),))  # Whisper's early start
    [refined] = refine_word_boundaries([early], audio, RATE)
    assert abs(refined.words[0].start - onset) <= 0.03
    assert refined.start == refined.words[0].start


def test_a_click_in_the_pause_does_not_pull_the_word_back() -> None:
    """A word after a pause, with a 20 ms click in the pause: Whisper's span starts in the
    pause; the start lands on the word, not on the click."""
    rng = np.random.default_rng(1)
    audio = rng.normal(0, 1e-3, 6 * RATE).astype(np.float32)
    click = int(2.0 * RATE)
    audio[click : click + int(0.02 * RATE)] += 0.3
    onset = 3.0
    t = np.arange(int(0.5 * RATE)) / RATE
    audio[int(onset * RATE) : int(onset * RATE) + len(t)] += 0.3 * np.sin(2 * np.pi * 220 * t)
    early = Segment(1.9, 3.5, "ask", (Word(1.9, 3.5, "ask"),))
    [refined] = refine_word_boundaries([early], audio, RATE)
    assert abs(refined.words[0].start - onset) <= 0.03, refined.words[0].start


def word_after_a_pause(onset: float = 3.0, length: float = 0.2) -> np.ndarray:
    """6 s of near-silence with one short 'word' (a tone) at ``onset``."""
    rng = np.random.default_rng(2)
    audio = rng.normal(0, 1e-3, 6 * RATE).astype(np.float32)
    t = np.arange(int(length * RATE)) / RATE
    audio[int(onset * RATE) : int(onset * RATE) + len(t)] += 0.3 * np.sin(2 * np.pi * 220 * t)
    return audio


def test_a_word_placed_in_the_silence_after_it_starts_where_it_was_said() -> None:
    """Whisper puts a short first word ("The", 3.0-3.2 s) in the pause after it (3.28 s)."""
    audio = word_after_a_pause()
    late = Segment(3.28, 3.9, "The end", (Word(3.28, 3.3, "The"), Word(3.3, 3.9, "end")))
    [refined] = refine_word_boundaries([late], audio, RATE)
    assert abs(refined.words[0].start - 3.0) <= 0.03, refined.words[0]
    assert refined.start == refined.words[0].start


def test_voice_a_previous_word_holds_is_not_taken() -> None:
    audio = word_after_a_pause()
    before = Segment(2.9, 3.25, "So", (Word(2.9, 3.25, "So"),))
    late = Segment(3.28, 3.9, "end", (Word(3.28, 3.9, "end"),))
    _, refined = refine_word_boundaries([before, late], audio, RATE)
    assert refined.words[0].start == 3.28


def test_voice_well_before_a_word_or_without_a_pause_is_not_taken() -> None:
    audio = word_after_a_pause()
    far = Segment(3.5, 3.9, "end", (Word(3.5, 3.9, "end"),))  # 0.3 s after the voice ends
    [refined] = refine_word_boundaries([far], audio, RATE)
    assert refined.words[0].start == 3.5
    rng = np.random.default_rng(3)  # voice right from the start of the window: no pause
    loud = word_after_a_pause(onset=2.6, length=0.6) + rng.normal(0, 1e-3, 6 * RATE).astype(
        np.float32
    )
    tail = Segment(3.28, 3.9, "end", (Word(3.28, 3.9, "end"),))
    [refined] = refine_word_boundaries([tail], loud, RATE)
    assert refined.words[0].start == 3.28
