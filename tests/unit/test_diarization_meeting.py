"""The one-hour meeting eval's pure parts (evals/diarization_meeting.py): the meeting's script
is an hour of four voices drawn like the diarization eval's conversations, the conversations'
scripts (and so their cached audio) are unchanged by it, and the wider embedding windows the
eval tries are senko's own windows with a longer step."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import asdict
from types import SimpleNamespace

import pytest

from evals.diarization_conversations import (
    LONGEST_TURN_S,
    SPOKEN_PER_PLANNED,
    VOICES,
    _words_s,
    meeting_script,
    script,
)
from pipelines.speech.senko_runtime import cut_windows as windows


def test_the_meeting_is_an_hour_of_four_voices_taking_turns_as_the_conversations_do() -> None:
    lines = meeting_script(60, 4)
    assert lines == meeting_script(60, 4)  # fixed by its seed: one cached recording
    turns = [line for line in lines if not line.interjection]
    said = [line for line in lines if line.interjection]
    planned = sum(
        (0.6 if line.interjection else _words_s(line.text, line.voice)) + line.pause_s
        for line in lines
    )
    assert 59 * 60 <= planned * SPOKEN_PER_PLANNED <= 61 * 60
    assert len({line.speaker for line in lines}) == 4
    assert len({line.voice.name for line in lines}) == 4
    assert {line.voice.name for line in lines} <= {voice.name for voice in VOICES}
    # Turns planned under 20 s (a turn of one sentence may run over the plan).
    for line in turns:
        assert _words_s(line.text, line.voice) <= LONGEST_TURN_S - 1 or ". " not in line.text
        assert 0.2 <= line.pause_s <= 3.0
    # Interjections under a second, by someone other than the speaker they cut into.
    assert 0.15 <= len(said) / len(lines) <= 0.3
    for before, line in zip(lines, lines[1:], strict=False):
        if line.interjection:
            assert line.speaker != before.speaker and 0.15 <= line.pause_s <= 0.5
            assert len(line.text.split()) <= 2
        elif not before.interjection:
            assert line.speaker != before.speaker  # a voice goes on only after an interjection
    # The quieter voices are chosen next more often, so nobody dominates the hour.
    talk = Counter[str]()
    for line in turns:
        talk[line.speaker] += _words_s(line.text, line.voice)
    assert all(0.18 <= seconds / sum(talk.values()) <= 0.32 for seconds in talk.values())


@pytest.mark.parametrize("voices", [1, len(VOICES) + 1])
def test_a_meeting_has_two_to_eight_voices(voices: int) -> None:
    with pytest.raises(ValueError, match="2 to 8 voices"):
        meeting_script(60, voices)


def test_the_conversations_are_the_ones_their_cached_audio_was_spoken_from() -> None:
    # bench-work/diarization keeps each conversation under a hash of its script: these are
    # conversation 1's and 24's before the meeting shared their turn-taking code.
    def key(index: int) -> str:
        lines = json.dumps([asdict(line) for line in script(index)], sort_keys=True)
        return hashlib.sha256(lines.encode()).hexdigest()[:16]

    assert (key(0), key(23)) == ("1d65ffaf046a395e", "295b7758ef1e7e12")


def test_the_wider_windows_are_senkos_own_with_a_longer_step() -> None:
    from senko.diarizer import Diarizer

    regions = [(0.0, 1.0), (2.0, 5.3), (7.25, 9.0), (10.0, 31.7)]
    stock = Diarizer._generate_subsegments(
        SimpleNamespace(vad_model_type="silero", device="cpu"), regions, None
    )
    # senko's, but for its window before 0 s (a short region opening the recording).
    assert stock[0] == (-0.5, 1.0)
    assert windows(regions, 1.5 / 2.5) == [(0.0, 1.0), *stock[1:]]
    wider = windows(regions, 1.2)
    assert wider[:4] == [(0.0, 1.0), (2.0, 3.5), (3.2, 4.7), (3.8, 5.3)]
    assert all(round(b - a, 9) <= 1.5 for a, b in wider)
    assert len(wider) < 0.65 * len(stock)
