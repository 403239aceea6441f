"""Streamed answers in process, on the test talk: an extractive answer's text comes in one
piece, then the same answer ``ask`` gives; a refused question raises before any event; the web Ask
tab's handler ends with the cited answer. (The model's pieces, streamed by a real server with
SmolLM2, are in tests/api/test_answer_stream.py.)"""

from __future__ import annotations

import pytest

from app.web.asking import WRITING, answer_as_written
from pipelines.errors import VidscopeError
from pipelines.library import Library
from pipelines.services.answer_stream import AnswerDone, AnswerToken, stream_answer
from pipelines.storage.catalog import LOCAL_OWNER

QUESTION = "how much power do the solar panels make"


def test_an_extractive_answer_streams_whole_then_the_same_answer_as_ask(
    talk_library: Library,
) -> None:
    owner = talk_library.for_owner(LOCAL_OWNER)
    events = list(stream_answer(owner, QUESTION))
    assert isinstance(events[-1], AnswerDone)
    assert all(isinstance(e, AnswerToken) for e in events[:-1])
    streamed = events[-1].answer
    assert "".join(e.text for e in events[:-1] if isinstance(e, AnswerToken)) == streamed.answer
    asked = owner.ask(QUESTION)
    assert streamed.answer == asked.answer and streamed.citations == asked.citations
    assert streamed.citations and not streamed.abstained


def test_a_refused_question_raises_before_any_event(talk_library: Library) -> None:
    owner = talk_library.for_owner(LOCAL_OWNER)
    events = stream_answer(owner, QUESTION, video_id="0123456789abcdef")
    with pytest.raises(VidscopeError) as caught:
        next(events)
    assert caught.value.code.endswith("not_found")
    with pytest.raises(VidscopeError) as caught:
        next(stream_answer(owner, "   "))
    assert caught.value.code.startswith("query.")


def test_the_ask_tab_ends_with_the_cited_answer(talk_library: Library) -> None:
    owner = talk_library.for_owner(LOCAL_OWNER)
    pages = list(answer_as_written(owner, QUESTION))
    answer = owner.ask(QUESTION)
    assert WRITING not in pages[-1]
    assert 'class="vs-answer"' in pages[-1] and 'class="vs-card"' in pages[-1]
    assert f'data-video="{answer.citations[0].video_id}"' in pages[-1]
