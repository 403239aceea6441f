"""What many tests share about the library: the committed fixtures, settings for a test
library, the odd-media corpus, and waiting for a server to answer."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import httpx

from pipelines.config import Settings, load_settings

DATA = Path(__file__).resolve().parents[1] / "data"
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


def make_settings(home: Path, **overrides: Any) -> Settings:
    return load_settings(home=home, profile="test", **{**SMALL_CHUNKS, **overrides})


def seed_embedder(cache: Path) -> None:
    """Copies the embedding model's ONNX export from the model cache the suite uses into
    ``cache``, a new one: a process given it loads the model at once instead of exporting it
    to ONNX again (torch's exporter, tens of seconds on 2 cores). Nothing is copied when there
    is no export to copy (the process then exports, as before)."""
    from pipelines.retrieval.embed import exported_model_dir, resolve_embed_model

    settings = load_settings(profile="test")
    folder = resolve_embed_model(settings.embedding.model)
    made = exported_model_dir(folder, settings.model_cache)
    if (made / "model.onnx").is_file():
        shutil.copytree(made, exported_model_dir(folder, cache))


class OddMedia:
    """The odd-media corpus (tests/support/corpus.py), each file made on first use in one folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._made: dict[str, Path] = {}

    def __getitem__(self, name: str) -> Path:
        from tests.support.corpus import MAKERS

        if name not in self._made:
            self._made[name] = MAKERS[name](self.folder)
        return self._made[name]
