"""A speaker named in one video is suggested, by voice, in the owner's other videos (and in
their future ones), confirmed by naming it, turned down for good by a reject; another owner's
names are never compared. First on real recordings that share a voice (turns.mp4 and
turns-reply.m4a: tests/data/turns-reply.json), then on prints at known similarities stored
through the batch writer (no models), to reach every rule."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from app.cli import app
from pipelines.compute import IngestArtifact
from pipelines.errors import VidscopeError
from pipelines.ingest import check_file
from pipelines.jobs.shards import ShardSource, write_shard
from pipelines.library import Library, OwnerLibrary
from pipelines.records import Chunk, Segment, Voice
from tests.support.library import DATA, TALK, make_settings

REPLY = DATA / "turns-reply.m4a"  # en-gb (turns.mp4's voice from 22.44 to 40.6 s), then another
PASSWORD = "correct horse battery"


def _speaker_at(owner: OwnerLibrary, video_id: str, second: float) -> str:
    """The label of the voice speaking at ``second`` (labels follow diarization's order)."""
    [segment] = [s for s in owner.segments(video_id) if s.start <= second <= s.end]
    assert segment.speaker is not None
    return segment.speaker


@pytest.fixture(scope="module")
def reply(turns_library: tuple[Library, str]) -> Iterator[tuple[OwnerLibrary, str, str]]:
    """turns-reply.m4a beside turns.mp4 in the shared library: (owner, turns id, reply id).
    Deleted afterwards, so other modules see the library they expect."""
    library, turns_id = turns_library
    [result] = list(library.local.ingest([REPLY]))
    assert result.status == "indexed", result
    yield library.local, turns_id, result.video_id
    for speaker in library.local.speakers(turns_id):
        if speaker.name is not None:
            library.local.rename_speaker(turns_id, speaker.label, None)
    library.local.delete(result.video_id)


@pytest.mark.slow
def test_a_voice_named_in_one_recording_is_suggested_in_another(
    reply: tuple[OwnerLibrary, str, str], turns_library: tuple[Library, str]
) -> None:
    owner, turns_id, reply_id = reply
    threshold = owner.settings.speakers.match
    shared, other = _speaker_at(owner, reply_id, 5.0), _speaker_at(owner, reply_id, 25.0)
    assert shared != other
    assert all(s.suggestion is None for s in owner.speakers(reply_id))  # nobody named yet
    owner.rename_speaker(turns_id, _speaker_at(owner, turns_id, 30.0), "Dana")
    suggested = {s.label: s.suggestion for s in owner.speakers(reply_id)}
    got = suggested[shared]
    assert got is not None, suggested
    assert (got.name, got.from_video_id) == ("Dana", turns_id)
    assert threshold <= got.similarity <= 1.0
    assert suggested[other] is None  # a voice turns.mp4 does not have
    # The video the name was given in suggests nothing: Dana is taken there.
    assert all(s.suggestion is None for s in owner.speakers(turns_id))

    # Another owner with the very same recording (identical prints) and the same voice named
    # otherwise: neither owner is ever offered the other's name.
    library, _ = turns_library
    bob = library.for_owner(library.accounts.register("bob", PASSWORD).id)
    [theirs] = list(bob.ingest([REPLY]))
    assert theirs.status == "indexed" and theirs.video_id != reply_id
    assert all(s.suggestion is None for s in bob.speakers(theirs.video_id))
    bob.rename_speaker(theirs.video_id, _speaker_at(bob, theirs.video_id, 5.0), "Eve")
    [again] = [s.suggestion for s in owner.speakers(reply_id) if s.label == shared]
    assert again == got  # Dana, not Eve, though Eve's print is this very voice's
    assert all(s.suggestion is None for s in bob.speakers(theirs.video_id))

    # Turned down: not suggested again. Confirmed: it is a rename.
    rejected = owner.reject_speaker_name(reply_id, shared, "dana")
    assert (rejected.label, rejected.name, rejected.suggestion) == (shared, None, None)
    owner.rename_speaker(reply_id, shared, got.name)
    assert [s.name for s in owner.speakers(reply_id) if s.label == shared] == ["Dana"]
    bob.delete(theirs.video_id)


def _at(degrees: float) -> list[float]:
    """A unit print in one plane: two prints' cosine is the cosine of their angle apart."""
    vector = np.zeros(192)
    vector[0], vector[1] = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    return list(vector)


def _store(owner: OwnerLibrary, media: Path, prints: dict[str, list[float]]) -> str:
    """A video of ``media`` whose speakers have ``prints``, stored as a batch worker's shard
    is (real catalog, real writer; the transcript is made up)."""
    checked = check_file(media, limits=owner.settings.limits)
    source = ShardSource(checked.sha256, media.stem, str(media), checked.info, checked.track)
    segments = tuple(
        Segment(1.0 + 2 * n, 2.5 + 2 * n, f"Line {n}.", (), label) for n, label in enumerate(prints)
    )
    rng = np.random.default_rng(len(prints))
    artifact = IngestArtifact(
        checked.track,
        "en",
        segments,
        (Chunk(1.0, segments[-1].end, " ".join(s.text for s in segments), 0, len(prints) - 1),),
        rng.random((1, 384), dtype=np.float32),
        rng.random((len(prints), 384), dtype=np.float32),
        voices=tuple(Voice(label, 1.5, tuple(v)) for label, v in prints.items()),
    )
    write_shard(Path(owner.shards_folder()), source, artifact)
    [outcome] = owner.merge_shards([checked.sha256], batch_id=media.stem).outcomes
    assert outcome.status == "indexed", outcome
    return outcome.video_id


def _suggested(owner: OwnerLibrary, video_id: str) -> dict[str, str | None]:
    return {s.label: s.suggestion and s.suggestion.name for s in owner.speakers(video_id)}


def _code(call: object) -> str:
    assert callable(call)
    with pytest.raises(VidscopeError) as caught:
        call()
    return caught.value.code


def test_suggestions_follow_the_owners_names_at_once_and_only_theirs(library: Library) -> None:
    local = library.local
    bob = library.for_owner(library.accounts.register("bob", PASSWORD).id)
    limit = math.degrees(math.acos(library.settings.speakers.match))  # the widest angle
    first = _store(local, TALK, {"Speaker 1": _at(0), "Speaker 2": _at(90)})
    second = _store(local, DATA / "slides.mp4", {"Speaker 1": _at(limit / 2), "Speaker 2": _at(60)})
    theirs = _store(bob, DATA / "slides.mp4", {"Speaker 1": _at(limit / 2)})
    assert _suggested(local, second) == {"Speaker 1": None, "Speaker 2": None}

    local.rename_speaker(first, "Speaker 1", "Dana")
    [near, far] = local.speakers(second)
    assert near.suggestion is not None and far.suggestion is None
    assert (near.suggestion.name, near.suggestion.from_video_id) == ("Dana", first)
    assert near.suggestion.similarity == pytest.approx(math.cos(math.radians(limit / 2)), 1e-3)
    assert _suggested(local, first) == {"Speaker 1": None, "Speaker 2": None}  # Dana is taken
    assert _suggested(bob, theirs) == {"Speaker 1": None}  # Alice's Dana is not Bob's to see
    # Bob names the very same print: the local owner is still offered Dana only.
    bob.rename_speaker(theirs, "Speaker 1", "Eve")
    assert _suggested(local, second) == {"Speaker 1": "Dana", "Speaker 2": None}
    # A video stored after the name was given is offered it too; beyond the limit, nothing.
    later = _store(
        local,
        DATA / "languages.m4a",
        {"Speaker 1": _at(-limit * 0.9), "Speaker 2": _at(limit * 1.2)},
    )
    assert _suggested(local, later) == {"Speaker 1": "Dana", "Speaker 2": None}
    # Renaming the named voice moves every suggestion with it; giving its label back, none.
    local.rename_speaker(first, "Dana", "Dana Scully")
    assert _suggested(local, second)["Speaker 1"] == "Dana Scully"
    local.rename_speaker(first, "Dana Scully", None)
    assert _suggested(local, second)["Speaker 1"] is None


def test_a_turned_down_name_is_never_suggested_for_that_speaker_again(library: Library) -> None:
    local = library.local
    limit = math.degrees(math.acos(library.settings.speakers.match))
    dana = _store(local, TALK, {"Speaker 1": _at(0)})
    sam = _store(local, DATA / "slides.mp4", {"Speaker 1": _at(limit)})
    local.rename_speaker(dana, "Speaker 1", "Dana")
    local.rename_speaker(sam, "Speaker 1", "Sam")
    # Speaker 1 is close to both Dana and Sam, closer to Dana; Speaker 2 is close to Dana only.
    video = _store(
        local, DATA / "languages.m4a", {"Speaker 1": _at(limit / 4), "Speaker 2": _at(-limit / 4)}
    )
    # One name per video: Speaker 2 is as close to Dana, so each gets the name only once.
    assert sorted(filter(None, _suggested(local, video).values())) == ["Dana"]

    turned = local.reject_speaker_name(
        video, "speaker 1", " DANA ", ip="203.0.113.9", request_id="r-1"
    )
    assert turned.suggestion is not None and turned.suggestion.name == "Sam"  # the next one
    assert _suggested(local, video) == {"Speaker 1": "Sam", "Speaker 2": "Dana"}
    local.reject_speaker_name(video, "Speaker 1", "sam")
    local.reject_speaker_name(video, "Speaker 1", "Sam")  # twice is once
    assert _suggested(local, video) == {"Speaker 1": None, "Speaker 2": "Dana"}
    rows = library.catalog.con.execute(
        "SELECT label, name FROM speaker_rejections WHERE video_id = ? ORDER BY name", [video]
    ).fetchall()
    assert rows == [("Speaker 1", "DANA"), ("Speaker 1", "sam")]
    audited = [e for e in library.system.audit_events(limit=20) if e["request_id"] == "r-1"]
    assert [(e["event"], e["ip"], e["detail"]) for e in audited] == [
        (
            "speaker.rejected",
            "203.0.113.9",
            {"video_id": video, "label": "Speaker 1", "name": "DANA"},
        )
    ]

    # Confirming is naming; turning down the name a speaker has takes it away again.
    local.rename_speaker(video, "Speaker 2", "Dana")
    assert _suggested(local, video) == {"Speaker 1": None, "Speaker 2": None}
    undone = local.reject_speaker_name(video, "dana", "Dana")
    assert (undone.label, undone.name, undone.suggestion) == ("Speaker 2", None, None)

    assert _code(lambda: local.reject_speaker_name(video, "Speaker 9", "Dana")) == (
        "speaker.unknown"
    )
    assert _code(lambda: local.reject_speaker_name(video, "Speaker 1", " ")) == "speaker.bad_name"
    bob = library.for_owner(library.accounts.register("bob", PASSWORD).id)
    assert _code(lambda: bob.reject_speaker_name(video, "Speaker 1", "Eve")) == ("video.not_found")
    # Deleting the video removes what was turned down with it.
    local.delete(video)
    assert library.catalog.con.execute("SELECT count(*) FROM speaker_rejections").fetchone() == (0,)


def test_the_cli_lists_confirms_and_rejects_suggestions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "library"
    with Library(make_settings(home)) as library:
        limit = math.degrees(math.acos(library.settings.speakers.match))
        named = _store(library.local, TALK, {"Speaker 1": _at(0)})
        library.local.rename_speaker(named, "Speaker 1", "Dana")
        first = _store(library.local, DATA / "slides.mp4", {"Speaker 1": _at(limit / 2)})
        second = _store(library.local, DATA / "languages.m4a", {"Speaker 1": _at(-limit / 2)})
        split = _store(
            library.local,
            DATA / "turns-reply.m4a",
            {"Speaker 1": _at(90), "Speaker 2": _at(120), "Speaker 3": _at(100)},
        )
    monkeypatch.setenv("VIDSCOPE_HOME", str(home))
    runner = CliRunner()

    listed = runner.invoke(app, ["speakers", first])
    assert listed.exit_code == 0, listed.output
    assert "Dana?" in listed.stdout and 'confirm "Speaker 1"' in listed.stdout
    confirmed = runner.invoke(app, ["speakers", first, "confirm", "speaker 1"])
    assert confirmed.exit_code == 0, confirmed.output
    assert "Speaker 1 is now called Dana" in confirmed.stdout
    again = runner.invoke(app, ["speakers", first, "confirm", "Dana"])
    assert again.exit_code == 1 and "speaker.no_suggestion" in again.stderr
    rejected = runner.invoke(app, ["speakers", second, "reject", "Speaker 1"])
    assert rejected.exit_code == 0, rejected.output
    assert "Speaker 1 is not Dana" in rejected.stdout
    shown = runner.invoke(app, ["speakers", second, "--json"])
    assert '"suggestion": null' in shown.stdout and '"name": null' in shown.stdout
    # Confirming what was just turned down says so (it said no voice sounded like it).
    turned = runner.invoke(app, ["speakers", second, "confirm", "Speaker 1"])
    assert turned.exit_code == 1 and "speaker.no_suggestion" in turned.stderr
    assert "you turned down 'Dana' for it" in " ".join(turned.stderr.split())
    wrong = runner.invoke(app, ["speakers", second, "confirm"])
    assert wrong.exit_code == 2 and "rename" in wrong.output

    # A name another speaker has merges the two, and says so; a name it has changes nothing.
    runner.invoke(app, ["speakers", split, "rename", "Speaker 1", "Ann"])
    merged = runner.invoke(app, ["speakers", split, "rename", "Speaker 3", "ann"])
    assert merged.exit_code == 0, merged.output
    assert "Speaker 3 joined Ann (now 2 speakers)" in merged.stdout
    same = runner.invoke(app, ["speakers", split, "rename", "ann", "Ann"])
    assert "Speaker 1 is called Ann already: nothing changed" in same.stdout
    same = runner.invoke(app, ["speakers", split, "rename", "Speaker 2", "speaker 2"])
    assert "Speaker 2 is called Speaker 2 already: nothing changed" in same.stdout
