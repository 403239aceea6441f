from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import srt
from typer.testing import CliRunner

from app.cli import app
from tests.support.library import SILENT, TALK

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "library"
    monkeypatch.setenv("VIDSCOPE_HOME", str(home))
    monkeypatch.setenv("VIDSCOPE_LOG_FORMAT", "json")
    return home


def vidscope(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_ingest_reports_each_file_and_exits_nonzero_on_any_failure(
    home: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "page.mp4"
    bad.write_text("<html></html>")
    code, _, err = vidscope("ingest", str(TALK), str(bad), str(SILENT))
    assert code == 1
    assert "media.unsupported" in err and "1 of 3 file(s) failed" in err
    code, out, _ = vidscope("list", "--json")
    listed = json.loads(out)
    assert code == 0 and {v["title"] for v in listed} == {"talk", "silent"}
    from pipelines.public import VideoPublic

    assert set(listed[0]) == set(VideoPublic.model_fields)  # the API's schema
    code, _, err = vidscope("ingest", str(TALK))
    assert code == 0 and "already indexed" in err


def test_search_json_prints_only_json(home: Path) -> None:
    vidscope("ingest", str(TALK))
    code, out, _ = vidscope("search", "solar panels on the roof", "--k", "2", "--json")
    assert code == 0
    hits = json.loads(out)  # stdout is nothing but the JSON array
    assert 1 <= len(hits) <= 2
    assert {"video_id", "title", "start", "end", "text", "score", "source"} <= set(hits[0])
    assert hits[0]["source"] == "speech"
    code, out, _ = vidscope("search", "solar panels")
    assert code == 0 and "solar" in out.lower() and out.lstrip().startswith("1.")


def test_transcript_clip_delete_reindex(home: Path, tmp_path: Path) -> None:
    vidscope("ingest", str(TALK))
    [video] = json.loads(vidscope("list", "--json")[1])
    code, out, _ = vidscope("transcript", video["id"], "--format", "srt")
    assert code == 0 and list(srt.parse(out))
    clip = tmp_path / "clips" / "cut.mp4"
    code, out, _ = vidscope("clip", video["id"], "--start", "4", "--end", "9", "-o", str(clip))
    assert code == 0 and clip.stat().st_size > 0 and out.strip() == str(clip)
    code, _, err = vidscope("clip", "--query", "hiring in March", "-o", str(tmp_path / "q.mp4"))
    assert code == 0 and "best hit" in err
    code, _, err = vidscope("reindex")
    assert code == 0 and "reindexed" in err
    code, _, _ = vidscope("delete", video["id"])
    assert code == 0 and json.loads(vidscope("list", "--json")[1]) == []
    assert list((home / "media").iterdir()) == []


@pytest.mark.parametrize(
    ("args", "code_text"),
    [
        (("transcript", "nope"), "video.not_found"),
        (("search", " "), "query.empty"),
        (("clip", "nope", "--start", "0", "--end", "1", "-o", "x.mp4"), "video.not_found"),
        (("delete", "nope"), "video.not_found"),
    ],
)
def test_errors_print_code_and_exit_1(home: Path, args: tuple[str, ...], code_text: str) -> None:
    code, _, err = vidscope(*args)
    assert code == 1 and code_text in err


def test_bad_setting_is_named(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIDSCOPE_SEARCH_K", "0")
    code, _, err = vidscope("list")
    assert code == 1 and "VIDSCOPE_SEARCH_K" in err


def test_folder_without_media(home: Path, tmp_path: Path) -> None:
    empty = tmp_path / "nothing"
    empty.mkdir()
    shutil.copy(TALK, empty / "talk.txt")  # media content, but not listed by extension
    code, _, err = vidscope("ingest", str(empty))
    assert code == 1 and "no video or audio files" in err


def test_logs_are_json_lines_with_one_run_id(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIDSCOPE_LOG_LEVEL", "INFO")
    monkeypatch.delenv("VIDSCOPE_LOG_FORMAT")  # auto: stderr is not a terminal here -> JSON
    code, _, err = vidscope("ingest", str(SILENT))
    records = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert code == 0 and records
    assert {r["event"] for r in records} >= {"ingest.indexed"}
    assert len({r["run_id"] for r in records}) == 1
    assert all({"level", "timestamp"} <= set(r) for r in records)
