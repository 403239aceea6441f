"""Whisper's lines regrouped into sentences by their words' times.

Whisper breaks its lines where its 30 s window or a pause falls, not where sentences end:
"Divers found that the deeper corals recovered faster than" / "the shallow ones. Volunteers
now plant young coral fragments on metal frames. That is all on the coral reef." A line is
what search returns, an answer cites, a chapter starts at and a reel cuts, so each of those
started mid-sentence or ran on into the next topic (an answer citing "the shallow ones"
cited 40.5-49.66 s for a sentence said by 41.7 s). Each line here is one sentence, from its
first word's start to its last word's end.

A sentence ends at a word ending in . ! ? or … (not an abbreviation such as "Dr."), at a
pause of ``PAUSE_S`` or more (a speaker who stops mid-sentence), or — when Whisper wrote no
punctuation for a long stretch — at Whisper's own line break once it holds ``LONG_WORDS``.
Lines whose words do not spell their text with spaces between them (Chinese, Japanese, Thai:
Whisper's words there are characters or pieces) are kept as Whisper wrote them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from pipelines.records import Segment, Word

PAUSE_S = 1.5
LONG_WORDS = 30
_ENDS = re.compile(r"[.!?\u2026\u3002\uff01\uff1f][\"'\u201d\u2019)\]]*$")
# Titles and Latin abbreviations, and an initial ("John F. Kennedy"), end no sentence.
_ABBREVIATION = re.compile(r"^((?i:mr|mrs|ms|dr|prof|st|vs|etc|e\.g|i\.e)|[A-Z])\.$")


def ends_sentence(word: str) -> bool:
    return bool(_ENDS.search(word)) and not _ABBREVIATION.match(word)


def spelled_by_words(segment: Segment) -> bool:
    """Whether the line's text is its words joined by single spaces (whitespace aside)."""
    return bool(segment.words) and " ".join(segment.text.split()) == " ".join(
        w.text.strip() for w in segment.words
    )


def sentences(segments: Iterable[Segment]) -> Iterator[Segment]:
    """``segments`` (one speaker's or one mix's lines, in time order) as sentences."""
    words: list[Word] = []
    speaker: str | None = None

    def flush() -> Iterator[Segment]:
        if words:
            start, end = words[0].start, max(words[-1].end, words[0].start + 0.01)
            text = " ".join(w.text.strip() for w in words)
            yield Segment(start, end, text, tuple(words), speaker)
            words.clear()

    for segment in segments:
        if not spelled_by_words(segment):
            yield from flush()
            yield segment
            continue
        if (words and segment.speaker != speaker) or len(words) >= LONG_WORDS:
            yield from flush()  # another voice, or no punctuation for long: Whisper's break
        speaker = segment.speaker
        for word in segment.words:
            if words and word.start - words[-1].end >= PAUSE_S:
                yield from flush()
            words.append(word)
            if ends_sentence(word.text.strip()):
                yield from flush()
    yield from flush()
