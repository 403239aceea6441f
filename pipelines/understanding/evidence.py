"""The sentences an answer may rest on: those of the retrieved passages that are similar enough
to the question, best first, near-repeats dropped. Each is one citable time range.

"Best" is the similarity to the question, less ``UNINFORMATIVE_PENALTY`` for a sentence that
says little beyond the question's own words: a signpost ("That is all on bicycle lanes."), a
slide's title ("Island ecology lecture"). Those are very similar to a question on their topic
and answer nothing; on the 100 answerable eval questions (``python -m evals.abstention``),
ranking them lower put the right sentence first for 39 of 50 spoken questions instead of 32
(slide questions 47 of 50 either way). A bonus for the question's kind of source (speech for
spoken questions, screen text for figures) was measured too: it lowered spoken questions to 36
of 50, so the source is not used.

A sentence similar to the question is evidence only when it could answer it (``Reading``):
it holds the kind of answer the question asks for (``answer_kinds``), says the names and
numbers the question gives when the retrieved passages say them, is not a signpost, a
greeting or a heading on screen, and — for a slide — has an item whose label names what the
question asks about (cited as the slide's title and that item). Whisper's lines are cited as
whole sentences (``line_breaks``). On the talk eval these checks took abstention errors from
18.6 % to 10.7 %, then to 8.6 % (rules chosen on talks 1-5; talks 6-10 held out:
docs/evals.md)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from pipelines.records import Source
from pipelines.storage.catalog.passages import Passage, PassageSentence
from pipelines.understanding import answer_kinds
from pipelines.understanding.digest import FRAMING
from pipelines.understanding.grounding import Embed
from pipelines.understanding.line_breaks import whole_sentences

# The items of a slide's line, as screen text is stored: "Stops: 18 · Budget: 240 million".
_ITEM = re.compile(r"\s*[\u00b7\u2022|]\s*")


@dataclass(frozen=True)
class Evidence:
    video_id: str
    title: str
    start: float
    end: float
    text: str
    similarity: float  # cosine similarity of the sentence to the question
    source: Source = "speech"  # spoken, or read on screen (a slide)
    speaker: str | None = None  # who says it, as transcripts show it


# The rules below, as a number: part of a cached answer's key (answer_service), so answers
# cached in Redis by an older release are not served after an upgrade that changes them.
RULES_VERSION = 12  # 12: a line cited without its signposts (line_breaks)
# Two sentences this similar say the same thing (a repeated sentence, or the overlap that two
# neighbouring passages share): one is enough.
REPEAT_SIMILARITY = 0.95
# A sentence with fewer than NEW_WORDS content words that the question lacks ranks as if this
# much less similar (see the module's docstring for the measurement).
NEW_WORDS = 3
UNINFORMATIVE_PENALTY = 0.15
# A question whose first search hit shares SHARED_WORDS content words with it is about that
# passage even when the embedding doubts it (a paraphrase in other words: "What is on the
# metal plate the spacecraft carries?" scored 0.29 against its own sentence, while off-topic
# questions reached 0.41 and shared at most one word): its best sentences are evidence from
# PARAPHRASE_SIMILARITY on. One shared word was measured too (talk eval, with the answer-kind
# and signpost checks): two more paraphrases right, but "Which planet is closest to the
# sun?" answered with "Volunteers … coral fragment sun metal frames." (0.27) and a paper
# aeroplane with "The new bags can go in the paper recycling." (0.31), while the paraphrases
# it saved scored 0.34: too thin a margin to answer strangers' questions on, so two it is.
SHARED_WORDS = 2
PARAPHRASE_SIMILARITY = 0.25
# A slide item is what a question asks about from this similarity of the question to the
# item's label (alone, or after the slide's title: "The new tram line: Stops"; the better of
# the two). On the talk eval's retrieved slides, 48 of the 49 items that answer a slide
# question score 0.55 or more; of the items on slides retrieved for questions nothing answers,
# 5 %; at 0.6 those are 92 % and 2 %.
ITEM_SIMILARITY = 0.55
# ... and its label alone from this similarity: the slide's title gives the topic, which a
# question the slide does not answer shares ("How much does a monthly tram pass cost?" is
# 0.73 like "The new tram line: Budget", 0.37 like "Budget"). On talks 1-5 of the talk eval
# the items that answer reach 0.42 ("Stops" for "How many stops does the new tram line
# have?") to 0.90 alone; 0.4 is between.
ITEM_LABEL_SIMILARITY = 0.4
# A sentence that shares this many content words with the question is about what it asks
# even without the kind of answer asked for: speech recognition drops numbers ("the panels
# produce forty kilowatts" heard as "…are produced for the kilowatts"), and the second it
# cites is where a person hears the answer.
SAME_SUBJECT = 3
# A sentence that holds the narrow kind of answer a question asks for (a clock time, a
# place's name: ``answer_kinds``) is evidence from this similarity on: "In which country was
# the giant skeleton dug up?" is 0.37 like its answer as Whisper heard it ("…a long neck to
# study upon founding Argentina."). Chosen on talks 1-5 of the talk eval: 0.35 and 0.3 both
# answered it (0.3 also let "every two weeks" of another talk answer "How often will new
# versions go out?"), 0.4 abstained.
TYPED_KINDS = frozenset({"clock", "place"})
TYPED_SIMILARITY = 0.35
# A greeting frames the talk whatever follows it ("Good evening, parents, and welcome to the
# school board update."), and so does a line that speaks to the room, however its first words
# were heard: "Hello, everyone, this is the museum review…" came out of Whisper as "The Lord,
# everyone, this is…", whose "Lord" passed for the name that "Who is the director of the
# museum?" asks for. Only when it goes on to frame the talk ("this is…", "welcome…") or
# stops: "Well, everyone, the results are in: revenue rose 18 percent." says something.
GREETING = re.compile(
    r"^((good (morning|afternoon|evening)|hello|hi|welcome)\b|"
    r"[\w' ]{0,20},\s*(everyone|everybody|folks)\s*([.!]|,\s*(this is|welcome|and welcome|"
    r"thank|good|my name|i am|i'm|tonight|today)\b))",
    re.IGNORECASE,
)
# Screen text of fewer words is a heading, not a statement ("Couriers · Fleet"; a slide
# item "Customers"): shown all through a talk or a section, it answers no question.
HEADING_WORDS = 4
# A slide item without a value ("Label: value") says something from this many words on
# ("Riverside Orchard in numbers" is a subtitle).
ITEM_PHRASE_WORDS = 5
# The answers a slide's figure gives.
FIGURE_KINDS = frozenset({"number", "money", "time", "clock"})
# "Next, the coral reef." / "Finally, soil health.": a topic announced, nothing said about it
# (with fewer than SIGNPOST_TAIL_WORDS words after the comma). Cited after an answer's first
# sentence when more passages are read (VIDSCOPE_ASK_K=24 on the talk eval: four answers).
ANNOUNCEMENT = re.compile(r"^(and )?(next|finally|lastly|first|firstly|then|now)\s*,", re.I)
# A signpost followed by this many words after a comma goes on to say something.
SIGNPOST_TAIL_WORDS = 4

_WORD = re.compile(r"[a-z]+")
# Function words, and the words talks use to move between topics: they carry no answer.
_STOP = frozenset(
    "a an and are as at be been being by can could did do does for from has have he her his "
    "how i in into is it its many me more most much my no not of on or our she so than that "
    "the their them then there these they this those to us very was we were what when where "
    "which who whom whose why will with would you your also about after before over all let "
    "start topic talk next first finally turn move now today welcome thank thanks lecture "
    "meeting update last one".split()
)


def content_words(text: str) -> frozenset[str]:
    """The words of ``text`` that carry meaning, cut to five letters (lanes/lane, cycling/
    cycle are one word)."""
    return frozenset(w[:5] for w in _WORD.findall(text.lower()) if len(w) > 2 and w not in _STOP)


def gather_evidence(
    question: np.ndarray,
    passages: Sequence[Passage],
    *,
    min_similarity: float,
    limit: int,
    question_text: str = "",
    embed: Embed | None = None,
    said: Callable[[PassageSentence], bool] | None = None,
) -> list[Evidence]:
    """Up to ``limit`` sentences of ``passages`` (in search order) at least ``min_similarity``
    similar to the question (unit vectors), best first; a sentence that repeats a better one
    (the same time range, or nearly the same meaning) is left out. With ``question_text``,
    uninformative sentences rank lower, a spoken signpost ("That is all on seabird
    colonies.") is not evidence, nor is a sentence without the kind of answer the question
    asks for (``answer_kinds``); when nothing is left at ``min_similarity`` but the first
    passage shares ``SHARED_WORDS`` content words with the question, its sentences from
    ``PARAPHRASE_SIMILARITY`` on are the evidence (search ranked it first: the answer is
    there more likely than not). With ``embed`` too, a slide's line is read item by item
    (``slide_items``). With ``said`` (one speaker's sentences: a question filtered by
    speaker), only those are evidence, each mended only within its turn (``turns_said``);
    the rules still read the passages (the names they say, the first one's words), as
    without a filter: the question a reply answers is often another voice's."""
    turns = passages if said is None else [t for p in passages for t in turns_said(p, said)]
    reading = Reading(question, question_text, passages, embed) if question_text else None
    kept = _gather(question, turns, min_similarity, limit, reading)
    if kept or reading is None or not passages:
        return kept
    first = passages[0]
    if len(reading.asked & content_words(first.text)) < SHARED_WORDS:
        return kept
    mine = [t for t in turns if t.id == first.id]  # what may be evidence in it
    return _gather(question, mine, PARAPHRASE_SIMILARITY, limit, reading)


def turns_said(passage: Passage, said: Callable[[PassageSentence], bool]) -> list[Passage]:
    """``passage`` as the turns of the speaker ``said`` tells in it: a passage (same id) for
    each run of their sentences that nobody else's interrupts, so a line is mended within its
    turn only ("The river road is" + their next turn's "I will email…" was never said)."""
    turns: list[list[PassageSentence]] = [[]]
    for sentence in passage.sentences:
        if said(sentence):
            turns[-1].append(sentence)
        elif turns[-1]:
            turns.append([])
    return [
        replace(
            passage,
            start=turn[0].start,
            end=turn[-1].end,
            text=" ".join(s.text for s in turn),
            sentences=tuple(turn),
        )
        for turn in turns
        if turn
    ]


class Reading:
    """How the sentences of the retrieved passages are weighed against one question."""

    def __init__(
        self, vector: np.ndarray, text: str, passages: Sequence[Passage], embed: Embed | None
    ) -> None:
        self.vector = vector
        self.asked = content_words(text)
        self.kind = answer_kinds.expected(text)
        # Only the names a retrieved passage says: one said nowhere may be misheard everywhere.
        self.named = named(text) & stems(" ".join(p.text for p in passages))
        self.numbers = re.compile(
            "|".join(rf"\b{re.escape(n)}\b" for n in _NUMBER.findall(text)) or r"(?!x)x"
        )
        self.embed = embed
        self._item_scores: dict[tuple[str, ...], np.ndarray] = {}

    def weigh(self, text: str, similarity: float, source: Source) -> tuple[float, str] | None:
        """(rank, text to cite) for a sentence, or None when it cannot answer."""
        if not self.named <= stems(text):
            return None  # "How many riders work in Seattle?" is not answered without Seattle
        if source == "screen":
            items = slide_items(text)
            if len(items) > 1 and self.embed is not None:
                return self._slide(items, similarity)
            if len(text.split()) < HEADING_WORDS:
                return None  # a heading ("Couriers · Fleet", "Lighthouse") answers nothing
        if source == "speech" and signpost(text):
            return None
        said = content_words(text)
        holds = answer_kinds.holds(self._unasked(text), self.kind)
        if not holds and len(said & self.asked) < SAME_SUBJECT:
            return None
        new = said - self.asked
        return similarity - (UNINFORMATIVE_PENALTY if len(new) < NEW_WORDS else 0.0), text

    def floor(self, text: str, min_similarity: float) -> float:
        """How similar to the question ``text`` must be to be evidence: less than
        ``min_similarity`` when it holds the narrow kind of answer asked for."""
        if self.kind in TYPED_KINDS and answer_kinds.holds(self._unasked(text), self.kind):
            return min(min_similarity, TYPED_SIMILARITY)
        return min_similarity

    def _unasked(self, text: str) -> str:
        """``text`` without the numbers the question gives: "in 2016" does not answer "How
        many pear trees were planted in 2016?"."""
        return self.numbers.sub(" ", text)

    def _slide(self, items: list[str], similarity: float) -> tuple[float, str] | None:
        """A slide's line ("The new tram line · Stops: 18 · Budget: 240 million euros") answers
        with its item that the question asks about (by its label, not only the slide's
        title), when one is asked about, says something
        (a value after its label, or a phrase, not a heading: "Customers") and holds the kind
        of answer asked for: its title and that item are cited. A figure ranks by how close
        its item is to a question that asks for a figure (how many, when, what time); for
        any other question ("Why did the company earn more?") by the line's own similarity,
        so a sentence that explains is not outranked by a figure."""
        assert self.embed is not None
        title = items[0]
        rest = [item for item in items[1:] if _says_something(item)]
        if not rest:
            return None
        scores, labels = self._scores(title, rest)
        scores = np.where(labels >= ITEM_LABEL_SIMILARITY, scores, -1.0)
        best = int(np.argmax(scores))
        if scores[best] < ITEM_SIMILARITY or not answer_kinds.holds(
            self._unasked(rest[best]), self.kind
        ):
            return None
        rank = float(scores[best]) if self.kind in FIGURE_KINDS else similarity
        return rank, f"{title} \u00b7 {rest[best]}"

    def _scores(self, title: str, items: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Each item's similarity to the question (its label after the slide's title, or
        alone: the better) and its label's alone; embedded once per question (the first-hit
        fallback weighs the first passage's slides again)."""
        key = (title, *items)
        if key not in self._item_scores:
            assert self.embed is not None
            labels = [item.split(":")[0].strip() for item in items]
            vectors = self.embed([*(f"{title}: {label}" for label in labels), *labels])
            self._item_scores[key] = (vectors @ self.vector).reshape(2, len(items))
        titled, alone = self._item_scores[key]
        return np.maximum(titled, alone), alone


def _says_something(item: str) -> bool:
    label, colon, value = item.partition(":")
    return bool(colon and value.strip()) or len(item.split()) >= ITEM_PHRASE_WORDS


_NUMBER = re.compile(r"\d[\d,.]*\d|\d")
_NAMED = re.compile(r"(?<=\S\s)(?!I\b)[A-Z][\w'-]*|\b\d[\d,.]*\b")


def named(question: str) -> frozenset[str]:
    """What a question names that an answer must name too: names after its first word
    ("Seattle", "Mondays") and numbers ("2016"), as ``stems``."""
    return frozenset(stems(" ".join(_NAMED.findall(question.strip()))))


def stems(text: str) -> frozenset[str]:
    """Lower-case words and numbers cut to five characters ("Mondays"/"monday" -> "monda";
    "12,000" -> "12000")."""
    flat = re.sub(r"(?<=\d)[,.](?=\d)", "", text.lower())
    return frozenset(w[:5] for w in re.findall(r"[a-z0-9]+", flat))


def slide_items(text: str) -> list[str]:
    """A slide's line as its title and items ("Stops: 18"), or the line alone."""
    return [part.strip() for part in _ITEM.split(text) if part.strip()]


def signpost(text: str) -> bool:
    """A sentence that only moves the talk along ("Moving on to water quality.", "That is
    all on green beans.") — not one that goes on to say something ("Moving on to fresh
    water, the island has only one spring.")."""
    text = text.strip()
    if GREETING.match(text):
        return True
    _, comma, rest = text.partition(",")
    if comma and len(rest.split()) >= SIGNPOST_TAIL_WORDS:
        return False
    return bool(FRAMING.match(text) or ANNOUNCEMENT.match(text))


def _gather(
    question: np.ndarray,
    passages: Iterable[Passage],
    min_similarity: float,
    limit: int,
    reading: Reading | None,
) -> list[Evidence]:
    scored: list[tuple[float, float, Passage, int, str, float, float]] = []
    for passage in passages:
        if not passage.sentences:
            continue
        similarities = np.stack([s.vector for s in passage.sentences]) @ question
        lines = (
            whole_sentences(passage.sentences)
            if passage.source == "speech"
            else [(s.text.strip(), s.end) for s in passage.sentences]
        )
        for i, similarity in enumerate(similarities):
            text, end = lines[i]
            if reading is None:
                scored.append(
                    (float(similarity), float(similarity), passage, i, text, end, min_similarity)
                )
                continue
            weighed = reading.weigh(text, float(similarity), passage.source)
            if weighed is not None:
                rank, cited = weighed
                # A slide item's own similarity may be what makes the line evidence.
                best = max(float(similarity), rank) if cited != text else float(similarity)
                floor = reading.floor(cited, min_similarity)
                scored.append((rank, best, passage, i, cited, end, floor))
    scored.sort(key=lambda item: -item[0])
    kept: list[Evidence] = []
    vectors: list[np.ndarray] = []
    for _, similarity, passage, index, text, end, floor in scored:
        if len(kept) == limit:
            break
        if similarity < floor:
            continue
        sentence = passage.sentences[index]
        # The same line, or one a mended line already says ("And all of it went to nine food
        # banks." of "In 2023 we harvested 2.7 tons of fruit, and all of it went to…").
        said = _words(text)
        seen = any(
            e.video_id == passage.video_id
            and (abs(e.start - sentence.start) < 0.01 or _within(said, _words(e.text)))
            for e in kept
        )
        if seen or any(float(v @ sentence.vector) >= REPEAT_SIMILARITY for v in vectors):
            continue
        kept.append(
            Evidence(
                video_id=passage.video_id,
                title=passage.title,
                start=round(sentence.start, 2),
                end=round(end, 2),
                text=text,
                similarity=round(similarity, 4),
                source=passage.source,
                speaker=sentence.speaker,
            )
        )
        vectors.append(sentence.vector)
    return kept


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def _within(part: str, whole: str) -> bool:
    return bool(part) and f" {part} " in f" {whole} "
