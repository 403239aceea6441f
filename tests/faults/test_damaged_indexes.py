"""Index files are derived: truncated or overwritten (their size and SHA-256 are recorded when
written), they are detected when read and rebuilt from the catalog — the search answers as
before, never a crash — and the doctor finds what start-up did not."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.faults import copy_library, run_cli


def _overwrite_middle(path: Path) -> None:
    with path.open("r+b") as handle:  # same size; FAISS would load it, as wrong vectors
        handle.seek(path.stat().st_size // 2)
        handle.write(os.urandom(256))


DAMAGES = {
    "vectors overwritten in the middle": ("vectors.faiss", _overwrite_middle),
    "vectors truncated": ("vectors.faiss", lambda p: os.truncate(p, 100)),
    "id digests overwritten": ("ids.json", lambda p: p.write_bytes(os.urandom(64))),
    "words overwritten": ("lexical/data.csc.index.npy", lambda p: p.write_bytes(os.urandom(4096))),
}


@pytest.mark.slow
@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_a_damaged_index_file_is_rebuilt_and_the_search_answers_as_before(
    pristine: tuple[Path, dict[str, str]], tmp_path: Path, damage: str
) -> None:
    home = copy_library(pristine[0], tmp_path / "library")
    expected = run_cli(home, "search", "solar panels", "--json")
    assert expected.code == 0 and pristine[1]["local"] in expected.out
    name, spoil = DAMAGES[damage]
    spoil(home / "index" / "owners" / "local" / name)

    if damage != "id digests overwritten":  # start-up reads only the id digests
        doctor = run_cli(home, "doctor")
        assert doctor.code == 1 and "indexes" in doctor.out, doctor.out
    found = run_cli(home, "search", "solar panels", "--json")
    assert found.code == 0, found.err
    assert found.out == expected.out
    assert run_cli(home, "doctor").code == 0  # rebuilt on disk, not only in memory
