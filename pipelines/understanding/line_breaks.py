"""Transcript lines mended into whole sentences for citing.

Whisper breaks its lines where the audio pauses or a line grows long, not where sentences
end: "The tower was completed in 1874, and it was designed" / "By an engineer called Margaret
Holloway. It stands 41 meters tall…". Cited as they are, the first answers "Who designed the
lighthouse?" without the name, and the second starts with the end of another sentence. So a
line that stops mid-sentence is cited with the rest of that sentence from the next line (and
its time runs to that line's end), and a line that begins with the end of the previous line's
sentence is cited from its own first sentence on. Slides and other screen text are not
touched: their lines are not speech.

A line that holds a sentence and a signpost ("Volunteers now plant young coral fragments on
metal frames. That is all on the coral reef."; "Next, irrigation. Three members tested…") is
cited without the signpost: it moves the talk along and answers nothing, and a model or a
reader took it for part of the answer (8 of 169 answer sentences on the talk eval spoken by
flite were unsupported, most of them such a signpost cited with its neighbour)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

# A sentence's end: . ! ? (or …), then a space or the end of the line.
_ENDS = re.compile(r"[.!?\u2026][\"')\]]*$")
_FIRST_SENTENCE = re.compile(r".*?[.!?\u2026][\"')\]]*(?=\s|$)", re.DOTALL)


# A sentence that only moves the talk along: it closes a topic or announces the next one.
_SIGNPOST = re.compile(
    r"^((that is|that's) all (on|about|for)\b|"
    r"(next|finally|lastly),\s*[^,\s]+(\s+[^,\s]+){0,2}[.!?]$|"
    r"(now |so |next,? )?let me (turn|move) to\b|moving on to\b)",
    re.IGNORECASE,
)


class Line(Protocol):
    @property
    def text(self) -> str: ...

    @property
    def end(self) -> float: ...


def whole_sentences(lines: Sequence[Line]) -> list[tuple[str, float]]:
    """(text to cite, its end time) for each of ``lines``, in order (see the module's
    docstring)."""
    mended: list[tuple[str, float]] = []
    for i, line in enumerate(lines):
        text, end = line.text.strip(), line.end
        if i > 0 and not _ENDS.search(lines[i - 1].text.strip()):
            tail = _FIRST_SENTENCE.match(text)
            if tail and text[tail.end() :].strip():  # the previous line's sentence ends here
                text = text[tail.end() :].strip()
        if not _ENDS.search(text) and i + 1 < len(lines):
            following = lines[i + 1].text.strip()
            rest = _FIRST_SENTENCE.match(following)
            piece = rest.group(0) if rest else following
            if piece and piece.split()[0] != "I":
                piece = piece[:1].lower() + piece[1:]
            text, end = f"{text} {piece}".strip(), lines[i + 1].end
        mended.append((without_signposts(text), end))
    return mended


def without_signposts(text: str) -> str:
    """``text`` without its sentences that only move the talk along, when another says
    something."""
    sentences = [m.group(0).strip() for m in _FIRST_SENTENCE.finditer(text)]
    rest = text[sum(len(m.group(0)) for m in _FIRST_SENTENCE.finditer(text)) :].strip()
    sentences += [rest] if rest else []
    kept = [s for s in sentences if s and not _SIGNPOST.match(s)]
    return " ".join(kept) if kept and len(kept) < len(sentences) else text
