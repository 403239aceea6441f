"""What a person sees of the command line, run as they run it (a real process, piped or on a
pseudo-terminal): failure lines, status words, whole tables, their own umask on exports, the
audit trail of a library used without a server, and readable warnings."""

from __future__ import annotations

import json
import os
import pty
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.library import TALK

LONG_TITLE = "the quarterly planning meeting about solar panels on the warehouse roof"


def run_cli(home: Path, *args: str, umask: int = 0o022) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VIDSCOPE_HOME": str(home), "VIDSCOPE_PROFILE": "test"}
    env.pop("VIDSCOPE_LOG_LEVEL", None)
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=lambda: os.umask(umask),  # the person's shell
    )


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """A library holding the talk under a long title, and what `ingest` printed for it and
    for a page named .mp4."""
    folder = tmp_path_factory.mktemp("cli-terminal")
    talk = folder / f"{LONG_TITLE}.mp4"
    shutil.copy(TALK, talk)
    fake = folder / "fake.mp4"
    fake.write_text("<html>not a video</html>")
    home = folder / "library"
    run = run_cli(home, "ingest", str(fake), str(talk))
    assert run.returncode == 1
    [video] = json.loads(run_cli(home, "list", "--json").stdout)
    return home, video["id"], run.stderr


def test_a_failed_file_names_itself_once_and_its_bar_is_not_full(
    ingested: tuple[Path, str, str],
) -> None:
    _, _, printed = ingested
    assert "fake.mp4: [media.unsupported] not an allowed audio/video container" in printed
    assert "fake.mp4: fake.mp4" not in printed
    [bar] = [line for line in printed.splitlines() if line.startswith("fake.mp4 ·")]
    assert "✗ failed" in bar and "100%" not in bar
    assert "1 of 2 file(s) failed" in printed


def test_statuses_are_words(ingested: tuple[Path, str, str]) -> None:
    home, video_id, _ = ingested
    run = run_cli(home, "ingest", str(TALK))
    assert run.returncode == 0
    assert "talk.mp4 · already indexed" in run.stderr and "already_indexed" not in run.stderr
    assert f"already indexed as {video_id}" in run.stderr


def test_a_piped_list_keeps_whole_titles(ingested: tuple[Path, str, str]) -> None:
    home, video_id, _ = ingested
    listed = run_cli(home, "list").stdout
    [row] = [line for line in listed.splitlines() if video_id in line]
    assert LONG_TITLE in row  # one line, not cut at 80 columns


def test_exports_follow_the_users_umask(ingested: tuple[Path, str, str], tmp_path: Path) -> None:
    home, video_id, _ = ingested
    srt = tmp_path / "new folder" / "talk.srt"
    clip = tmp_path / "talk.mp4"
    assert run_cli(home, "transcript", video_id, "-f", "srt", "-o", str(srt)).returncode == 0
    assert (
        run_cli(home, "clip", video_id, "--start", "1", "--end", "3", "-o", str(clip)).returncode
        == 0
    )
    for made in (srt, clip, srt.parent):
        expected = 0o755 if made.is_dir() else 0o644
        assert stat.S_IMODE(made.stat().st_mode) == expected, made
    private = tmp_path / "private.srt"
    run_cli(home, "transcript", video_id, "-o", str(private), umask=0o077)
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    # The library itself stays private whatever the person's umask.
    assert stat.S_IMODE(home.stat().st_mode) == 0o700


def test_the_help_keeps_each_summary_whole() -> None:
    env = {**os.environ, "COLUMNS": "250"}
    shown = subprocess.run(
        [sys.executable, "-m", "app.cli", "--help"], env=env, capture_output=True, text=True
    ).stdout
    whole = (
        "Add videos to the library: transcribe, tell the speakers apart, read the text they "
        "show, chunk, embed and index them."
    )
    assert whole in shown


def test_a_warning_on_a_terminal_is_a_sentence(ingested: tuple[Path, str, str]) -> None:
    """A library repaired at start (its index removed) says so in words on a terminal, and
    as a JSON record into a pipe."""
    home, _, _ = ingested
    shutil.rmtree(home / "index" / "owners")
    main, child = pty.openpty()
    env = {**os.environ, "VIDSCOPE_HOME": str(home), "VIDSCOPE_PROFILE": "test"}
    env.pop("VIDSCOPE_LOG_LEVEL", None)
    env.pop("VIDSCOPE_LOG_FORMAT", None)
    proc = subprocess.run(
        [sys.executable, "-m", "app.cli", "list", "--json"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=child,
        timeout=120,
    )
    os.close(child)
    shown = b""
    while True:
        try:
            block = os.read(main, 4096)
        except OSError:  # the terminal's far end closed
            break
        if not block:
            break
        shown += block
    os.close(main)
    assert proc.returncode == 0
    assert shown.decode().strip() == "warning: library repaired (indexes rebuilt: 1)"
    shutil.rmtree(home / "index" / "owners")
    piped = run_cli(home, "list", "--json").stderr
    assert json.loads(piped)["indexes_rebuilt"] == 1


def test_what_the_command_line_does_alone_is_audited(ingested: tuple[Path, str, str]) -> None:
    home, video_id, _ = ingested
    assert run_cli(home, "delete", video_id).returncode == 0
    events = json.loads(run_cli(home, "audit", "--json").stdout)
    done = [(e["event"], e["detail"].get("video_id"), e["detail"].get("via")) for e in events]
    assert ("video.deleted", video_id, "cli") in done
    assert ("clip.requested", video_id, "cli") in done
    assert ("video.uploaded", video_id, "cli") in done
    table = run_cli(home, "audit").stdout
    [deleted] = [line for line in table.splitlines() if "video.deleted" in line]
    assert f'"video_id": "{video_id}"' in deleted  # the detail whole, on the event's line
