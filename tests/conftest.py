from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipelines.config import Settings
from pipelines.library import Library, OwnerLibrary
from tests.support.faults import build_pristine
from tests.support.library import DATA, TALK, OddMedia, make_settings

# Ray's token authentication is on by default and stays on everywhere else (README, "Running
# on a cluster"); the tests' throwaway local Ray runs without it, except in the test that
# checks a stranger is refused.
os.environ["RAY_AUTH_MODE"] = "disabled"


@pytest.fixture(scope="session")
def talk_manifest() -> dict[str, Any]:
    return json.loads((DATA / "talk.json").read_text())


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "library")


@pytest.fixture
def library(settings: Settings) -> Iterator[Library]:
    with Library(settings) as lib:
        yield lib


@pytest.fixture(scope="session")
def talk_library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    """A library holding the test talk, shared by read-only tests."""
    home = tmp_path_factory.mktemp("talk-library")
    with Library(make_settings(home)) as lib:
        [result] = list(lib.local.ingest([TALK]))
        assert result.status == "indexed", result
        yield lib


@pytest.fixture(scope="session")
def turns_library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Library, str]]:
    """A library holding turns.mp4 (three espeak voices, 57 s, changing at 22.44 s and
    40.6 s: tests/data/turns.json) and its video id, shared by the speaker tests: diarizing
    it costs 3-20 s. A test that names a speaker gives the label back afterwards."""
    home = tmp_path_factory.mktemp("turns-library") / "library"
    with Library(make_settings(home)) as lib:
        [result] = list(lib.local.ingest([DATA / "turns.mp4"]))
        assert result.status == "indexed", result
        yield lib, result.video_id


@pytest.fixture
def turns_owner(turns_library: tuple[Library, str]) -> Iterator[OwnerLibrary]:
    """The local owner of the shared turns library; names given in a test are taken back
    after it, so every test starts from Speaker 1..3."""
    library, video_id = turns_library
    yield library.local
    for speaker in library.local.speakers(video_id):
        if speaker.name is not None:
            library.local.rename_speaker(video_id, speaker.label, None)


@pytest.fixture
def talk_copy(tmp_path: Path) -> Path:
    """The talk under another name (ingest must not care about the name)."""
    target = tmp_path / "inbox" / "Team Meeting (final).mp4"
    target.parent.mkdir()
    shutil.copy(TALK, target)
    return target


@pytest.fixture(scope="session")
def odd_media(tmp_path_factory: pytest.TempPathFactory) -> OddMedia:
    return OddMedia(tmp_path_factory.mktemp("odd-media"))


@pytest.fixture(scope="session")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A closed library folder holding the talk, in the local account and in alice's, and
    their video ids. Never opened again: a test that needs such a library works on its own
    copy (tests.support.faults.copy_library), made in a moment where an ingest takes ~15 s."""
    home = tmp_path_factory.mktemp("pristine") / "library"
    return home, build_pristine(home)
