"""Questions about what one person said ("what did Dana say about the budget?"). The person
is whose sentences may answer, not words the answer must hold: nobody says their own name
before each sentence, so with "Dana" left in, the evidence rules (a name the question gives
must be in the evidence) abstained on every such question. The name becomes the speaker
filter, and the question is asked without it ("what about the budget?")."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# What a question asks a person to have said.
_SAYING = (
    r"(?:say|said|says|mention|mentioned|think|thought|propose|proposed|suggest|suggested|"
    r"tell us|told us|talk|talked|speak|spoke|ask|asked|announce|announced|report|reported|"
    r"explain|explained|want|wanted|promise|promised|decide|decided|plan|planned)"
)
_AUXILIARY = r"(?:did|does|do|has|had|will|would|can|could)"
_LABEL = re.compile(r"\bspeaker\s+\d{1,2}\b", re.IGNORECASE)


def _asks_about(question: str, name: str) -> bool:
    who = re.escape(name)
    return bool(
        re.search(rf"\b{_AUXILIARY}\s+{who}\s+{_SAYING}\b", question, re.IGNORECASE)
        or re.search(rf"\b{who}(?:'s)?\s+(?:\w+\s+)?{_SAYING}\b", question, re.IGNORECASE)
        or re.search(rf"\baccording to\s+{who}\b", question, re.IGNORECASE)
    )


def speaker_in_question(question: str, names: Iterable[str]) -> str | None:
    """The speaker a question asks about by name ("what did Dana say…", "according to
    Speaker 2…"), among ``names`` (the owner's speakers' names) and speaker labels; None
    when it asks about no one's words. Read as Unicode NFKC, as names are stored: a
    full-width "Ｄａｎａ" asks about Dana."""
    question = unicodedata.normalize("NFKC", question)
    candidates = sorted({*names, *(m.group() for m in _LABEL.finditer(question))}, key=len)
    for name in reversed(candidates):  # the longest first: "Dana Scully" before "Dana"
        if _asks_about(question, name):
            return name
    return None


def without_speaker(question: str, speaker: str) -> str:
    """The question with the speaker taken out: "What did Dana say about the budget?" ->
    "What about the budget?"; unchanged when nothing would be left (NFKC, as above)."""
    question = unicodedata.normalize("NFKC", question)
    who = re.escape(speaker.strip())

    def tidy(text: str) -> str:
        text = re.sub(rf"\baccording to\s+{who}\b,?", "", text, flags=re.IGNORECASE)
        text = re.sub(rf"\b{who}(?:'s)?\b", "", text, flags=re.IGNORECASE)
        return " ".join(text.split()).replace(" ?", "?")

    asked = tidy(
        re.sub(
            rf"\b(what|how|when|why|where|which|who)\s+{_AUXILIARY}\s+{who}\s+{_SAYING}\b",
            r"\1",
            question,
            flags=re.IGNORECASE,
        )
    )
    if len(re.findall(r"[A-Za-z]+", asked)) < 2:  # "What did Dana propose?" -> "What?"
        asked = tidy(question)  # "What did propose?": the verb still says what is asked
    return asked if len(re.findall(r"[A-Za-z]+", asked)) >= 2 else question
