"""Answers written by a language model on this machine's CPU (``VIDSCOPE_ASK_GENERATOR=local``):
the GGUF model named by ``VIDSCOPE_LLM_LOCAL_MODEL`` (Qwen2.5 0.5B or 1.5B Instruct, or
SmolLM2-135M-Instruct), run by ``gguf_runtime`` and loaded once per process, on first use.
What it writes is kept only where the evidence says it (``model_answers``)."""

from __future__ import annotations

from pathlib import Path

from pipelines.understanding.language_model import LanguageModel
from pipelines.understanding.model_answers import ModelGenerator


def local_generator(
    model: str, *, threads: int = 0, cache: Path | None = None, max_tokens: int = 120
) -> ModelGenerator:
    """A generator for the local model ``model`` (prepared in ``cache``, the model cache); the
    model loads when the first question is asked, unless the server warmed it already
    (``ModelError`` ``model.*`` then, if it is not installed)."""

    def load() -> LanguageModel:
        from pipelines.understanding.gguf_runtime import load_language_model

        return load_language_model(model, threads, cache=cache)

    return ModelGenerator(model, load, max_tokens=max_tokens)
