"""The faces the server never runs come in extras of their own (pyproject.toml): ``batch``
(Ray, Parquet shards), ``tracking`` (MLflow), ``dashboard`` (Streamlit) and ``eval``. The server
image installs none of them (README "Container image"), so a path that needs one asks here
first and says which extra to install, rather than failing with an ImportError."""

from __future__ import annotations

import importlib.util

from pipelines.errors import ConfigError

# What each extra is for, and the module whose presence says it is installed.
EXTRAS = {
    "batch": ("batch work on Ray and merging its shards", "ray"),
    "tracking": ("MLflow runs and 'vidscope mlflow-ui'", "mlflow"),
    "dashboard": ("the Streamlit dashboard", "streamlit"),
    "eval": ("'vidscope eval' and the benchmarks", "jiwer"),
}


def require_extra(extra: str, module: str | None = None) -> None:
    """Returns when ``extra`` is installed (its marker module, or ``module`` of it: pyarrow
    for batch shards); raises ConfigError ``extra.missing`` naming the extra otherwise."""
    purpose, marker = EXTRAS[extra]
    module = module or marker
    if importlib.util.find_spec(module) is None:
        raise ConfigError(
            f"{purpose} needs the {extra!r} extra ({module} is not installed here; the server "
            f"image leaves it out): pip install 'vidscope[{extra}]'",
            code="extra.missing",
            extra=extra,
        )
