"""Who said what, turn by turn: search and answers narrowed to one speaker show and cite only
that speaker's sentences of one turn, never joined across someone else's. Uses
tests/data/meeting.m4a (tests/data/meeting.json: voices that interrupt one another inside one
passage), ingested with the default passage sizes as a person's library has them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import gradio as gr
import pytest

from app.web.handlers import WebApp
from app.web.ledger import UploadLedger
from app.web.making import wait_for
from pipelines.jobs.worker import JobWorker
from pipelines.library import Library, OwnerLibrary
from pipelines.records import Segment
from tests.support.library import DATA, make_settings

pytestmark = pytest.mark.slow

MEETING = DATA / "meeting.m4a"
# The sizes a library has unless told otherwise (the tests' small ones cut this meeting into
# passages of one or two turns, where nothing can be joined across a turn).
DEFAULT_CHUNKS = {
    "chunk_min_s": 15.0,
    "chunk_target_s": 30.0,
    "chunk_max_s": 45.0,
    "chunk_overlap_s": 5.0,
}


@pytest.fixture(scope="module")
def meeting_library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Library, str]]:
    home: Path = tmp_path_factory.mktemp("meeting-library") / "library"
    with Library(make_settings(home, **DEFAULT_CHUNKS)) as lib:
        [result] = list(lib.local.ingest([MEETING]))
        assert result.status == "indexed", result
        yield lib, result.video_id


@pytest.fixture
def meeting(meeting_library: tuple[Library, str]) -> tuple[OwnerLibrary, str]:
    library, video_id = meeting_library
    return library.local, video_id


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def _voice_of(segments: list[Segment], words: str) -> str:
    [speaker] = {s.speaker for s in segments if words in s.text}
    assert speaker is not None
    return speaker


def _inside(segments: list[Segment], start: float, end: float) -> list[Segment]:
    """The transcript's lines that a time range covers (any part of)."""
    return [s for s in segments if s.end > start + 0.01 and s.start < end - 0.01]


def _interrupted(segments: list[Segment], speaker: str, first: str, then: str) -> bool:
    """Whether ``speaker`` says ``first``, then someone else speaks, then ``speaker`` says
    ``then``: what makes a joined snippet or citation possible at all."""
    said = [i for i, s in enumerate(segments) if s.speaker == speaker]
    a = next(i for i in said if first in segments[i].text)
    b = next(i for i in said if then in segments[i].text)
    return a < b and any(s.speaker != speaker for s in segments[a:b])


def test_a_speakers_hit_shows_one_turn_of_theirs_and_runs_over_it(
    meeting: tuple[OwnerLibrary, str],
) -> None:
    owner, video_id = meeting
    segments = owner.segments(video_id)
    third = _voice_of(segments, "email the traffic office")
    assert _interrupted(segments, third, "river road", "email the traffic office"), segments
    first = _voice_of(segments, "bridge repair will take")
    for query, speaker in (
        ("email the traffic office", third),
        ("what the steel supports cost to repair", first),
        ("how long the bridge repair takes", first),
    ):
        hits = owner.search(query, speaker=speaker, video_id=video_id)
        assert hits, (query, speaker)
        for hit in hits:
            shown = _inside(segments, hit.start, hit.end)
            # Only their lines between the hit's start and end, one after another...
            assert shown and {s.speaker for s in shown} == {speaker}, (hit, shown)
            # ... and the snippet is those lines: nothing from before someone else's turn.
            said = " ".join(" ".join(_words(s.text)) for s in shown)
            assert " ".join(_words(hit.text)) in said, (hit.text, said)
    [email] = owner.search("email the traffic office", k=1, speaker=third, video_id=video_id)
    assert "river road" not in email.text and "email the traffic office" in email.text


def test_an_answer_for_one_speaker_cites_only_their_turns(
    meeting: tuple[OwnerLibrary, str],
) -> None:
    owner, video_id = meeting
    segments = owner.segments(video_id)
    third = _voice_of(segments, "email the traffic office")
    first = _voice_of(segments, "bridge repair will take")
    asked = 0
    for question, speaker in (
        ("Why is the river road closed?", third),  # they begin it; the other voice ends it
        ("Who will email the traffic office?", third),
        ("What does the old bridge need?", first),
        ("How long will the bridge repair take?", first),
    ):
        answer = owner.ask(question, video_id=video_id, speaker=speaker)
        for citation in answer.citations:
            asked += 1
            lines = _inside(segments, citation.start, citation.end)
            assert lines and {s.speaker for s in lines} == {speaker}, (question, citation)
            heard = set(_words(" ".join(s.text for s in lines)))
            assert set(_words(citation.text)) <= heard, (question, citation.text, lines)
    assert asked >= 3  # the questions each speaker answers are answered


def test_a_reel_of_a_search_narrowed_to_a_speaker_is_made_of_their_hits(
    meeting_library: tuple[Library, str], tmp_path: Path
) -> None:
    """The web's "Make a reel of the best hits" with the Search tab's "Who says it" chosen:
    the reel's parts are that speaker's hits (before, the filter was not sent: anyone's)."""
    library, video_id = meeting_library
    owner = library.local
    segments = owner.segments(video_id)
    third = _voice_of(segments, "email the traffic office")
    query = "the bridge repair and the traffic office"
    everyone = {s.speaker for h in owner.search(query) for s in _inside(segments, h.start, h.end)}
    assert everyone - {third}  # unfiltered, the reel holds another voice
    web = WebApp(UploadLedger(tmp_path / "uploads"))
    worker = JobWorker(
        settings=library.settings,
        catalog=library.catalog,
        indexes=library.indexes,
        owner=library.for_owner,
    )
    web.attach(library, library.accounts, worker)
    worker.start()
    try:
        request = gr.Request(username=owner.owner_id)
        queued = web.reel_of_results(query, third, [], request)
        _, link = wait_for(owner, worker, queued)
    finally:
        worker.stop()
    [reel_id] = re.findall(r"api/v1/reels/(\w+)/file", link)
    reel = owner.get_reel(reel_id)
    hits = owner.search(query, speaker=third)
    assert reel.parts and len(reel.parts) <= len(hits)
    for part in reel.parts:
        heard = [s for s in segments if s.end > part.start + 0.05 and s.start < part.end - 0.05]
        assert heard and {s.speaker for s in heard} == {third}, (part, heard)
        assert any(part.start <= h.start and h.end <= part.end for h in hits), part
