"""Answers from evidence: the extractive composition, citations kept only when they name real
evidence, abstention, and the OpenAI-compatible generator's timeouts, retries and circuit
breaker against a real HTTP server on loopback."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pybreaker
import pytest

from pipelines.understanding.answers import ABSTAINED, compose_answer, minutes
from pipelines.understanding.evidence import Evidence
from pipelines.understanding.generators import Draft, ExtractiveGenerator, cited_numbers
from pipelines.understanding.openai_chat import OpenAIGenerator
from tests.support.llm_server import ChatServer, Reply

EVIDENCE = [
    Evidence("v1", "Planning", 15.1, 19.4, "The marketing budget will grow by ten percent", 0.72),
    Evidence("v1", "Planning", 4.0, 9.0, "The solar panels produce forty kilowatts.", 0.51),
    Evidence("v2", "All hands", 61.2, 64.0, "Budgets are set in March.", 0.45),
]


def test_the_extractive_answer_is_the_sentences_in_spoken_order_each_cited() -> None:
    answer = compose_answer("budget?", EVIDENCE, ExtractiveGenerator(max_sentences=3))
    assert answer.answer == (
        "Budgets are set in March. [1] The solar panels produce forty kilowatts. [2] "
        "The marketing budget will grow by ten percent. [3]"
    )
    assert [(c.number, c.video_id, c.start) for c in answer.citations] == [
        (1, "v2", 61.2),
        (2, "v1", 4.0),
        (3, "v1", 15.1),
    ]
    assert answer.citations[0].label == "All hands @ 1:01–1:04"
    assert not answer.abstained and answer.generator == "extractive"


def test_no_evidence_abstains_and_cites_nothing() -> None:
    answer = compose_answer("what is the capital of Peru?", [], ExtractiveGenerator())
    assert answer.abstained and answer.citations == () and answer.answer == ABSTAINED


class Scripted:
    name = "scripted"

    def __init__(self, text: str) -> None:
        self.text = text

    def generate(self, question: str, evidence: object) -> Draft:
        return Draft(self.text, cited_numbers(self.text, 3), self.name)


def test_an_invented_citation_is_dropped_and_the_rest_renumbered() -> None:
    answer = compose_answer(
        "q", EVIDENCE, Scripted("It grows by ten percent [3], set in March [9] [1].")
    )
    assert answer.answer == "It grows by ten percent [1], set in March [2]."
    assert [(c.number, c.video_id, c.start) for c in answer.citations] == [
        (1, "v2", 61.2),
        (2, "v1", 15.1),
    ]


def test_a_draft_that_cites_nothing_real_is_replaced_by_the_extractive_answer() -> None:
    answer = compose_answer("q", EVIDENCE, Scripted("Ten percent, as said at 12:00 [7]."))
    assert answer.generator == "extractive" and answer.citations
    assert answer.fell_back == "the scripted answer cited none of the passages"


def test_minutes_are_a_players_clock() -> None:
    assert [minutes(s) for s in (0.0, 59.99, 61.2, 3599.0, 3661.5)] == [
        "0:00",
        "0:59",
        "1:01",
        "59:59",
        "1:01:01",
    ]


@pytest.fixture
def chat() -> Iterator[ChatServer]:
    server = ChatServer(then=Reply(content="It will grow by ten percent [1]."))
    yield server
    server.close()


def generator(
    chat: ChatServer, *, timeout_s: float = 2.0, retries: int = 2, fail_max: int = 2
) -> OpenAIGenerator:
    return OpenAIGenerator(
        base_url=chat.url,
        model="tiny",
        api_key="sk-test",
        timeout_s=timeout_s,
        retries=retries,
        breaker=pybreaker.CircuitBreaker(fail_max=fail_max, reset_timeout=0.6),
        fallback=ExtractiveGenerator(),
    )


def test_the_model_answers_with_the_evidence_numbered_in_the_prompt(chat: ChatServer) -> None:
    chat.then = Reply(content="It will grow by ten percent [1], not [5].")
    answer = compose_answer("how big is the budget?", EVIDENCE, generator(chat))
    assert answer.generator == "openai" and answer.fell_back is None
    assert answer.answer == "It will grow by ten percent [1], not."
    assert [c.start for c in answer.citations] == [15.1]
    [request] = chat.requests
    assert request["path"] == "/v1/chat/completions" and request["body"]["model"] == "tiny"
    prompt = request["body"]["messages"][1]["content"]
    assert "[1] (Planning, 00:00:15–00:00:19) The marketing budget" in prompt
    assert prompt.endswith("Question: how big is the budget?")


def test_a_burst_of_server_errors_is_retried(chat: ChatServer) -> None:
    chat.script.extend([Reply(status=503), Reply(status=500)])
    answer = compose_answer("q", EVIDENCE, generator(chat, retries=2))
    assert answer.generator == "openai" and len(chat.requests) == 3


def test_a_server_slower_than_the_timeout_falls_back_to_extractive(chat: ChatServer) -> None:
    chat.then = Reply(content="too late [1]", delay_s=1.5)
    answer = compose_answer("q", EVIDENCE, generator(chat, timeout_s=0.3, retries=1))
    # The reply would have come (and been used) had the client waited: it timed out, twice.
    assert answer.generator == "extractive" and answer.citations
    assert answer.fell_back is not None and "failed" in answer.fell_back
    assert len(chat.requests) == 2


def test_the_breaker_opens_then_half_opens_and_closes(chat: ChatServer) -> None:
    llm = generator(chat, retries=0, fail_max=2)
    chat.then = Reply(status=500)
    for _ in range(2):  # two failed questions open the breaker
        assert compose_answer("q", EVIDENCE, llm).generator == "extractive"
    assert llm.breaker.current_state == "open" and len(chat.requests) == 2
    answer = compose_answer("q", EVIDENCE, llm)  # open: the server is not asked at all
    assert len(chat.requests) == 2
    assert answer.fell_back is not None and "not asked again" in answer.fell_back
    chat.then = Reply(content="It will grow by ten percent [1].")
    time.sleep(0.7)  # past reset_timeout: the next question is the half-open trial
    assert compose_answer("q", EVIDENCE, llm).generator == "openai"
    assert llm.breaker.current_state == "closed" and len(chat.requests) == 3


def test_a_local_models_sentences_are_cited_to_the_evidence_they_repeat() -> None:
    from pipelines.understanding.local_model import attribute

    written = (
        "The marketing budget will grow by ten percent next year. "
        "It will be spent wisely on many things [3].\n\nThe solar panels produce forty "
        "kilowatts [1]. The marketing budget will grow by ten percent next year."
    )
    # Unbacked sentences go (even one with a marker), a wrong marker is corrected, and a
    # repeated sentence is said once.
    assert attribute(written, EVIDENCE) == (
        "The marketing budget will grow by ten percent next year. [1] "
        "The solar panels produce forty kilowatts. [2]"
    )


def test_the_memory_cache_keeps_the_newest_and_counts() -> None:
    from pipelines.understanding.cache import MemoryCache, cache_key

    cache = MemoryCache(entries=2)
    keys = [cache_key("answer", "alice", "3-9-21", "q", n) for n in range(3)]
    for n, key in enumerate(keys):
        cache.put(key, f"answer {n}")
    assert cache.get(keys[0]) is None  # the oldest went
    assert [cache.get(k) for k in keys[1:]] == ["answer 1", "answer 2"]
    assert (cache.hits, cache.misses) == (2, 1)
    # The library's state is part of the key: a changed library never meets an old answer.
    assert cache_key("answer", "alice", "4-10-31", "q", 1) != keys[1]
    assert cache_key("answer", "bob", "3-9-21", "q", 1) != keys[1]
