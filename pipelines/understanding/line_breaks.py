"""Transcript lines mended into whole sentences for citing.

Whisper breaks its lines where the audio pauses or a line grows long, not where sentences
end: "The tower was completed in 1874, and it was designed" / "By an engineer called Margaret
Holloway. It stands 41 meters tall…". Cited as they are, the first answers "Who designed the
lighthouse?" without the name, and the second starts with the end of another sentence. So a
line that stops mid-sentence is cited with the rest of that sentence from the next line (and
its time runs to that line's end), and a line that begins with the end of the previous line's
sentence is cited from its own first sentence on. Slides and other screen text are not
touched: their lines are not speech."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

# A sentence's end: . ! ? (or …), then a space or the end of the line.
_ENDS = re.compile(r"[.!?\u2026][\"')\]]*$")
_FIRST_SENTENCE = re.compile(r".*?[.!?\u2026][\"')\]]*(?=\s|$)", re.DOTALL)


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
        mended.append((text, end))
    return mended
