"""The answer's verifier with a real local model (Qwen2.5 0.5B, installed by make setup; the
1.5B that the eval chose is one install away): a reply counts only when it is drawn from the
sentence, evidence at the floor is not asked about, and a sentence under the floor answers
when the model draws the answer from it."""

from __future__ import annotations

import pytest

from pipelines.understanding.evidence import Evidence
from pipelines.understanding.gguf_runtime import load_language_model
from pipelines.understanding.language_model import LanguageModel
from pipelines.understanding.verify import answer_span, verified
from tests.support.library import make_settings

pytestmark = pytest.mark.slow

PLANET = "Which planet is closest to the sun?"
ORBITS = "The final choice will be made after the first orbits."
COUNTRY = "Which country was the imaging instrument made in?"
SWITZERLAND = "It was built by a university team in Switzerland."


def sentence(text: str, similarity: float) -> Evidence:
    return Evidence("v" * 16, "Space probe", 10.0, 14.0, text, similarity)


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> LanguageModel:
    # The model cache make setup prepared (a copy would join 491 MB again).
    settings = make_settings(tmp_path_factory.mktemp("library"))
    return load_language_model("qwen2.5-0.5b", 2, cache=settings.model_cache)


def test_an_answer_from_the_models_own_knowledge_is_not_one_from_the_sentence(
    model: LanguageModel,
) -> None:
    # The 0.5B model names a planet here although the sentence names none.
    assert answer_span(model, PLANET, ORBITS) is None
    found = answer_span(model, COUNTRY, SWITZERLAND)
    assert found is not None and "Switzerland" in found


def test_evidence_at_the_floor_is_not_asked_about(model: LanguageModel) -> None:
    # Asking about it too turned away right answers on the talk eval (verify's docstring).
    found = [sentence(ORBITS, 0.45)]
    assert verified(model, PLANET, found, [sentence(SWITZERLAND, 0.3)]) == found


def test_a_sentence_under_the_floor_answers_when_the_model_draws_the_answer_from_it(
    model: LanguageModel,
) -> None:
    candidates = [sentence(ORBITS, 0.34), sentence(SWITZERLAND, 0.25)]
    assert verified(model, COUNTRY, [], candidates) == [candidates[1]]
    assert verified(model, PLANET, [], [sentence(ORBITS, 0.34)]) == []
