"""One pristine library for the fault suite (the talk, in the local account and in alice's);
each test damages its own copy."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.faults import build_pristine


@pytest.fixture(scope="session")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    home = tmp_path_factory.mktemp("pristine") / "library"
    return home, build_pristine(home)
