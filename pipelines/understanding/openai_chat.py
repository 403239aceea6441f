"""Answers written by any OpenAI-compatible chat-completions server (llama.cpp, Ollama, vLLM):
a time limit per request, retries with exponential backoff and jitter for what may pass
(timeouts, refused connections, 429 and 5xx; tenacity), and a circuit breaker (pybreaker)
that opens after repeated failed questions, so a dead server costs nothing while it is open.
Whatever fails, the question is answered by the fallback generator (extractive), and the
answer says that it fell back and why."""

from __future__ import annotations

from collections.abc import Sequence

import httpx
import pybreaker
from tenacity import (
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from pipelines.logs import get_logger
from pipelines.understanding.evidence import Evidence
from pipelines.understanding.generators import (
    Draft,
    Generator,
    OnToken,
    cited_numbers,
    strip_invented,
)
from pipelines.understanding.model_answers import SYSTEM, prompt_for

log = get_logger(__name__)


class ServerFailure(Exception):
    """An answer that may come right on another try: the server is busy or broken."""


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, ServerFailure | httpx.TimeoutException | httpx.TransportError)


class OpenAIGenerator:
    name = "openai"

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str | None,
        timeout_s: float,
        retries: int,
        breaker: pybreaker.CircuitBreaker,
        fallback: Generator,
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.http = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout_s)
        self.model = model
        self.retries = retries
        self.breaker = breaker
        self.fallback = fallback

    def generate(
        self, question: str, evidence: Sequence[Evidence], *, on_token: OnToken | None = None
    ) -> Draft:
        messages = [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": prompt_for(question, evidence)},
        ]
        try:
            text = self.breaker.call(self._complete, messages)
        except pybreaker.CircuitBreakerError:
            reason = (
                "the language model server failed repeatedly; it is not asked again for "
                f"{self.breaker.reset_timeout:.0f} s"
            )
            return self._fall_back(question, evidence, reason)
        except (ServerFailure, httpx.HTTPError, KeyError, IndexError, TypeError, ValueError) as exc:
            return self._fall_back(question, evidence, f"the language model server failed ({exc})")
        if on_token is not None:  # the server's reply comes whole
            on_token(text)
        return Draft(
            strip_invented(text, len(evidence)), cited_numbers(text, len(evidence)), self.name
        )

    def _complete(self, messages: list[dict[str, str]]) -> str:
        body = {"model": self.model, "messages": messages, "temperature": 0.1, "max_tokens": 300}
        for attempt in Retrying(
            stop=stop_after_attempt(self.retries + 1),
            wait=wait_exponential_jitter(initial=0.2, max=4.0),
            retry=retry_if_exception(_transient),
            reraise=True,
        ):
            with attempt:
                response = self.http.post("/chat/completions", json=body)
                if response.status_code == 429 or response.status_code >= 500:
                    raise ServerFailure(f"HTTP {response.status_code}")
                response.raise_for_status()
                return str(response.json()["choices"][0]["message"]["content"])
        raise AssertionError("unreachable: tenacity re-raises the last failure")

    def _fall_back(self, question: str, evidence: Sequence[Evidence], reason: str) -> Draft:
        log.warning("answers.fell_back", generator=self.name, reason=reason)
        draft = self.fallback.generate(question, evidence)
        return Draft(draft.text, draft.cited, draft.generator, reason)
