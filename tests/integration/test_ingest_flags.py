"""The ingest command's speaker flags, as a person types them."""

from __future__ import annotations

from pathlib import Path

from tests.support.faults import run_cli
from tests.support.library import TALK


def test_a_count_of_speakers_and_no_speakers_together_is_refused(tmp_path: Path) -> None:
    """``--speakers 2 --no-speakers`` asked for two voices and for none: it ingested with no
    speakers, silently. Now a coded error names both flags, and nothing is ingested."""
    done = run_cli(tmp_path / "lib", "ingest", str(TALK), "--speakers", "2", "--no-speakers")
    assert done.code == 1, (done.out, done.err)
    said = done.out + done.err
    assert "speaker.bad_count" in said and "--no-speakers" in said, said
    listed = run_cli(tmp_path / "lib", "list")
    assert TALK.name not in listed.out + listed.err


def test_a_count_of_speakers_out_of_range_is_a_coded_error(tmp_path: Path) -> None:
    """Typer's own range check answered ``--speakers 0`` with a usage box (exit 2); the CLI's
    failures are one coded line naming the fix."""
    for count in ("0", "21"):
        done = run_cli(tmp_path / "lib", "ingest", str(TALK), "--speakers", count)
        assert done.code == 1, (done.out, done.err)
        assert done.err.startswith("error [speaker.bad_count]"), done.err
        assert f"between 1 and 20, got {count}" in " ".join(done.err.split()), done.err
