"""Languages: the multilingual Whisper base, joined from its two PyPI halves into the model
cache, detects the language in every 30 s and writes a talk that switches from English to
Spanish in both (tests/data/languages.m4a, made by evals/languages.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jiwer
import pytest

from pipelines.config import load_settings
from pipelines.errors import ModelError
from pipelines.library import Library
from pipelines.media.audio import decode_audio
from pipelines.speech.multilingual import whisper_base_dir
from pipelines.speech.transcribe import SAMPLE_RATE, language_runs, load_whisper
from tests.support.library import DATA, make_settings

TALK = DATA / "languages.m4a"


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / "languages.json").read_text())
    return data


@pytest.fixture(scope="module")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("model-cache")


def test_the_halves_are_joined_once_and_a_short_copy_is_made_again(tmp_path: Path) -> None:
    folder = whisper_base_dir(tmp_path)
    model = folder / "model.bin"
    size = model.stat().st_size
    assert size > 140_000_000 and (folder / "tokenizer.json").is_file()
    made = model.stat().st_mtime_ns
    assert whisper_base_dir(tmp_path) == folder and model.stat().st_mtime_ns == made
    with model.open("r+b") as handle:  # a copy cut short (a full disk, a killed process)
        handle.truncate(size // 2)
    assert whisper_base_dir(tmp_path) == folder and model.stat().st_size == size
    assert [p.name for p in tmp_path.iterdir()] == ["whisper-base"]  # no work folder left


def test_a_cache_that_cannot_be_written_names_the_setting(tmp_path: Path) -> None:
    blocked = tmp_path / "cache"
    blocked.write_text("a file where the cache folder should be")  # fails as root too
    with pytest.raises(ModelError) as failure:
        whisper_base_dir(blocked)
    assert failure.value.code == "model.unavailable"
    assert "VIDSCOPE_MODEL_CACHE" in failure.value.message


def test_auto_means_detect() -> None:
    assert load_settings(whisper_language="auto").transcribe.language is None
    assert load_settings(whisper_model="base", whisper_language="es").transcribe.language == "es"


def test_the_language_is_told_per_window(manifest: dict[str, Any], model_cache: Path) -> None:
    audio = decode_audio(TALK, container="mp4").reshape(-1)
    model = load_whisper("base", "int8", 0, 2, model_cache)
    runs = language_runs(model, audio)
    assert [language for _, _, language in runs] == ["en", "es"]
    switch = runs[1][0] / SAMPLE_RATE  # cut in a pause near the window's middle
    assert abs(switch - manifest["switch"]) <= 7.0, (switch, manifest["switch"])


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> Iterator[Library]:
    settings = make_settings(
        tmp_path_factory.mktemp("languages"),
        whisper_model="base",
        whisper_language="auto",
        model_cache=model_cache,
    )
    with Library(settings) as lib:
        [result] = list(lib.local.ingest([TALK]))
        assert result.status == "indexed", result
        yield lib


def test_a_talk_that_switches_language_is_written_in_both(
    library: Library, manifest: dict[str, Any]
) -> None:
    [video] = library.local.public_videos()
    assert set((video.language or "").split(",")) == {"en", "es"}
    segments = library.local.segments(video.id)
    for language in ("en", "es"):
        said = [s for s in manifest["sentences"] if s["language"] == language]
        heard = [
            seg.text
            for seg in segments
            if said[0]["start"] - 1 <= (seg.start + seg.end) / 2 <= said[-1]["end"] + 1
        ]
        error = jiwer.wer(" ".join(s["text"] for s in said).lower(), " ".join(heard).lower())
        assert error < 0.4, (language, error, heard)


def test_a_spanish_query_finds_the_spanish_sentence(
    library: Library, manifest: dict[str, Any]
) -> None:
    truth = next(s for s in manifest["sentences"] if "diciembre" in s["text"])
    hits = library.local.search("furgonetas eléctricas en diciembre", k=3)
    assert hits and abs(hits[0].start - truth["start"]) <= 1.0, hits
