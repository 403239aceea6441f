"""Chapter titles of 2–7 words drawn from inside the chapter, naming its topic, never a cut
sentence. The evidence, strongest first:

1. a slide title shown in the chapter (the first line of a screen passage that is mostly
   words and shown mostly within this chapter);
2. the topic a speaker announces in the chapter's opening sentences ("now let me turn to the
   budget", "next we talk about hiring");
3. the chapter's key noun phrases: word runs without function words that the chapter says
   more than the others do (term frequency, weighted toward its central sentences, times
   inverse chapter frequency).

A one-word topic is completed from the chapter's key phrases ("Marketing budget",
"Hiring: recruiting budget"). Every title is different from the others."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

MIN_WORDS, MAX_WORDS = 2, 7
SCREEN_LINE_JOIN = " · "  # how a screen passage joins its lines (vision.screen_text)
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
_ANNOUNCES = re.compile(
    r"\b(?:talk(?:ing)? about|turn(?:ing)? (?:now )?to|mov(?:e|ing) on to|on to|come to|"
    r"switch(?:ing)? to|look(?:ing)? at|start(?:ing)? with|begin(?:ning)? with|"
    r"focus(?:ing)? on|speak(?:ing)? about|a word about|update on)\s+(?P<topic>[^,.;:!?]+)",
    re.IGNORECASE,
)
_TOPIC_ENDS = re.compile(r"\s+(?:and then|which|that|because|so|for a|for the|now|today)\b.*$")
_LEADING = re.compile(r"^(?:the|our|a|an|this|these|those|my|your|their|some)\s+", re.IGNORECASE)
STOPWORDS = frozenset(
    """a about above after again against all almost also although always am an and another
    any anyone anything are around as asked at back be became because become been before
    being below best better between both but by came can cannot could did do does doing done
    down during each either else enough even ever every everyone everything expected few
    first for from further get gets getting give given go goes going gone good got great had
    has have having he her here hers herself him himself his how however i if in into is it
    its itself just keep know last latest least less let like likely look looks lot made
    make makes many may maybe me means might more most much must my myself need needs never
    new next no nor not now of off often ok okay on once one only or other others our ours
    ourselves out over own part per perhaps please plan put quite rather really right said
    same say says second see seen several she should since so some something soon still
    such sure take talk tell than thank thanks that the their theirs them themselves then
    there these they thing things think third this those though through thus to today
    together too took toward under until up upon us use used very want wanted was way we
    well went were what whatever when where whether which while who whom whose why will
    with within without would yes yet you your yours yourself agreed again review numbers
    people week weeks month months year years time times start starts starting started moving begins
    produce produces produced grow grows complete completes covers""".split()
)


@dataclass(frozen=True)
class Screen:
    """A screen passage's text and how long it is shown inside the chapter and in all."""

    text: str
    inside_s: float
    shown_s: float


def slide_title(screens: Sequence[Screen], chapter_s: float) -> str | None:
    """The first line of the slide shown longest in the chapter, when it reads as a title
    (mostly letters, at most ``MAX_WORDS`` words) and is shown mostly within this chapter."""
    for screen in sorted(screens, key=lambda s: -s.inside_s):
        if screen.inside_s < min(0.5 * screen.shown_s, 0.3 * chapter_s):
            continue
        line = screen.text.split(SCREEN_LINE_JOIN, 1)[0].strip(" :·-")
        letters = sum(c.isalpha() for c in line)
        if 1 <= len(line.split()) <= MAX_WORDS and letters >= 0.7 * len(line.replace(" ", "")):
            return line
    return None


def announced_topic(opening: Sequence[str]) -> str | None:
    """The topic a speaker names in the chapter's opening sentences, without its article."""
    for sentence in opening:
        found = _ANNOUNCES.search(sentence)
        if found is None:
            continue
        topic = _TOPIC_ENDS.sub("", found.group("topic").strip())
        topic = _LEADING.sub("", topic).strip()
        words = topic.split()
        if words and len(words) <= 5 and any(w.lower() not in STOPWORDS for w in words):
            return topic
    return None


def phrases(text: str) -> list[str]:
    """Candidate key phrases: runs of 1-3 content words (no function word, no figure)."""
    found: list[str] = []
    for clause in re.split(r"[,.;:!?()\"]", text.lower()):
        words = _WORD.findall(clause)
        run: list[str] = []
        for word in [*words, ""]:
            if word and word not in STOPWORDS and len(word) > 2:
                run.append(word.strip("'-"))
                continue
            for size in (1, 2, 3):
                found.extend(" ".join(run[i : i + size]) for i in range(len(run) - size + 1))
            run = []
    return found


def key_phrases(chapters: Sequence[Sequence[tuple[str, float]]]) -> list[list[tuple[str, float]]]:
    """For each chapter (its sentences with a weight each), its phrases best first with their
    scores: weighted term frequency times inverse chapter frequency, longer phrases ahead."""
    counts: list[dict[str, float]] = [{} for _ in chapters]
    for counter, sentences in zip(counts, chapters, strict=True):
        for text, weight in sentences:
            for phrase in phrases(text):
                counter[phrase] = counter.get(phrase, 0.0) + weight
    seen_in = Counter(p for counter in counts for p in counter)
    ranked = []
    for counter in counts:
        scored = [
            (p, tf * math.log((len(chapters) + 1) / seen_in[p]) * (1 + 0.3 * p.count(" ")))
            for p, tf in counter.items()
        ]
        ranked.append(sorted(scored, key=lambda item: (-item[1], item[0])))
    return ranked


def extractive_title(
    *, slide: str | None, announced: str | None, ranked: Sequence[tuple[str, float]]
) -> list[str]:
    """Candidate titles for one chapter, best first (``ranked``: its key phrases)."""
    candidates: list[str] = []
    best_phrase = next((p for p, _ in ranked if " " in p), ranked[0][0] if ranked else None)
    for topic in (slide, announced):
        if topic is None:
            continue
        if len(topic.split()) >= MIN_WORDS:
            candidates.append(topic)
            continue
        # "budget" said as "marketing budget": the fuller phrase; else the topic and the
        # chapter's best other phrase ("Hiring: recruiting budget").
        fuller = next((p for p, _ in ranked[:8] if " " in p and topic.lower() in p), None)
        extra = next((p for p, _ in ranked if topic.lower() not in p), None)
        if fuller is not None:
            candidates.append(fuller)
        elif extra is not None:
            candidates.append(f"{topic}: {extra}")
    for phrase, _ in ranked[:8]:
        if " " in phrase:
            candidates.append(phrase)
    if ranked:
        top = [p for p, _ in ranked[:2]]
        candidates.append(" and ".join(top) if len(top) == 2 else top[0])
    if best_phrase is None and not candidates:
        return []
    return [_titled(c) for c in candidates if MIN_WORDS <= len(c.split()) <= MAX_WORDS]


def _titled(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:]


def distinct_titles(candidates: Sequence[Sequence[str]], fallback: Sequence[str]) -> list[str]:
    """One title per chapter, its best candidate not already taken by an earlier chapter;
    ``fallback`` where none is left (a chapter with no content word at all)."""
    taken: set[str] = set()
    titles = []
    for options, spare in zip(candidates, fallback, strict=True):
        title = next((t for t in options if t.lower() not in taken), spare)
        taken.add(title.lower())
        titles.append(title)
    return titles
