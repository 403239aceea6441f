"""What a speaker may be called, and what two speakers named alike become: names are
compared as ``speaker_key`` spells them, a name that breaks an export or passes for a label is
refused with the fix, and a voice diarization split in two is one voice again
(``merged_voice``). Used by ``speakers.SpeakerTables`` inside its transactions."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Protocol, TypeVar

from pipelines.errors import VidscopeError

MAX_NAME_CHARS = 60
# What the ingest labels speakers ('Speaker 1..n' by voice, 'Left'/'Right' by channel), as
# ``speaker_key`` spells it: a name like these would pass for another speaker's label.
_LABEL_LIKE = re.compile(r"speaker\s*\d+|left|right")


def plain_name(text: str) -> str:
    """A name or label as it is stored and matched: NFKC, so the full-width 'Ｄａｎａ' or a
    name pasted with a ligature is the 'Dana' typed on another keyboard, and trimmed."""
    return unicodedata.normalize("NFKC", text).strip()


def speaker_key(text: str) -> str:
    """What two spellings of one speaker's name or label share (``plain_name``, any case):
    every comparison of speakers goes through it, so they all agree who is who."""
    return plain_name(text).casefold()


# Characters a name cannot hold, and why: each would break an export. A txt or SRT line is
# "Name: text" (a colon in the name moves where its words seem to start), and a WebVTT voice
# span is <v Name> (an angle bracket would end it early).
_BREAKS_EXPORTS = {
    ":": "a line is 'Name: text'",
    "<": "WebVTT's <v Name>",
    ">": "WebVTT's <v Name>",
}


def valid_name(name: str) -> str:
    """The name as stored (``plain_name``); ``speaker.bad_name`` names the rule it breaks."""
    cleaned = plain_name(name)
    problem = None
    breaks = [c for c in _BREAKS_EXPORTS if c in cleaned]
    if not cleaned:
        problem = "is empty"
    elif len(cleaned) > MAX_NAME_CHARS:
        problem = f"has {len(cleaned)} characters, more than {MAX_NAME_CHARS}"
    elif not cleaned.isprintable():
        problem = "holds a line break, tab or other control character"
    elif breaks:
        why = "; ".join(sorted({_BREAKS_EXPORTS[c] for c in breaks}))
        problem = (
            f"holds {' and '.join(repr(c) for c in breaks)}, which exports cannot show ({why})"
        )
    if problem is not None:
        raise VidscopeError(
            f"a speaker's name {problem}; give 1-{MAX_NAME_CHARS} printable characters on one "
            "line, without : < or >",
            code="speaker.bad_name",
        )
    return cleaned


class _Speaker(Protocol):
    @property
    def label(self) -> str: ...

    @property
    def name(self) -> str | None: ...


S = TypeVar("S", bound=_Speaker)


def named_alike(name: str, target: S, rows: Sequence[S], video_id: str) -> S | None:
    """The other speaker of the video called ``name`` (any case), which ``target`` is to
    join; None when no other has it. Refuses a name transcripts could not tell from a label
    with ``speaker.name_like_label``: another speaker's label ('Speaker 2' for Speaker 5:
    naming that speaker first, then this one alike, merges them) or one that reads as a label
    the ingest gives ('Speaker 9', 'Left': a search by speaker would take it for another
    video's voice)."""
    key = speaker_key(name)
    for other in rows:
        if other is not target and other.name is not None and speaker_key(other.name) == key:
            return other
    labelled = next((r for r in rows if r is not target and speaker_key(r.label) == key), None)
    if labelled is not None:
        # The way to say "one voice" is a name both have: the other's, if it has one.
        how = (
            f"name {target.label} {labelled.name!r}"
            if labelled.name is not None
            else f"name {labelled.label} (say 'Dana'), then name {target.label} the same"
        )
        raise VidscopeError(
            f"{name!r} is the label of another speaker of this video, not a name; if the two "
            f"are one voice, {how}: it joins {labelled.label}. To give {target.label} its "
            f"label back, name it {target.label!r}",
            code="speaker.name_like_label",
            name=name,
            video_id=video_id,
        )
    if _LABEL_LIKE.fullmatch(key):
        raise VidscopeError(
            f"{name!r} reads as a speaker's label, not a name: searches and questions by "
            f"speaker would take it for that label in your other videos; give a person's "
            f"name, or name it {target.label!r} to give {target.label} its label back",
            code="speaker.name_like_label",
            name=name,
            video_id=video_id,
        )
    return None


def merged_voice(*halves: tuple[Sequence[float] | None, float]) -> list[float] | None:
    """The voice print of speakers found to be one: the mean of their prints weighted by
    talk time, at unit length, as every stored print is (a print is the mean of the voice's
    embeddings, so a longer half speaks for more of them). A half without a print (a
    channel's speaker) adds none; None when no half has one. Prints of different lengths
    (a damaged row: one ingest's prints come from one model) raise ValueError."""
    total: list[float] | None = None
    for voice, seconds in halves:
        if voice is None:
            continue
        weight = max(float(seconds), 1e-6)  # a half heard for no time still counts a little
        scaled = [weight * float(x) for x in voice]
        total = scaled if total is None else [a + b for a, b in zip(total, scaled, strict=True)]
    if total is None:
        return None
    length = sum(x * x for x in total) ** 0.5
    return [x / length for x in total] if length > 0 else total
