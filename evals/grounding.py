"""Calibrates grounding's threshold (``python -m evals.grounding``): on the labelled pairs of
``evals/data/grounding.json`` — an evidence sentence, sentences it supports (paraphrases, short
answers) and sentences it does not (a changed number, date, place or actor; an invented claim
on its topic) — plus every supported sentence against every other item's evidence, it prints
the precision and recall of "supported" at each threshold, by embedding similarity alone and
with the facts check (numbers and months must be in the evidence), and the threshold chosen:
the best F1 on the hand-written pairs (a sentence wrongly kept is shown to people; one wrongly
dropped loses a right answer to the weaker extractive one: both count), the highest threshold
among those within ``F1_TIE`` of the best."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from evals.common import ROOT, log
from pipelines.config import load_settings
from pipelines.understanding.grounding import clauses, embedder, facts

DATA = ROOT / "evals" / "data" / "grounding.json"
COMMAND = "python -m evals.grounding"
F1_TIE = 0.01


@dataclass(frozen=True)
class Pair:
    sentence: str
    evidence: str
    supported: bool
    hard: bool  # written to fool the check (not another item's evidence)


def labelled_pairs() -> list[Pair]:
    items = json.loads(DATA.read_text())["items"]
    pairs: list[Pair] = []
    for i, item in enumerate(items):
        pairs += [Pair(s, item["evidence"], True, True) for s in item["supported"]]
        pairs += [Pair(s, item["evidence"], False, True) for s in item["unsupported"]]
        pairs += [
            Pair(s, other["evidence"], False, False)
            for j, other in enumerate(items)
            if j != i
            for s in item["supported"]
        ]
    return pairs


def rates(kept: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """(precision, recall) of keeping as supported."""
    true_kept = int((kept & truth).sum())
    precision = true_kept / max(1, int(kept.sum()))
    return precision, true_kept / max(1, int(truth.sum()))


def main() -> None:
    settings = load_settings(log_level="WARNING")
    embed = embedder(settings.embedding.model, threads=settings.threads)
    pairs = labelled_pairs()
    pieces = {p.evidence: clauses(p.evidence) for p in pairs}
    sentences = sorted({p.sentence for p in pairs} | {c for cs in pieces.values() for c in cs})
    vectors = dict(zip(sentences, embed(sentences), strict=True))
    # As grounding.support: the best of the evidence and its clauses.
    score = np.array(
        [max(float(vectors[p.sentence] @ vectors[c]) for c in pieces[p.evidence]) for p in pairs]
    )
    same_facts = np.array([facts(p.sentence) <= facts(p.evidence) for p in pairs])
    truth = np.array([p.supported for p in pairs])
    hard = np.array([p.hard for p in pairs])
    log(
        f"{int(truth.sum())} supported pairs, {int((~truth & hard).sum())} hard unsupported, "
        f"{int((~truth & ~hard).sum())} other items' evidence"
    )
    log("threshold  similarity only: P(hard) R P(all)  |  with facts: P(hard) R P(all)")
    chosen: float | None = None
    for threshold in np.arange(0.30, 0.91, 0.05):
        plain = score >= threshold
        checked = plain & same_facts
        row = []
        for kept in (plain, checked):
            precision_hard, recall = rates(kept[hard], truth[hard])
            precision_all, _ = rates(kept, truth)
            row.append(f"{precision_hard:.3f} {recall:.3f} {precision_all:.3f}")
        log(f"  {threshold:.2f}      {row[0]}  |  {row[1]}")
    f1s = {}
    for threshold in np.arange(0.30, 0.91, 0.01):
        precision, recall = rates(((score >= threshold) & same_facts)[hard], truth[hard])
        f1s[round(float(threshold), 2)] = 2 * precision * recall / max(1e-9, precision + recall)
    # F1 is flat near its best (one pair moves it): of the thresholds within F1_TIE of the
    # best, the highest, so fewer unsupported sentences are shown.
    best = max(f1s.values())
    chosen = max(t for t, f1 in f1s.items() if f1 >= best - F1_TIE)
    assert chosen is not None
    kept = (score >= chosen) & same_facts
    precision_hard, recall = rates(kept[hard], truth[hard])
    precision_all, _ = rates(kept, truth)
    log(
        f"chosen {chosen:.2f} (best F1 within {F1_TIE}, facts checked): "
        f"precision {precision_hard:.3f} on "
        f"the hard negatives, {precision_all:.3f} on all pairs, recall {recall:.3f}"
    )
    missed = [p.sentence for p, k, t in zip(pairs, kept, truth, strict=True) if t and not k]
    passed = [
        p.sentence for p, k, t, h in zip(pairs, kept, truth, hard, strict=True) if k and not t and h
    ]
    log(f"supported but dropped: {missed}")
    log(f"unsupported but kept: {passed}")


if __name__ == "__main__":
    main()
