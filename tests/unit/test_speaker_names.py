"""Speakers are compared one way everywhere: a name as NFKC spells it, any case, so a name
typed on a full-width keyboard is the same name; a sentence is the speaker's by its name or its
label, for search and answers alike (pipelines/retrieval/search.sentences_said_by)."""

from __future__ import annotations

import numpy as np

from pipelines.retrieval.search import sentences_said_by
from pipelines.storage.catalog import PassageSentence
from pipelines.storage.catalog.speakers import plain_name, speaker_key


def said(text: str, speaker: str | None, label: str | None) -> PassageSentence:
    return PassageSentence(0.0, 1.0, text, np.zeros(3, dtype=np.float32), speaker, label)


def test_a_full_width_name_is_the_same_name() -> None:
    assert plain_name("  Ｄａｎａ ") == "Dana"
    assert speaker_key("Ｄａｎａ") == speaker_key("dana") == speaker_key(" DANA ")
    assert speaker_key("Ｓｐｅａｋｅｒ　２") == speaker_key("speaker 2")  # ideographic space too
    assert speaker_key("Dana") != speaker_key("Dan")


def test_search_and_answers_keep_one_speakers_sentences_by_name_or_label() -> None:
    sentences = [
        said("Bees sleep in winter.", "Speaker 1", "Speaker 1"),
        said("Frames are steel.", "Dana", "Speaker 3"),
        said("Lugs are brazed.", "Dana", "Speaker 3"),
        said("Nobody told apart.", None, None),
    ]
    dana = [s.text for s in sentences_said_by(sentences, "Ｄａｎａ")]
    assert dana == ["Frames are steel.", "Lugs are brazed."]
    assert sentences_said_by(sentences, "speaker 3") == sentences_said_by(sentences, "dana")
    assert [s.text for s in sentences_said_by(sentences, "SPEAKER 1")] == ["Bees sleep in winter."]
    assert sentences_said_by(sentences, "Beth") == ()
