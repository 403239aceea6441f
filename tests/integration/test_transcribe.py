"""Real Whisper tiny.en on the committed espeak-ng talk."""

from __future__ import annotations

from typing import Any

import pytest

from pipelines.config import load_settings
from pipelines.media.audio import decode_audio
from pipelines.speech.transcribe import TranscribeOptions, transcribe_audio
from tests.support.library import TALK


@pytest.fixture(scope="module")
def segments() -> list[Any]:
    stream, language = transcribe_audio(
        decode_audio(TALK, container="mp4")[0], TranscribeOptions.from_settings(load_settings())
    )
    assert language == "en"
    return list(stream)


def test_transcript_has_the_spoken_words(segments: list[Any]) -> None:
    text = " ".join(s.text for s in segments).lower()
    for phrase in (
        "quarterly planning meeting",
        "solar panels",
        "marketing budget",
        "hiring process",
        "coding exercise",
    ):
        assert phrase in text


@pytest.mark.parametrize(
    ("phrase", "sentence"),
    [
        ("welcome to the quarterly", 0),
        ("first, the solar", 1),
        ("second, the marketing", 3),
        ("finally, the new", 5),
        ("candidates will complete", 6),
    ],
)
def test_known_phrase_timestamps_within_half_a_second(
    segments: list[Any], talk_manifest: dict[str, Any], phrase: str, sentence: int
) -> None:
    """Each phrase opens a sentence whose start and end were measured on the generated audio."""
    expected = talk_manifest["sentences"][sentence]
    words = [w for s in segments for w in s.words]

    def plain(word: str) -> str:  # Whisper may write "candidate" for "candidates"
        return word.lower().strip(",.").removesuffix("s")

    texts = [plain(w.text) for w in words]
    wanted = [plain(w) for w in phrase.split()]
    size = len(wanted)
    [at] = [i for i in range(len(words)) if texts[i : i + size] == wanted]
    assert abs(words[at].start - expected["start"]) <= 0.5
    [segment] = [s for s in segments if words[at] in s.words]
    assert abs(segment.end - expected["end"]) <= 0.5


def test_segments_are_ordered_and_well_formed(segments: list[Any]) -> None:
    assert segments
    for a, b in zip(segments, segments[1:], strict=False):
        assert a.start < a.end <= b.start + 0.01


def test_a_long_recording_is_transcribed_window_by_window(
    talk_manifest: dict[str, Any], odd_media: Any
) -> None:
    """With a 12 s window the 35.8 s talk goes through the streamed path in three windows:
    the same phrases, each sentence starting where it was spoken, in time order; and a
    two-speaker stereo call keeps one speaker per channel."""
    from dataclasses import replace

    from pipelines.compute import survey_picks, transcribe_long_track
    from pipelines.media.probe import probe

    options = replace(TranscribeOptions.from_settings(load_settings()), window_s=12.0)
    info = probe(TALK, allowed=("mp4",))
    picks = survey_picks(TALK, info, 0, TALK)
    assert picks == [(None, None)]
    segments, language = transcribe_long_track(
        TALK, info, 0, picks, options, lambda stage, done: None
    )
    assert language == "en"
    text = " ".join(s.text for s in segments).lower()
    for phrase in ("quarterly planning meeting", "marketing budget", "hiring process"):
        assert phrase in text
    starts = [s.start for s in segments]
    assert starts == sorted(starts)
    words = [w for s in segments for w in s.words]
    for sentence in talk_manifest["sentences"]:
        first = sentence["text"].split()[0].lower().strip(",.")
        nearest = min(
            (w for w in words if w.text.lower().strip(",.") == first),
            key=lambda w: abs(w.start - sentence["start"]),
        )
        assert abs(nearest.start - sentence["start"]) <= 0.5, (first, nearest)

    call = odd_media["stereo_two_speakers"]
    info = probe(call, allowed=(call.suffix.lstrip("."),))
    picks = survey_picks(call, info, 0, call)
    assert picks == [(0, "Left"), (1, "Right")]
    segments, _ = transcribe_long_track(call, info, 0, picks, options, lambda stage, done: None)
    assert {s.speaker for s in segments} == {"Left", "Right"}
