"""Questions about the test talk, answered by the real models: the citation of each on-topic
question covers the second where the answer is spoken (tests/data/talk.json), and off-topic
questions are not answered at all. These set VIDSCOPE_ASK_MIN_SIMILARITY's default."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from pipelines.library import Library

# (question, the index in talk.json of the sentence that answers it)
ON_TOPIC = [
    ("how much power do the solar panels produce", 1),
    ("how big is the marketing budget going to be", 3),
    ("when does the new hiring process begin", 5),
    ("what do candidates do before the interview", 6),
    ("how much of our electricity does the roof cover in summer", 2),
]
OFF_TOPIC = [
    "what is the capital of Peru",
    "how do I bake sourdough bread",
    "who won the football world cup",
    "what is the boiling point of water",
    "recommend a good science fiction novel",
    "what time does the meeting end",
]


@pytest.mark.parametrize(("question", "sentence"), ON_TOPIC)
def test_an_answer_cites_the_second_where_it_is_said(
    talk_library: Library, talk_manifest: dict[str, Any], question: str, sentence: int
) -> None:
    answer = talk_library.local.ask(question)
    assert not answer.abstained and answer.citations, answer
    truth = talk_manifest["sentences"][sentence]
    cited = [(c.start, c.end) for c in answer.citations]
    # One of the citations overlaps the true sentence by most of it (word timings differ
    # from espeak's by a fraction of a second).
    assert any(min(end, truth["end"]) - max(start, truth["start"]) > 1.0 for start, end in cited), (
        cited,
        truth,
    )
    assert all(f"[{c.number}]" in answer.answer for c in answer.citations)


@pytest.mark.parametrize("question", OFF_TOPIC)
def test_an_off_topic_question_is_not_answered(talk_library: Library, question: str) -> None:
    answer = talk_library.local.ask(question)
    assert answer.abstained and answer.citations == []
    assert "Nothing in your library answers this" in answer.answer


def test_a_question_about_one_video_names_it(talk_library: Library) -> None:
    [video] = talk_library.local.list_videos()
    answer = talk_library.local.ask("how big is the marketing budget", video_id=video.id)
    assert {c.video_id for c in answer.citations} == {video.id}


CLOCK = re.compile(r"\d{1,2}:\d{2}")


@pytest.mark.slow
def test_the_local_model_answers_grounded_in_real_evidence(
    talk_library: Library, talk_manifest: dict[str, Any]
) -> None:
    """Qwen2.5-0.5B-Instruct (GGUF, llama.cpp) on this CPU, streaming: whatever it writes, the
    answer holds only sentences its citations support, no time the model wrote, and cites
    retrieved sentences only — or it is the extractive answer, saying why."""
    from pipelines.understanding.answers import compose_answer
    from pipelines.understanding.evidence import gather_evidence
    from pipelines.understanding.grounding import embedder, supported
    from pipelines.understanding.local_model import local_generator

    owner = talk_library.local
    settings = talk_library.settings
    question = "how big is the marketing budget going to be"
    hits = owner.search(question, k=8)
    passages = owner._catalog.passages(h.chunk_id for h in hits)
    evidence = gather_evidence(
        talk_library.embed_query(question),
        [passages[h.chunk_id] for h in hits if h.chunk_id in passages],
        min_similarity=0.4,
        limit=6,
        question_text=question,
    )
    embed = embedder(settings.embedding.model)
    model = local_generator("qwen2.5-0.5b", threads=2, cache=settings.model_cache, max_tokens=48)
    pieces: list[str] = []
    answer = compose_answer(question, evidence, model, embed=embed, on_token=pieces.append)
    assert not answer.abstained and answer.citations
    assert "".join(pieces) == answer.answer  # what streamed is what the answer says
    assert not CLOCK.search(answer.answer), answer.answer
    spans = {(e.start, e.end) for e in evidence}
    assert all((c.start, c.end) in spans for c in answer.citations)  # nothing invented
    budget = talk_manifest["sentences"][3]
    assert any(c.start < budget["end"] and c.end > budget["start"] for c in answer.citations)
    if answer.generator == "extractive":
        assert answer.fell_back and "supported" in answer.fell_back
        return
    assert answer.generator == "qwen2.5-0.5b"
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", answer.answer) if s]
    plain = [re.sub(r"\s*\[\d+\]", "", s) for s in sentences]
    cited = [
        [answer.citations[int(n) - 1].text for n in re.findall(r"\[(\d+)\]", s)] for s in sentences
    ]
    assert all(supported(plain, cited, embed)), answer.answer


@pytest.mark.slow
def test_a_correct_model_answer_is_kept() -> None:
    """The answer the old word-overlap filter threw away ("The eruption occurred in April
    1815."): the real model's answer from the same evidence is kept, cited, with no time."""
    from pipelines.config import get_settings
    from pipelines.understanding.answers import compose_answer
    from pipelines.understanding.evidence import Evidence
    from pipelines.understanding.grounding import embedder
    from pipelines.understanding.local_model import local_generator

    evidence = [
        Evidence(
            "v",
            "Volcanoes",
            61.0,
            66.5,
            "Mount Tambora erupted in April 1815, the largest eruption in recorded history.",
            0.71,
        ),
        Evidence("v", "Volcanoes", 67.0, 71.0, "Its ash cooled the planet the next year.", 0.45),
    ]
    settings = get_settings()
    model = local_generator("qwen2.5-0.5b", threads=2, cache=settings.model_cache, max_tokens=48)
    answer = compose_answer(
        "When did Tambora erupt?", evidence, model, embed=embedder(settings.embedding.model)
    )
    assert answer.generator == "qwen2.5-0.5b" and answer.fell_back is None, answer
    assert "1815" in answer.answer and "[1]" in answer.answer
    assert answer.citations[0].start == 61.0 and not CLOCK.search(answer.answer)


def test_a_repeated_question_comes_from_the_cache_until_the_library_changes(
    library: Library,
) -> None:
    from tests.support.library import SILENT, TALK

    mine = library.local
    [first] = list(mine.ingest([TALK]))
    question = "how big is the marketing budget going to be"
    answer = mine.ask(question)
    assert (library.answer_cache.hits, library.answer_cache.misses) == (0, 1)
    again = mine.ask("  How big is the MARKETING budget going to be ")
    assert library.answer_cache.hits == 1
    assert again.question == "How big is the MARKETING budget going to be"  # as it was asked
    assert again.model_copy(update={"question": question}) == answer
    list(mine.ingest([SILENT]))  # no speech: the passages, so the answers, are the same
    mine.ask(question)
    assert library.answer_cache.hits == 2
    mine.delete(first.video_id)  # the library changed: the old answer is not served
    assert mine.ask(question).abstained
    assert library.answer_cache.misses == 2


def test_answers_cached_in_redis_and_a_lost_redis_is_only_a_miss(tmp_path: Path) -> None:
    from pipelines.understanding.cache import RedisCache
    from tests.support.redis import running_redis

    with running_redis(tmp_path) as url:
        cache = RedisCache(url, ttl_s=60)
        cache.put("vidscope:answer:alice:1-1-1:q", '{"answer": "ten percent"}')
        assert cache.get("vidscope:answer:alice:1-1-1:q") == '{"answer": "ten percent"}'
        import redis

        assert 0 < redis.Redis.from_url(url).ttl("vidscope:answer:alice:1-1-1:q") <= 60
    assert cache.get("vidscope:answer:alice:1-1-1:q") is None  # Redis is gone: a miss
    cache.put("k", "v")  # and storing fails quietly
    assert (cache.hits, cache.misses) == (1, 1)
