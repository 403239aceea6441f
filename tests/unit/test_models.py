from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.errors import ModelError
from pipelines.retrieval.embed import resolve_embed_model
from pipelines.speech.transcribe import resolve_whisper_model


def test_bundled_models_resolve_to_folders_on_disk() -> None:
    assert (Path(resolve_whisper_model("tiny.en")) / "model.bin").is_file()
    assert (Path(resolve_embed_model("all-MiniLM-L6-v2")) / "config.json").is_file()


def test_local_folder_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"weights")
    assert resolve_whisper_model(str(tmp_path)) == str(tmp_path)


@pytest.mark.parametrize("resolve", [resolve_whisper_model, resolve_embed_model])
def test_unknown_model_is_a_clear_error_not_a_download(resolve: object, tmp_path: Path) -> None:
    with pytest.raises(ModelError) as caught:
        resolve("openai/whisper-large-v3")  # type: ignore[operator]
    assert caught.value.code == "model.missing"
    assert "VIDSCOPE_" in caught.value.message
