"""The embedder runs the sentence-transformers folder with transformers directly; it must give
the vectors sentence-transformers gives (the library's vectors and queries depend on it)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipelines.retrieval.embed import embed_texts, resolve_embed_model

TEXTS = [
    "The solar panels on the warehouse roof now produce forty kilowatts of power.",
    "budget",
    "Candidates will complete a short coding exercise before the interview. " * 30,  # > 256
    "",
]


def test_same_vectors_as_sentence_transformers() -> None:
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(resolve_embed_model("all-MiniLM-L6-v2"), device="cpu").encode(
        TEXTS, normalize_embeddings=True, convert_to_numpy=True
    )
    ours = embed_texts(TEXTS, model="all-MiniLM-L6-v2", batch_size=2)
    assert ours.shape == (4, 384) and ours.dtype == np.float32
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert np.min(np.sum(ours * reference, axis=1)) > 0.9999


def test_without_a_writable_cache_the_model_runs_with_torch(tmp_path: Path) -> None:
    from pipelines.retrieval.embed import TorchEncoder, _load

    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    encoder = _load(resolve_embed_model("all-MiniLM-L6-v2"), 0, blocked)
    assert isinstance(encoder, TorchEncoder)
    vectors = encoder.encode(TEXTS[:2], 2)
    expected = embed_texts(TEXTS[:2], model="all-MiniLM-L6-v2")
    assert np.min(np.sum(vectors * expected, axis=1)) > 0.9999
