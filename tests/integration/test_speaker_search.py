"""'What did Dana say about the budget': search and questions filtered by speaker, and hits
and citations that say who speaks. Uses the shared turns.mp4 library (three voices)."""

from __future__ import annotations

import pytest

from pipelines.errors import VidscopeError
from pipelines.library import Library, OwnerLibrary

pytestmark = pytest.mark.slow


@pytest.fixture
def owner(turns_owner: OwnerLibrary) -> OwnerLibrary:
    return turns_owner


def _spans(owner: OwnerLibrary, video_id: str) -> dict[str, list[tuple[float, float]]]:
    spans: dict[str, list[tuple[float, float]]] = {}
    for s in owner.segments(video_id):
        spans.setdefault(s.speaker or "", []).append((s.start, s.end))
    return spans


def test_a_search_for_one_speaker_finds_only_what_that_speaker_says(
    owner: OwnerLibrary, turns_library: tuple[Library, str]
) -> None:
    _, video_id = turns_library
    spans = _spans(owner, video_id)
    assert len(spans) >= 2, spans
    everyone = owner.search("what a starter is made of", k=10)
    assert everyone and all(h.speaker for h in everyone if h.source == "speech")
    for speaker, said in spans.items():
        hits = owner.search("what a starter is made of", k=10, speaker=speaker)
        others = [span for who, spans_ in spans.items() if who != speaker for span in spans_]
        for hit in hits:
            assert hit.speaker == speaker
            # The hit runs over the speaker's turn it shows: their lines, nobody else's.
            assert any(a - 0.01 <= hit.start < b for a, b in said), hit
            assert not any(b > hit.start + 0.01 and a < hit.end - 0.01 for a, b in others), hit
    # The filter is the speaker's, not the passage's: a passage two voices share is found
    # for each, pointing at that voice's sentence.
    first = owner.search("beekeeping", k=5, speaker="speaker 1")  # any case
    assert first and {h.speaker for h in first} == {"Speaker 1"}


def test_a_named_speaker_is_found_by_name_and_hits_and_citations_say_it(
    owner: OwnerLibrary, turns_library: tuple[Library, str]
) -> None:
    _, video_id = turns_library
    owner.rename_speaker(video_id, "Speaker 3", "Dana")
    hits = owner.search("old bicycles", k=5, speaker="dana")
    assert hits and {h.speaker for h in hits} == {"Dana"}
    answer = owner.ask("What do collectors look for in bicycle frames?", speaker="Dana")
    assert not answer.abstained, answer
    assert answer.citations and {c.speaker for c in answer.citations} == {"Dana"}
    # Her label still finds her sentences, and only hers, once she has a name.
    by_label = owner.search("old bicycles", k=5, speaker="Speaker 3")
    assert by_label and {h.speaker for h in by_label} == {"Dana"}
    # "What did Dana say…" is Dana's sentences asked without her name (no passage says it).
    said = owner.ask("What did Dana say about bicycle frames?")
    assert not said.abstained, said
    assert said.citations and {c.speaker for c in said.citations} == {"Dana"}
    # What Dana did not say is not evidence: the bees are Speaker 1's.
    bees = owner.ask("How many bees can a colony hold in summer?", speaker="Dana")
    assert all(c.speaker == "Dana" for c in bees.citations)
    assert not any("40,000" in c.text for c in bees.citations)


def test_nobody_of_that_name_is_a_coded_error(
    owner: OwnerLibrary, turns_library: tuple[Library, str]
) -> None:
    _, video_id = turns_library
    for call in (
        lambda: owner.search("bicycles", speaker="Nobody"),
        lambda: owner.ask("bicycles?", speaker="Nobody"),
        lambda: owner.search("bicycles", speaker="Speaker 1", video_id=video_id + "x"),
    ):
        with pytest.raises(VidscopeError) as caught:
            call()
        assert caught.value.code in ("speaker.unknown", "video.not_found")
        assert "Nobody" in caught.value.message or caught.value.code == "video.not_found"
