"""Answers from evidence: the extractive composition, model-written sentences kept only where
the evidence says them (the real MiniLM embedder checks them), citations that name real
evidence, abstention, and the OpenAI-compatible generator's timeouts, retries and circuit
breaker against a real HTTP server on loopback."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pybreaker
import pytest

from pipelines.understanding.answers import ABSTAINED, compose_answer
from pipelines.understanding.evidence import Evidence
from pipelines.understanding.generators import Draft, ExtractiveGenerator, OnToken, cited_numbers
from pipelines.understanding.grounding import embedder
from pipelines.understanding.openai_chat import OpenAIGenerator
from tests.support.llm_server import ChatServer, Reply

EVIDENCE = [
    Evidence("v1", "Planning", 15.1, 19.4, "The marketing budget will grow by ten percent", 0.72),
    Evidence("v1", "Planning", 4.0, 9.0, "The solar panels produce forty kilowatts.", 0.51),
    Evidence("v2", "All hands", 61.2, 64.0, "Budgets are set in March.", 0.45),
]
EMBED = embedder("all-MiniLM-L6-v2")


def test_the_extractive_answer_is_the_best_sentences_best_first_each_cited() -> None:
    answer = compose_answer("budget?", EVIDENCE, ExtractiveGenerator(max_sentences=3))
    assert answer.answer == (
        "The marketing budget will grow by ten percent. [1] The solar panels produce forty "
        "kilowatts. [2] Budgets are set in March. [3]"
    )
    assert [(c.number, c.video_id, c.start) for c in answer.citations] == [
        (1, "v1", 15.1),
        (2, "v1", 4.0),
        (3, "v2", 61.2),
    ]
    assert answer.citations[2].label == "All hands @ 1:01–1:04"
    assert not answer.abstained and answer.generator == "extractive"


@pytest.mark.parametrize(
    ("heard", "shown"),
    [
        ("it has a surprisingly floral taste,", "It has a surprisingly floral taste."),
        ("the frames come from Italy;", "The frames come from Italy."),
        ("so the pile is ready in three months -", "So the pile is ready in three months."),
        ("Is it ready?", "Is it ready?"),
        ("42 frames were lost", "42 frames were lost."),
    ],
)
def test_an_extractive_sentence_reads_as_a_sentence(heard: str, shown: str) -> None:
    # A transcript piece may begin lower case and stop at a comma (a stranger saw "taste,.").
    evidence = [Evidence("v1", "Talk", 1.0, 2.0, heard, 0.8)]
    answer = compose_answer("q?", evidence, ExtractiveGenerator())
    assert answer.answer == f"{shown} [1]"


def test_no_evidence_abstains_and_cites_nothing() -> None:
    answer = compose_answer("what is the capital of Peru?", [], ExtractiveGenerator())
    assert answer.abstained and answer.citations == () and answer.answer == ABSTAINED


class Scripted:
    """A generator that writes what it is given, in pieces as a model would."""

    name = "scripted"

    def __init__(self, text: str) -> None:
        self.text = text

    def generate(
        self, question: str, evidence: object, *, on_token: OnToken | None = None
    ) -> Draft:
        for piece in self.text.split(" "):  # a word at a time, like a model's tokens
            if on_token is not None:
                on_token(piece + " ")
        return Draft(self.text, cited_numbers(self.text, 3), self.name)


def test_a_correct_short_answer_is_kept_and_an_invented_sentence_dropped() -> None:
    answer = compose_answer(
        "how much will the marketing budget grow?",
        EVIDENCE,
        Scripted(
            "Marketing gets ten percent more money next year [9]. "
            "The company will also buy a yacht for the sales team [2]."
        ),
        embed=EMBED,
    )
    # The wrong marker [9] is corrected to the evidence that says it; the yacht is nobody's.
    assert answer.answer == "Marketing gets ten percent more money next year [1]."
    assert [(c.number, c.start) for c in answer.citations] == [(1, 15.1)]
    assert answer.generator == "scripted" and answer.fell_back is None
    assert answer.unsupported == ("The company will also buy a yacht for the sales team.",)


def test_a_changed_number_is_not_supported() -> None:
    answer = compose_answer(
        "q",
        EVIDENCE,
        Scripted("The marketing budget will grow by thirty percent [1]."),
        embed=EMBED,
    )
    assert answer.generator == "extractive" and answer.unsupported


def test_a_time_the_model_writes_never_reaches_the_answer() -> None:
    answer = compose_answer(
        "q",
        EVIDENCE,
        Scripted(
            "At 0:04 the solar panels produce forty kilowatts [2]. "
            "The budget grows by ten percent (00:00:15–00:00:19) [1]."
        ),
        embed=EMBED,
    )
    assert answer.answer == (
        "The solar panels produce forty kilowatts [1]. The budget grows by ten percent [2]."
    )
    assert [c.start for c in answer.citations] == [4.0, 15.1]  # times come from citations


def test_a_time_the_evidence_shows_is_an_answer_and_stays() -> None:
    # A slide's "4:30 am" is the fact asked for, not a position in the video (the talk eval's
    # "what time is the last night bus" could never be answered while it was stripped).
    slide = [Evidence("v1", "Night buses", 40.0, 52.0, "Last departure: 4:30 am", 0.6)]
    answer = compose_answer(
        "When does the last night bus leave?",
        slide,
        Scripted("The last departure is at 4:30 am [1]."),
        embed=EMBED,
    )
    assert answer.answer == "The last departure is at 4:30 am [1].", answer


def test_a_citation_after_the_full_stop_stays_with_its_sentence_letter_by_letter() -> None:
    from pipelines.understanding.model_answers import GroundedWriter

    fed: list[str] = []
    shown_after: list[int] = []
    writer = GroundedWriter(EVIDENCE, EMBED, on_text=lambda piece: shown_after.append(len(fed)))
    text = "The solar panels produce forty kilowatts. [2] Budgets are set in March. [3]"
    for letter in text:  # a model's pieces may end anywhere, inside a marker too
        fed.append(letter)
        writer.feed(letter)
    writer.finish()
    assert writer.text == (
        "The solar panels produce forty kilowatts [1]. Budgets are set in March [2]."
    )
    assert writer.order == [2, 3]
    # The first sentence was taken once its marker was complete, not at the "[".
    assert shown_after[0] > text.index("[2]") + 2


def test_the_prompts_screen_mark_is_not_copied_into_the_answer() -> None:
    answer = compose_answer(
        "q",
        EVIDENCE,
        Scripted("(on screen) The solar panels produce forty kilowatts [2]."),
        embed=EMBED,
    )
    assert answer.answer == "The solar panels produce forty kilowatts [1]."


def test_nothing_supported_falls_back_to_the_extractive_answer_saying_why() -> None:
    pieces: list[str] = []
    answer = compose_answer(
        "q",
        EVIDENCE,
        Scripted("Ten percent, as said at 12:00 [7]. The weather was lovely."),
        embed=EMBED,
        on_token=pieces.append,
    )
    assert answer.generator == "extractive" and answer.citations
    assert answer.fell_back == "no sentence of the scripted answer was supported by the passages"
    assert pieces == [answer.answer]


def test_kept_sentences_stream_as_they_are_complete_and_join_to_the_answer() -> None:
    pieces: list[str] = []
    answer = compose_answer(
        "q",
        EVIDENCE,
        Scripted(
            "The marketing budget will grow by ten percent [1]. A yacht is bought [2]. "
            "The solar panels produce forty kilowatts [2]. The solar panels produce forty "
            "kilowatts [2]."
        ),
        embed=EMBED,
        on_token=pieces.append,
    )
    assert pieces == [
        "The marketing budget will grow by ten percent [1].",
        " The solar panels produce forty kilowatts [2].",
    ]  # the invented sentence and the repeat are not shown
    assert "".join(pieces) == answer.answer


@pytest.fixture
def chat() -> Iterator[ChatServer]:
    server = ChatServer(then=Reply(content="The marketing budget will grow by ten percent [1]."))
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
    chat.then = Reply(content="The marketing budget will grow by ten percent [5] [1].")
    answer = compose_answer("how big is the budget?", EVIDENCE, generator(chat), embed=EMBED)
    assert answer.generator == "openai" and answer.fell_back is None
    assert answer.answer == "The marketing budget will grow by ten percent [1]."
    assert [c.start for c in answer.citations] == [15.1]
    [request] = chat.requests
    assert request["path"] == "/v1/chat/completions" and request["body"]["model"] == "tiny"
    prompt = request["body"]["messages"][1]["content"]
    # Numbered, with no times for the model to copy.
    assert "[1] The marketing budget will grow by ten percent\n" in prompt
    assert "00:" not in prompt and "Planning" not in prompt
    assert prompt.endswith("Question: how big is the budget?")


def test_a_burst_of_server_errors_is_retried(chat: ChatServer) -> None:
    chat.script.extend([Reply(status=503), Reply(status=500)])
    answer = compose_answer("q", EVIDENCE, generator(chat, retries=2), embed=EMBED)
    assert answer.generator == "openai" and len(chat.requests) == 3


def test_a_server_slower_than_the_timeout_falls_back_to_extractive(chat: ChatServer) -> None:
    chat.then = Reply(content="too late [1]", delay_s=1.5)
    answer = compose_answer("q", EVIDENCE, generator(chat, timeout_s=0.3, retries=1), embed=EMBED)
    # The reply would have come (and been used) had the client waited: it timed out, twice.
    assert answer.generator == "extractive" and answer.citations
    assert answer.fell_back is not None and "failed" in answer.fell_back
    assert len(chat.requests) == 2


def test_the_breaker_opens_then_half_opens_and_closes(chat: ChatServer) -> None:
    llm = generator(chat, retries=0, fail_max=2)
    chat.then = Reply(status=500)
    for _ in range(2):  # two failed questions open the breaker
        assert compose_answer("q", EVIDENCE, llm, embed=EMBED).generator == "extractive"
    assert llm.breaker.current_state == "open" and len(chat.requests) == 2
    answer = compose_answer("q", EVIDENCE, llm, embed=EMBED)  # open: the server is not asked at all
    assert len(chat.requests) == 2
    assert answer.fell_back is not None and "not asked again" in answer.fell_back
    chat.then = Reply(content="The marketing budget will grow by ten percent [1].")
    time.sleep(0.7)  # past reset_timeout: the next question is the half-open trial
    assert compose_answer("q", EVIDENCE, llm, embed=EMBED).generator == "openai"
    assert llm.breaker.current_state == "closed" and len(chat.requests) == 3


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
