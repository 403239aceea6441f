"""Which name an unnamed voice is given, on voice prints at known similarities: the closest
person above the threshold, never a name the video has or a person turned down, never one name
for two voices of one video."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.speech.voice_match import NamedVoice, suggest_names

BASE = np.eye(192)


def like(cosine: float, axis: int = 0, away: int = 1) -> list[float]:
    """A unit print whose cosine with the print ``BASE[axis]`` is ``cosine``."""
    return list(cosine * BASE[axis] + np.sqrt(1 - cosine**2) * BASE[away])


def test_the_closest_person_above_the_threshold_is_suggested() -> None:
    named = [
        NamedVoice("Dana", "v1", like(1.0)),
        NamedVoice("Sam", "v2", like(1.0, axis=5)),
    ]
    unnamed = {"Speaker 1": like(0.97), "Speaker 2": like(0.90, axis=5), "Speaker 3": like(0.0)}
    got = suggest_names(unnamed, named, threshold=0.95)
    assert list(got) == ["Speaker 1"]
    assert (got["Speaker 1"].name, got["Speaker 1"].from_video_id) == ("Dana", "v1")
    assert got["Speaker 1"].similarity == pytest.approx(0.97, abs=1e-4)
    assert suggest_names(unnamed, named, threshold=0.90)["Speaker 2"].name == "Sam"
    # 1 switches suggestions off, and nothing named suggests nothing.
    assert suggest_names(unnamed, named, threshold=1.0) == {}
    assert suggest_names(unnamed, [], threshold=0.5) == {}


def test_a_person_named_in_several_videos_is_their_closest_print_and_names_any_case() -> None:
    named = [
        NamedVoice("Dana", "v1", like(0.80)),
        NamedVoice("dana", "v2", like(0.99)),  # the same person, named in another case
        NamedVoice("Sam", "v3", like(0.96)),
    ]
    [(label, got)] = suggest_names({"Speaker 1": like(1.0)}, named, threshold=0.95).items()
    assert (label, got.name, got.from_video_id) == ("Speaker 1", "dana", "v2")
    # By their mean print the two Dana prints score lower than Sam's one: Sam is closer.
    [mean] = suggest_names({"Speaker 1": like(1.0)}, named, threshold=0.9, combine="mean").values()
    assert mean.name == "Sam"


def test_names_the_video_has_or_a_person_turned_down_are_not_suggested() -> None:
    named = [NamedVoice("Dana", "v1", like(1.0)), NamedVoice("Sam", "v2", like(0.97))]
    unnamed = {"Speaker 1": like(0.99, away=2)}
    assert suggest_names(unnamed, named, threshold=0.95)["Speaker 1"].name == "Dana"
    # Another speaker of this video is called Dana: the next person, if alike enough.
    assert suggest_names(unnamed, named, threshold=0.95, taken={"DANA"})["Speaker 1"].name == (
        "Sam"
    )
    rejected = {"Speaker 1": {"dana"}}
    assert suggest_names(unnamed, named, threshold=0.95, rejected=rejected)["Speaker 1"].name == (
        "Sam"
    )
    both = {"Speaker 1": {"Dana", "sam"}}
    assert suggest_names(unnamed, named, threshold=0.95, rejected=both) == {}
    # A rejection is one speaker's: another voice of the video is still suggested Dana.
    two = unnamed | {"Speaker 2": like(0.98, away=3)}
    got = suggest_names(two, named, threshold=0.95, rejected=rejected)
    assert got["Speaker 2"].name == "Dana"


def test_two_voices_of_one_video_never_get_the_same_name() -> None:
    named = [NamedVoice("Dana", "v1", like(1.0)), NamedVoice("Sam", "v2", like(0.96, away=3))]
    # Both voices are closest to Dana (a voice diarization heard as two, say): the closer one
    # keeps Dana, the other gets nothing rather than its runner-up Sam (0.93 alike).
    unnamed = {"Speaker 1": like(0.97, away=2), "Speaker 2": like(0.99, away=4)}
    got = suggest_names(unnamed, named, threshold=0.9)
    assert list(got) == ["Speaker 2"] and got["Speaker 2"].name == "Dana"
