"""`vidscope prepare-model`: a language model joined, checked and kept in the model cache before
anyone asks (``make setup`` runs it for the default model; the server does it at start)."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from app.cli.core import _fail, _plain, _state, app, out
from pipelines.errors import VidscopeError


@app.command("prepare-model")
def prepare_model(
    name: Annotated[
        str | None,
        typer.Argument(
            help="qwen2.5-0.5b, qwen2.5-1.5b, smollm2 or a .gguf path; default: "
            "VIDSCOPE_LLM_LOCAL_MODEL"
        ),
    ] = None,
) -> None:
    """Join a language model's parts into the model cache and check its size, SHA-256 and
    GGUF header (the first time; later it is already there)."""
    from pipelines.models import prepare_language_model

    settings = _state["settings"]
    chosen = name or settings.answers.local_model
    started = time.perf_counter()
    try:
        path = prepare_language_model(chosen, settings.model_cache)
    except VidscopeError as exc:
        _fail(exc)
    out.print(_plain(f"{chosen}: {path} ({time.perf_counter() - started:.1f} s)"), highlight=False)


@app.command("prepare-speakers")
def prepare_speakers() -> None:
    """Compile and cache the speaker clustering used for recordings over 20 minutes (numba,
    about a minute the first time; later it is already cached). ``make setup`` runs it."""
    from pipelines.speech.diarize import clustering_compiled, compile_long_recording_clustering

    if clustering_compiled():
        out.print("speaker clustering: already compiled and cached", highlight=False)
        return
    seconds = compile_long_recording_clustering()
    out.print(f"speaker clustering compiled and cached in {seconds:.1f} s", highlight=False)
