"""How wrong a diarization is: the diarization error rate of NIST's md-eval, and what the
diarization eval (``evals.diarization``) reads out of it.

DER = (missed + false alarm + confusion) / reference speech, every term in seconds. Around each
reference boundary (a turn's start and end) a collar of ``collar`` seconds on either side is
not scored, since where a turn starts is uncertain by about that much even to a person
annotating it. Hypothesis voices are matched one to one with reference voices so that they
overlap the most (the Hungarian method on the overlap matrix); a hypothesis voice left over
counts as confusion where it speaks over reference speech. Where two reference voices overlap,
both count: one hypothesis voice there is one miss. Pure functions, no audio."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

Span = tuple[float, float, str]  # (start s, end s, speaker): an RTTM line
COLLAR_S = 0.25


@dataclass(frozen=True)
class DiarizationError:
    """The error as shares of the scored reference speech (``scored_s`` seconds), and which
    reference voice each hypothesis voice was matched to."""

    der: float
    missed: float
    false_alarm: float
    confusion: float
    scored_s: float
    mapping: dict[str, str]


def diarization_error(
    reference: Sequence[Span], hypothesis: Sequence[Span], *, collar: float = COLLAR_S
) -> DiarizationError:
    """DER of ``hypothesis`` against ``reference`` with md-eval's collar and an optimal
    one-to-one mapping of voices. An empty reference scores 0 when the hypothesis says nothing
    either, else infinity (every second it says is a false alarm of nothing)."""
    pieces = _scored_pieces(reference, hypothesis, collar)
    mapping = _best_mapping(pieces)
    missed = false_alarm = confusion = total = 0.0
    for seconds, said, heard in pieces:
        right = sum(1 for h in heard if mapping.get(h) in said)
        missed += seconds * max(0, len(said) - len(heard))
        false_alarm += seconds * max(0, len(heard) - len(said))
        confusion += seconds * (min(len(said), len(heard)) - right)
        total += seconds * len(said)
    if total == 0:
        nothing = 0.0 if false_alarm == 0 else float("inf")
        return DiarizationError(nothing, 0.0, nothing, 0.0, 0.0, mapping)
    return DiarizationError(
        der=(missed + false_alarm + confusion) / total,
        missed=missed / total,
        false_alarm=false_alarm / total,
        confusion=confusion / total,
        scored_s=total,
        mapping=mapping,
    )


def _scored_pieces(
    reference: Sequence[Span], hypothesis: Sequence[Span], collar: float
) -> list[tuple[float, frozenset[str], frozenset[str]]]:
    """The timeline cut at every boundary into pieces in which nobody starts or stops:
    (seconds, reference voices, hypothesis voices) for each piece outside the collars."""
    collars = [(t - collar, t + collar) for s, e, _ in reference for t in (s, e)] if collar else []
    edges = {t for s, e, _ in (*reference, *hypothesis) for t in (s, e)}
    edges |= {t for zone in collars for t in zone}
    cuts = sorted(edges)
    pieces = []
    for start, end in zip(cuts, cuts[1:], strict=False):
        middle = (start + end) / 2
        if any(a < middle < b for a, b in collars):
            continue
        said = frozenset(who for s, e, who in reference if s < middle < e)
        heard = frozenset(who for s, e, who in hypothesis if s < middle < e)
        if said or heard:
            pieces.append((end - start, said, heard))
    return pieces


def _best_mapping(
    pieces: list[tuple[float, frozenset[str], frozenset[str]]],
) -> dict[str, str]:
    """Hypothesis voice -> reference voice, one to one, the most time in common."""
    said = sorted({who for _, voices, _ in pieces for who in voices})
    heard = sorted({who for _, _, voices in pieces for who in voices})
    if not said or not heard:
        return {}
    overlap = np.zeros((len(heard), len(said)))
    for seconds, ref, hyp in pieces:
        for h in hyp:
            for r in ref:
                overlap[heard.index(h), said.index(r)] += seconds
    rows, cols = linear_sum_assignment(overlap, maximize=True)
    return {heard[r]: said[c] for r, c in zip(rows, cols, strict=True) if overlap[r, c] > 0}


def speaker_at(spans: Sequence[Span], start: float, end: float) -> str | None:
    """The voice that speaks longest in ``spans`` between ``start`` and ``end`` (None: nobody)."""
    talk: dict[str, float] = {}
    for s, e, who in spans:
        shared = min(e, end) - max(s, start)
        if shared > 0:
            talk[who] = talk.get(who, 0.0) + shared
    return max(talk, key=lambda who: talk[who]) if talk else None


def turns_heard_right(
    reference: Sequence[Span], hypothesis: Sequence[Span], mapping: dict[str, str]
) -> list[bool]:
    """For each reference turn, whether the voice heard most over it is the one mapped to its
    speaker: what says whether short interjections are found or swallowed by a neighbour."""
    return [
        (who := speaker_at(hypothesis, s, e)) is not None and mapping.get(who) == speaker
        for s, e, speaker in reference
    ]


def jaccard_error(reference: Sequence[Span], hypothesis: Sequence[Span]) -> float:
    """The Jaccard error rate of DIHARD II (dscore's JER), no collar: for each reference voice,
    1 - (time it and its hypothesis voice both speak) / (time either speaks), with voices
    mapped one to one for the most time in common (dscore maps for the least JER, which can
    differ where two mappings are close); 1 for a reference voice left unmapped; the mean over
    reference voices. Counts every voice alike, however little it talks, where DER weighs by
    talk time: a short voice swallowed by another costs DER little and JER much."""
    pieces = _scored_pieces(reference, hypothesis, 0.0)
    mapping = {said: heard for heard, said in _best_mapping(pieces).items()}
    voices = sorted({who for _, _, who in reference})
    if not voices:
        return 0.0
    errors = []
    for voice in voices:
        mine = mapping.get(voice)
        both = sum(s for s, said, heard in pieces if voice in said and mine in heard)
        either = sum(s for s, said, heard in pieces if voice in said or mine in heard)
        errors.append(1.0 - both / either if either else 1.0)
    return sum(errors) / len(errors)
