"""A library on a read-only mount opens read-only: list, search, transcripts and exports work;
what writes says `library.read_only` (the server, which writes sessions and jobs, does not
start); the library is exactly as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.faults import copy_library, library_state, read_only_view, run_cli
from tests.support.library import TALK
from tests.support.server import free_port


@pytest.mark.slow
def test_a_read_only_library_reads_and_refuses_writes(
    pristine: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    home = copy_library(pristine[0], tmp_path / "library")
    video_id = pristine[1]["local"]
    before = library_state(home)
    with read_only_view(home, tmp_path / "mounted") as mounted:
        listed = run_cli(mounted, "list")
        assert listed.code == 0 and video_id in listed.out, listed.err
        found = run_cli(mounted, "search", "solar panels")
        assert found.code == 0 and "solar" in found.out.lower(), found.err
        transcript = run_cli(mounted, "transcript", video_id, "--format", "srt")
        assert transcript.code == 0 and "-->" in transcript.out
        clip = run_cli(mounted, "clip", video_id, "--start", "1", "--end", "3",
                       "-o", str(tmp_path / "clip.mp4"))  # fmt: skip
        assert clip.code == 0 and (tmp_path / "clip.mp4").stat().st_size > 0, clip.err
        assert run_cli(mounted, "doctor").code == 1  # it says the folder cannot be written

        for command in (["ingest", str(TALK), "--force"], ["delete", video_id], ["reindex"]):
            refused = run_cli(mounted, *command)
            assert refused.code == 1, (command, refused.out)
            assert "[library.read_only]" in refused.err, (command, refused.err)
            assert "Traceback" not in refused.err
        served = run_cli(mounted, "serve", "--port", str(free_port()))  # it writes: refused
        assert served.code == 1 and "[library.read_only]" in served.err, served.err
    assert library_state(home) == before
