"""The truth the diarization eval reads from a call's channels (evals.two_channel_truth), on a
generated two-channel call whose turns are known: noise bursts for speech over a quiet hiss,
each speaker on a channel, the other's voice leaking in 30 dB down."""

from __future__ import annotations

import numpy as np
import pytest

from evals.diarization_scores import diarization_error
from evals.two_channel_truth import frame_levels, mix_down, truth_from_channels, voice_activity

RATE = 8000


def _call(
    turns: list[tuple[float, float, int]], seconds: float, bleed_db: float = 30.0
) -> np.ndarray:
    """The two channels of a call: each turn noise at 0.3 on its channel, the same sound
    ``bleed_db`` quieter on the other, a hiss of 1e-3 on both throughout."""
    rng = np.random.default_rng(7)
    channels = rng.normal(0, 1e-3, (2, int(seconds * RATE)))
    for start, end, who in turns:
        a, b = int(start * RATE), int(end * RATE)
        voice = rng.normal(0, 0.3, b - a)
        channels[who, a:b] += voice
        channels[1 - who, a:b] += voice * 10 ** (-bleed_db / 20)
    return channels


TURNS = [(0.5, 3.0, 0), (3.6, 6.0, 1), (6.4, 9.0, 0), (9.5, 11.0, 1)]


def test_each_channel_gives_its_speakers_turns_and_not_the_other_ones_leaking_in() -> None:
    truth = truth_from_channels(_call(TURNS, 12.0), RATE, ["agent", "caller"])
    assert [who for _, _, who in truth] == ["agent", "caller", "agent", "caller"]
    for (start, end, _), (s, e, _) in zip(TURNS, truth, strict=True):
        assert abs(s - start) <= 0.03 and abs(e - end) <= 0.03
    # Scored as the eval scores a system against it (0.25 s collar): the generated turns
    # themselves are a perfect answer.
    assert diarization_error([(s, e, "AB"[w]) for s, e, w in TURNS], truth).der == 0.0


def test_leakage_counts_as_speech_once_the_bleed_rule_is_off() -> None:
    # The 30 dB leak is within the 35 dB range of the channel's own speech: only the rule that
    # the other channel is 20 dB louder keeps it out (this is what the first test relies on).
    agent, caller = (frame_levels(c, RATE) for c in _call(TURNS, 12.0))
    leaky = voice_activity(caller)  # no other channel given: no bleed rule
    assert any(s < 1.0 for s, _ in leaky)  # the agent's first turn, heard on the caller's line
    assert all(s > 3.0 for s, _ in voice_activity(caller, agent))


def test_short_pauses_stay_inside_a_turn_and_clicks_are_not_speech() -> None:
    turns = [(0.5, 2.0, 0), (2.2, 4.0, 0), (5.0, 5.05, 1), (6.0, 8.0, 1)]
    truth = truth_from_channels(_call(turns, 9.0), RATE, ["agent", "caller"])
    assert [(round(s, 1), round(e, 1), who) for s, e, who in truth] == [
        (0.5, 4.0, "agent"),  # the 0.2 s pause bridged
        (6.0, 8.0, "caller"),  # the 50 ms click dropped
    ]


def test_both_speaking_at_once_is_overlap_for_both() -> None:
    truth = truth_from_channels(_call([(1.0, 4.0, 0), (3.0, 6.0, 1)], 7.0), RATE, ["a", "b"])
    assert [(round(s, 1), round(e, 1), who) for s, e, who in truth] == [
        (1.0, 4.0, "a"),
        (3.0, 6.0, "b"),
    ]


def test_one_speaker_per_channel_is_required() -> None:
    with pytest.raises(ValueError, match="3 channels for 2 speakers"):
        truth_from_channels(np.zeros((3, RATE)), RATE, ["a", "b"])


def test_the_mix_is_the_channels_mean_and_never_clips() -> None:
    mixed = mix_down(np.array([[1.0, -1.0, 0.5], [1.0, 1.0, 0.0]]))
    assert mixed.tolist() == [1.0, 0.0, 0.25]
