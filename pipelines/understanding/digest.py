"""The extractive summary and key points: whole sentences of the video, chosen so that every
chapter is represented, in time linear in the video's length.

A sentence can be quoted when it reads on its own: it starts with a capital, not with a
conjunction that leans on the sentence before ("And the length of the run…"), and ends
where the speaker ended it (not cut mid-clause by a pause or a long run of speech). Each
chapter is represented by its most central quotable sentence; more sentences, when wanted,
come by maximal marginal relevance with a running maximum of redundancy (O(n·k·d))."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Openers that lean on the sentence before: a sentence starting so is not quoted alone.
_LEANS = re.compile(
    r"^(and|but|or|so|because|which|that|then|also|although|though|while|whereas|"
    r"plus|nor|yet|as well)\b",
    re.IGNORECASE,
)
# Spoken signposts that open a sentence but say nothing of its topic: dropped from a quote.
# An ordinal or "next" is a signpost only when a comma follows ("Next, …" not "Next quarter").
SIGNPOST = re.compile(
    r"^((first of all|first|second|third|finally|lastly|next|then|also|now|to start|in short)"
    r"\s*[,:]|(okay|ok|well|right)\b[,:]?)\s*",
    re.IGNORECASE,
)
# Sentences that frame the talk rather than say something in it.
FRAMING = re.compile(
    r"^((that is all|that's all|thank you|thanks|welcome|any questions|moving on|turning to|"
    r"next up|on to|let me turn|let me move|good (morning|afternoon|evening)|hello|hi)\b|"
    r"((next|now|so|then|first)\s*,?\s*)?(we|i|let me|let's|let us)\s+(will\s+|are going to\s+)?"
    r"(talk|turn|move|look|start|switch|focus|speak|begin)\b)",
    re.IGNORECASE,
)
MIN_WORDS, MAX_WORDS = 5, 45
PHRASE_BONUS = 0.15  # per key phrase said: about what one more like-minded neighbour adds
# Per unit of mean word probability: on the eval talks a misheard sentence ("Launchy maul cock
# to hoe around kitchen") scores 0.47, a well heard one 0.8-0.95.
CONFIDENCE_WEIGHT = 1.0


@dataclass(frozen=True)
class Sentence:
    """A whole sentence of the transcript: its text and where it is said."""

    start: float
    end: float
    text: str
    whole: bool  # ends where the speaker ended it
    confidence: float = 1.0  # the recogniser's mean word probability (1 when unknown)


# A turn from one topic to the next, wherever it falls in a sentence (speech recognition
# often joins "That is all on the tram line, now let me turn to bicycle lanes" into one).
_TURNS = re.compile(
    r"\b(let me turn to|let's turn to|let us turn to|turn(ing)? now to|mov(e|ing) on to|"
    r"our (first|second|third|next|last|final) (topic|point|item)|next we (talk|look)|"
    r"that is all (for|on|about)|that's all (for|on|about))\b|,\s*(finally|next|lastly)\s*,",
    re.IGNORECASE,
)


# A short sentence that only names a topic: "That's all on the homework policy." (which
# speech recognition may hear as "Many more on the homework policy.").
_CLOSER = re.compile(r"^(\S+\s+){1,3}(on|for|about)\s+(the\s+)?[\w'-]+(\s+[\w'-]+){0,2}\.$")


# A greeting frames the talk too, but does not turn to its first topic.
_GREETING = re.compile(
    r"^(welcome|hello|hi|good (morning|afternoon|evening)|thank you|thanks)\b", re.IGNORECASE
)
CLOSER_WORDS = 8  # "That is all on the new tram line." is eight


def framing(text: str) -> bool:
    """True for a sentence that frames the talk rather than says something in it ("Welcome
    to…", "Our next topic is…", "That is all on X, now let me turn to Y")."""
    text = text.strip()
    return bool(FRAMING.match(SIGNPOST.sub("", text)) or _TURNS.search(text))


def closes(text: str) -> bool:
    """True for a short sentence that only names a topic ("That's all on X."): one that ends
    a chapter so is its closing line, not a point of it."""
    return bool(_CLOSER.match(text.strip()))


def echoes(text: str, opening: str) -> bool:
    """True for a short sentence that ends on the word a chapter's ``opening`` announcement
    ends on: the closing line naming the topic again ("Next, the night buses." ... "That is
    all on night buses."), whose first words speech recognition may mishear past any pattern
    ("At a more long night person." after "Next, the night person."). False when the opening
    announces nothing (it is a point, not "Next, X." or "Let me start with X.")."""
    words: list[str] = re.findall(r"[a-z0-9']+", text.lower())
    announced: list[str] = re.findall(r"[a-z0-9']+", SIGNPOST.sub("", opening.strip()).lower())
    if not words or not announced or len(words) > CLOSER_WORDS:
        return False
    if not framing(opening) and len(announced) >= MIN_WORDS:
        return False
    return words[-1].removesuffix("s") == announced[-1].removesuffix("s")


def turns_to_topic(text: str) -> bool:
    """True for a sentence that turns to a topic ("Our first topic is X.", "Let me start with
    X."), not one that greets ("Good morning, and welcome to ...")."""
    return framing(text) and not _GREETING.match(text.strip())


def quotable(sentence: Sentence) -> bool:
    """True when the sentence reads on its own (see the module's docstring)."""
    text = SIGNPOST.sub("", sentence.text.strip())
    words = len(text.split())
    return (
        sentence.whole
        and sentence.text.strip()[:1].isupper()
        and not _LEANS.match(text)
        and not framing(text)
        and MIN_WORDS <= words <= MAX_WORDS
    )


def as_quote(text: str) -> str:
    """The sentence without its spoken signpost or leaning opener, capitalised and ended."""
    text = SIGNPOST.sub("", text.strip())
    text = _LEANS.sub("", text).lstrip(" ,")
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?", "…")) else text.rstrip(",;: ") + "."


def names(texts: Sequence[str]) -> set[str]:
    """The words (lower-cased) that the texts capitalise inside a sentence more often than
    not: names ("Mars", "Ethiopia"), which keep their capital wherever they stand."""
    balance: dict[str, int] = {}
    for text in texts:
        for word in re.findall(r"(?<=\s)[A-Za-z][a-z'-]*\b", text.strip()):
            key = word.lower()
            balance[key] = balance.get(key, 0) + (1 if word[0].isupper() else -1)
    return {word for word, count in balance.items() if count > 0}


def fuse(first: str, second: str, capitalised: set[str]) -> str:
    """Two quotes as one sentence of two clauses, "A; b.": the second's first letter in lower
    case unless its first word is one of the ``capitalised`` names, "I" ("I'm") or an acronym
    ("OLED"). A name the transcript only ever says first in a sentence is lower-cased: the
    recogniser's capitals at a sentence's start tell a name from a word no better."""
    word = re.match(r"[A-Za-z][a-z'-]*\b", second)
    if word and word.group().lower() not in capitalised and word.group().split("'")[0] != "I":
        second = second[:1].lower() + second[1:]
    return f"{first.rstrip('.!…')}; {second}"


def neighbour_pairs(costs: Sequence[float], count: int) -> list[int]:
    """The first index of each of ``count`` disjoint pairs of neighbours (n, n + 1) of least
    total cost, ``costs[n]`` the cost of pairing n with n + 1 (dynamic programming, O(n·count);
    a greedy pick of the cheapest pair first can strand an item that has no neighbour left).
    Raises ``ValueError`` when ``count`` pairs do not fit in ``len(costs) + 1`` items."""
    items = len(costs) + 1
    if count < 0 or 2 * count > items:
        raise ValueError(f"{count} disjoint pairs do not fit in {items} items")
    # best[n][k]: the least cost of k pairs among items n.. ; inf where they do not fit
    best = np.full((items + 2, count + 1), np.inf)
    best[:, 0] = 0.0
    for n in range(items - 2, -1, -1):
        for k in range(1, count + 1):
            best[n][k] = min(best[n + 1][k], costs[n] + best[n + 2][k - 1])
    starts, n, k = [], 0, count
    while k:
        if best[n][k] == costs[n] + best[n + 2][k - 1]:
            starts.append(n)
            n, k = n + 2, k - 1
        else:
            n += 1
    return starts


def representative(
    vectors: np.ndarray,
    sentences: Sequence[Sentence],
    readable: np.ndarray,
    phrases: Sequence[str],
) -> int:
    """The chapter's sentence that stands for it: the most alike to the chapter's other
    sentences (mean similarity, from ``topics.centrality``), with a bonus for each of the
    chapter's key ``phrases`` it says and for the recogniser's confidence in its words (a
    misheard sentence reads as nonsense); a readable one when any is."""
    from pipelines.understanding.topics import centrality

    scores = centrality(vectors) / max(1, len(vectors) - 1)
    scores += [PHRASE_BONUS * sum(p in s.text.lower() for p in phrases) for s in sentences]
    scores += [CONFIDENCE_WEIGHT * s.confidence for s in sentences]
    masked = np.where(readable, scores, -np.inf)
    return int(np.argmax(masked if readable.any() else scores))


def diverse(
    vectors: np.ndarray,
    count: int,
    *,
    relevance: np.ndarray,
    allowed: np.ndarray,
    picked: Sequence[int] = (),
    weight: float = 0.7,
) -> list[int]:
    """Up to ``count`` more rows, in the order maximal marginal relevance picks them: relevant,
    unlike the rows already picked. The redundancy of every row to the picked set is kept as
    a running maximum, so each pick costs one matrix-vector product."""
    n = len(vectors)
    if n == 0 or count <= 0:
        return []
    taken = np.zeros(n, dtype=bool)
    redundancy = np.full(n, -np.inf)  # the most alike picked row's similarity; none yet
    if picked:
        taken[list(picked)] = True
        redundancy = (vectors @ vectors[list(picked)].T).max(axis=1)
    order: list[int] = []
    for _ in range(count):
        alike = np.where(np.isneginf(redundancy), 0.0, redundancy)
        score = weight * relevance - (1 - weight) * alike
        score = np.where(allowed & ~taken, score, -np.inf)
        best = int(np.argmax(score))
        if not np.isfinite(score[best]):
            break
        order.append(best)
        taken[best] = True
        redundancy = np.maximum(redundancy, vectors @ vectors[best])
    return order
