"""What every model-written text (answers, chapter titles, summaries, key points) asks of a
language model: chat messages in, text out, whole or token by token. The GGUF models run on
this machine's CPU (``gguf_runtime``) and any OpenAI-compatible server both have it, so the
writers above never know which one answers. A model is loaded once per process and shared;
one completion runs at a time (the CPU is the limit, not the number of callers)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


class LanguageModel(Protocol):
    """``name`` is what answers and summaries say wrote them (e.g. ``qwen2.5-0.5b``)."""

    name: str

    def complete(
        self, messages: Sequence[Message], *, max_tokens: int, stop: Sequence[str] = ()
    ) -> str:
        """The model's whole reply, greedy (the same messages give the same text)."""
        ...

    def stream(
        self, messages: Sequence[Message], *, max_tokens: int, stop: Sequence[str] = ()
    ) -> Iterator[str]:
        """The same reply as ``complete``, piece by piece as the model writes it."""
        ...
