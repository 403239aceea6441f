from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pipelines.config import Settings, load_settings
from pipelines.library import Library

# Ray's token authentication is on by default and stays on everywhere else (README, "Running
# on a cluster"); the tests' throwaway local Ray runs without it, except in the test that
# checks a stranger is refused.
os.environ["RAY_AUTH_MODE"] = "disabled"

DATA = Path(__file__).parent / "data"
TALK = DATA / "talk.mp4"
SILENT = DATA / "silent.mp4"


def wait_until_answered(
    what: str, url: str, *, json: Any = None, timeout_s: float = 60
) -> httpx.Response:
    """The first 200 answer of a server still starting (a GET, or a POST of ``json``);
    fails the test, naming ``what``, when none came within ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if json is None:
                answer = httpx.get(url, timeout=5)
            else:
                answer = httpx.post(url, json=json, timeout=5)
            if answer.status_code == 200:
                return answer
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"{what} did not answer"
        time.sleep(0.5)


# Short passages so each topic of the 36 s test talk lands in its own chunk.
SMALL_CHUNKS: dict[str, Any] = {
    "chunk_min_s": 4.0,
    "chunk_target_s": 8.0,
    "chunk_max_s": 12.0,
    "chunk_overlap_s": 2.0,
}


@pytest.fixture(scope="session")
def talk_manifest() -> dict[str, Any]:
    return json.loads((DATA / "talk.json").read_text())


def make_settings(home: Path, **overrides: Any) -> Settings:
    return load_settings(home=home, profile="test", **{**SMALL_CHUNKS, **overrides})


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


@pytest.fixture
def talk_copy(tmp_path: Path) -> Path:
    """The talk under another name (ingest must not care about the name)."""
    target = tmp_path / "inbox" / "Team Meeting (final).mp4"
    target.parent.mkdir()
    shutil.copy(TALK, target)
    return target


class OddMedia:
    """The odd-media corpus (tests/corpus.py), each file made on first use in one folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._made: dict[str, Path] = {}

    def __getitem__(self, name: str) -> Path:
        from tests.corpus import MAKERS

        if name not in self._made:
            self._made[name] = MAKERS[name](self.folder)
        return self._made[name]


@pytest.fixture(scope="session")
def odd_media(tmp_path_factory: pytest.TempPathFactory) -> OddMedia:
    return OddMedia(tmp_path_factory.mktemp("odd-media"))
