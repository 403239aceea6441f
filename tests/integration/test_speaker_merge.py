"""A voice diarization split in two is merged by naming both halves alike (issue 26, a
stranger's finding: a four-voice talk came out as nine speakers, and a second 'Dana' was
refused). The video is stored through the batch writer from a shard whose voices and talk
times are chosen here, so the merged voice print can be checked to the float."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipelines.compute import IngestArtifact
from pipelines.errors import VidscopeError
from pipelines.ingest import check_file
from pipelines.jobs.shards import ShardSource, write_shard
from pipelines.library import Library
from pipelines.records import Chunk, Segment, Voice
from pipelines.retrieval.embed import embed_texts
from tests.support.library import TALK

# (speaker, sentence): four voices, the third being the first one heard again.
LINES = (
    ("Speaker 1", "The lighthouse budget is settled."),
    ("Speaker 2", "Then the ferry timetable comes next."),
    ("Speaker 3", "I checked the harbour crane myself."),
    ("Speaker 4", "Good, the crane can wait a month."),
    ("Speaker 3", "The crane needs new cables though."),
)
SECONDS = {"Speaker 1": 2.0, "Speaker 2": 2.0, "Speaker 3": 6.0, "Speaker 4": 2.0}


def _meeting(library: Library) -> tuple[str, dict[str, list[float]]]:
    """A video of ``LINES`` (one passage per sentence), its voices' prints by label."""
    owner = library.local
    checked = check_file(TALK, limits=library.settings.limits)
    source = ShardSource(checked.sha256, "Harbour meeting", str(TALK), checked.info, checked.track)
    rng = np.random.default_rng(26)
    prints = {
        label: [float(x) for x in v / np.linalg.norm(v)]
        for label, v in zip(SECONDS, rng.normal(size=(len(SECONDS), 192)), strict=True)
    }
    segments = tuple(
        Segment(3.0 * n + 0.5, 3.0 * n + 2.5, text, (), who) for n, (who, text) in enumerate(LINES)
    )
    # Real sentence vectors: a search narrowed to Dana finds her sentence by meaning too.
    vectors = embed_texts([text for _, text in LINES], model=library.settings.embed_model)
    artifact = IngestArtifact(
        checked.track,
        "en",
        segments,
        tuple(Chunk(s.start, s.end, s.text, n, n) for n, s in enumerate(segments)),
        vectors,
        vectors,
        voices=tuple(Voice(label, SECONDS[label], tuple(prints[label])) for label in SECONDS),
    )
    write_shard(Path(owner.shards_folder()), source, artifact)
    [outcome] = owner.merge_shards([checked.sha256], batch_id="merge").outcomes
    assert outcome.status == "indexed", outcome
    return outcome.video_id, prints


def _stored_prints(library: Library, video_id: str) -> dict[str, list[float]]:
    rows = library.catalog.con.execute(
        "SELECT label, voice FROM speakers WHERE video_id = ?", [video_id]
    ).fetchall()
    return {str(label): list(voice) for label, voice in rows}


def test_naming_a_speaker_as_another_is_called_merges_them_everywhere_at_once(
    library: Library,
) -> None:
    owner = library.local
    video_id, prints = _meeting(library)
    owner.rename_speaker(video_id, "Speaker 1", "Dana")
    owner.reject_speaker_name(video_id, "Speaker 3", "Cora")
    fingerprint = library.catalog.for_owner(owner.owner_id).fingerprint()

    merged = owner.rename_speaker(video_id, "speaker 3", "DANA", ip="198.51.100.9", request_id="m1")

    assert (merged.label, merged.name, merged.shown, merged.joined) == (
        "Speaker 1",
        "Dana",
        "Dana",
        "Speaker 3",
    )
    assert merged.seconds == 8.0 and merged.rejected == ["Cora"]
    speakers = owner.speakers(video_id)
    assert [s.label for s in speakers] == ["Speaker 1", "Speaker 2", "Speaker 4"]
    assert [s.joined for s in speakers] == [None, None, None]  # only the rename's answer says
    assert sum(s.share for s in speakers) == pytest.approx(1.0, abs=0.01)
    # Every sentence (so its words and turns), export and search hit is Dana's at once.
    said = [(s.speaker, s.text) for s in owner.segments(video_id)]
    assert said == [("Dana" if w in ("Speaker 1", "Speaker 3") else w, t) for w, t in LINES]
    assert "Dana: I checked the harbour crane myself.\n" in owner.transcript(video_id, "txt")
    assert "<v Dana>The crane needs new cables though." in owner.transcript(video_id, "vtt")
    hits = owner.search("harbour crane cables", k=5, speaker="Dana")
    assert {h.text for h in hits} >= {"I checked the harbour crane myself."}
    assert {h.speaker for h in hits} == {"Dana"}
    assert owner.chunk_ids_spoken_by("Speaker 3", video_id) == set()
    # The print kept for suggestions: the talk-time-weighted mean, unit length.
    weighted = 2.0 * np.asarray(prints["Speaker 1"]) + 6.0 * np.asarray(prints["Speaker 3"])
    stored = _stored_prints(library, video_id)
    assert set(stored) == {"Speaker 1", "Speaker 2", "Speaker 4"}
    assert np.allclose(stored["Speaker 1"], weighted / np.linalg.norm(weighted), atol=1e-6)
    # Cached answers are keyed by the library's state: it changed.
    assert library.catalog.for_owner(owner.owner_id).fingerprint() != fingerprint
    [event] = [e for e in library.system.audit_events(limit=5) if e["request_id"] == "m1"]
    assert (event["event"], event["detail"]) == (
        "speaker.merged",
        {"video_id": video_id, "label": "Speaker 1", "name": "Dana", "joined": "Speaker 3"},
    )
    # A named half joins by its name, and the merged speaker is renamed as one.
    owner.rename_speaker(video_id, "Speaker 4", "Dan")
    assert owner.rename_speaker(video_id, "Dan", "Dana").joined == "Dan"
    assert owner.rename_speaker(video_id, "Dana", "Dana Scully").seconds == 10.0
    assert [(s.label, s.name) for s in owner.speakers(video_id)] == [
        ("Speaker 1", "Dana Scully"),
        ("Speaker 2", None),
    ]


def test_a_merge_that_fails_leaves_both_speakers_as_they_were(library: Library) -> None:
    owner = library.local
    video_id, _ = _meeting(library)
    owner.rename_speaker(video_id, "Speaker 1", "Dana")
    # A damaged row: a print of another length cannot be averaged with Dana's. The sentences
    # are moved before the prints are read, so only the transaction keeps them where they were.
    library.catalog.con.execute(
        "UPDATE speakers SET voice = [1.0, 0.0, 0.0] WHERE video_id = ? AND label = ?",
        [video_id, "Speaker 3"],
    )
    before = (owner.segments(video_id), owner.speakers(video_id))
    with pytest.raises(ValueError):
        owner.rename_speaker(video_id, "Speaker 3", "Dana")
    assert (owner.segments(video_id), owner.speakers(video_id)) == before
    assert _stored_prints(library, video_id)["Speaker 3"] == [1.0, 0.0, 0.0]


def test_a_rename_says_what_it_cannot_do_and_why(library: Library) -> None:
    owner = library.local
    video_id, _ = _meeting(library)

    def code(current: str, name: str) -> tuple[str, str]:
        with pytest.raises(VidscopeError) as caught:
            owner.rename_speaker(video_id, current, name)
        return caught.value.code, caught.value.message

    # Another speaker's label is no name (it was 'speaker.name_taken'): the fix is to name
    # that speaker, then this one alike.
    found, message = code("Speaker 3", "speaker 1")
    assert found == "speaker.name_like_label"
    assert "name Speaker 1 (say 'Dana'), then name Speaker 3 the same" in message
    owner.rename_speaker(video_id, "Speaker 1", "Dana")
    found, message = code("Speaker 3", "Speaker 1")
    assert found == "speaker.name_like_label"
    assert "if the two are one voice, name Speaker 3 'Dana': it joins Speaker 1" in message
    owner.rename_speaker(video_id, "Dana", None)
    # Characters that break an export are refused by name: 'a:b' would read 'a:b: ...' in a
    # txt line, '<' or '>' would end WebVTT's <v Name> early.
    for name, shown in (("a:b", "':'"), ("Tom <3", "'<'"), ("x>y:z", "':' and '>'")):
        found, message = code("Speaker 1", name)
        assert found == "speaker.bad_name", name
        assert f"holds {shown}" in message, message
    assert [s.name for s in owner.speakers(video_id)] == [None] * 4
