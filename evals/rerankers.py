"""Would another model rank the answer stage's candidates better than MiniLM? (``python -m
evals.rerankers --home <a copy of bench-work/eval-talks-library> --bi-encoder
mpnet=<dir of a sentence-transformers model>``).

For each of the talk eval's 140 questions it retrieves what the answer stage gets (search's
``VIDSCOPE_ASK_K`` passages; ``--k`` for more) and lists their sentences as the stage reads
them: speech lines mended into whole sentences (``line_breaks``), slide lines whole. Two
candidate sets: every sentence ("all"), and those the answer rules let be evidence
(``evidence.Reading.weigh``, a slide cited as its title and the item asked about:
"admissible"). Each scorer ranks the candidates:

- ``minilm``: the stored MiniLM sentence vectors against the question's (what the threshold
  ``VIDSCOPE_ASK_MIN_SIMILARITY`` compares),
- ``minilm-rules`` (admissible only): the order the answer stage uses (MiniLM less the
  penalty for sentences that add little, a slide item's own similarity for a figure),
- each ``--bi-encoder NAME=DIR``: that model's cosine of the question and the sentence,
- ``NAME+minilm``: the mean of the two cosines; ``NAME+minilm-rules`` (admissible only): the
  mean of the model's cosine and the answer stage's order.

For the 100 answerable questions it reports how often the right sentence (one overlapping the
question's time range in its talk) is ranked first, within three, and absent; for separation,
the right sentence's score against the best candidate's score of each of the 40 near- and
off-topic questions: the area under the ROC curve (the chance a right sentence outscores an
unanswerable question's best) and the fewest errors one threshold can make, with that
threshold. Cost: each bi-encoder's milliseconds per question, encoding the question and its
candidates, and the question alone (what it would cost with sentence vectors stored at
ingest)."""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from evals.common import ROOT, log, machine
from evals.understanding import CHOSEN_TALKS
from evals.understanding_scores import half
from pipelines.config import load_settings
from pipelines.library import Library

QUESTIONS = ROOT / "evals" / "data" / "eval-questions.json"
COMMAND = "python -m evals.rerankers"
ANSWERABLE = ("spoken", "slide")


@dataclass
class Candidate:
    video_id: str
    start: float
    end: float
    text: str  # as it would be cited
    source: str
    scores: dict[str, float] = field(default_factory=dict)
    admissible: bool = False


def inside(start: float, end: float, ranges: list[list[float]]) -> bool:
    return any(min(end, b) - max(start, a) > 0 for a, b in ranges)


def candidates(library: Library, question: str, k: int) -> list[Candidate]:
    """The sentences of the passages the answer stage gets for ``question``, once each, with
    their MiniLM scores and whether the answer rules admit them."""
    from pipelines.understanding.evidence import Reading
    from pipelines.understanding.grounding import embedder
    from pipelines.understanding.line_breaks import whole_sentences

    owner = library.local
    settings = library.settings
    hits = owner.search(question, k=k)
    found = owner._catalog.passages(h.chunk_id for h in hits)
    passages = [found[h.chunk_id] for h in hits if h.chunk_id in found]
    vector = library.embed_query(question)
    embed = embedder(
        settings.embedding.model, threads=settings.threads, cache_dir=settings.model_cache
    )
    reading = Reading(vector, question, passages, embed)
    seen: dict[tuple[str, float, str], Candidate] = {}
    for passage in passages:
        lines = (
            whole_sentences(passage.sentences)
            if passage.source == "speech"
            else [(s.text.strip(), s.end) for s in passage.sentences]
        )
        for sentence, (text, end) in zip(passage.sentences, lines, strict=True):
            key = (passage.video_id, round(sentence.start, 2), passage.source)
            if key in seen:
                continue
            similarity = float(sentence.vector @ vector)
            weighed = reading.weigh(text, similarity, passage.source)
            candidate = Candidate(
                passage.video_id,
                sentence.start,
                end,
                text if weighed is None else weighed[1],
                passage.source,
                {"minilm": similarity},
                weighed is not None,
            )
            if weighed is not None:
                candidate.scores["minilm-rules"] = weighed[0]
            seen[key] = candidate
    return list(seen.values())


class BiEncoder:
    """A sentence-transformers model read from a local directory (no download)."""

    def __init__(self, name: str, path: Path, threads: int) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        if threads:
            torch.set_num_threads(threads)
        self.name = name
        self.model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        self.vectors: dict[str, np.ndarray] = {}
        self.seconds: list[float] = []
        self.query_seconds: list[float] = []
        # CPU seconds too: on a shared machine the wall clock measures the others' load.
        self.cpu: list[float] = []
        self.query_cpu: list[float] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(
            self.model.encode(list(texts), normalize_embeddings=True, show_progress_bar=False)
        )

    def timed(self, question: str, found: list[Candidate]) -> None:
        """What scoring costs at question time: the question alone (sentence vectors stored
        at ingest), and the question with its candidates (encoded when asked)."""
        started, cpu = time.perf_counter(), time.process_time()
        self.encode([question])
        self.query_seconds.append(time.perf_counter() - started)
        self.query_cpu.append(time.process_time() - cpu)
        started, cpu = time.perf_counter(), time.process_time()
        self.encode([question, *(c.text for c in found)])
        self.seconds.append(time.perf_counter() - started)
        self.cpu.append(time.process_time() - cpu)

    def score(self, question: str, found: list[Candidate]) -> None:
        """Each candidate's cosine to ``question``, and its mean with MiniLM's; every text is
        encoded once for the whole run (``remember``)."""
        self.remember([question, *(c.text for c in found)])
        asked = self.vectors[question]
        for candidate in found:
            similarity = float(self.vectors[candidate.text] @ asked)
            candidate.scores[self.name] = similarity
            candidate.scores[f"{self.name}+minilm"] = (similarity + candidate.scores["minilm"]) / 2
            if "minilm-rules" in candidate.scores:  # with the answer stage's own adjustments
                rules = candidate.scores["minilm-rules"]
                candidate.scores[f"{self.name}+minilm-rules"] = (similarity + rules) / 2

    def remember(self, texts: Sequence[str]) -> None:
        new = sorted({t for t in texts if t not in self.vectors})
        if new:
            self.vectors.update(zip(new, self.encode(new), strict=True))


def rank_of(found: list[Candidate], scorer: str, right: Callable[[Candidate], bool]) -> int | None:
    """1-based rank of the best-ranked right candidate under ``scorer``, None if absent."""
    ranked = sorted((c for c in found if scorer in c.scores), key=lambda c: -c.scores[scorer])
    return next((n for n, c in enumerate(ranked, start=1) if right(c)), None)


def separation(right: list[float], wrong: list[float]) -> tuple[float, int, float]:
    """(ROC AUC, fewest errors of one threshold, that threshold): a right sentence should
    score at least the threshold, an unanswerable question's best candidate below it."""
    if not right or not wrong:
        return float("nan"), 0, float("nan")
    r, w = np.array(right), np.array(wrong)
    auc = float((r[:, None] > w[None, :]).sum() + 0.5 * (r[:, None] == w[None, :]).sum())
    auc /= r.size * w.size
    thresholds = np.unique(np.concatenate([r, w, [np.inf]]))
    errors = np.array([(r < t).sum() + (w >= t).sum() for t in thresholds])
    # Of the thresholds tied for fewest errors, the median: the lowest would favour answering.
    tied = thresholds[errors == errors.min()]
    return auc, int(errors.min()), float(tied[(len(tied) - 1) // 2])


def report(rows: list[dict[str, Any]], scorers: list[str]) -> list[str]:
    """The table: ranks on all 100 answerable questions; separation on all 140, and a
    threshold chosen on talks 1-5 (with the first ten off-topic questions) applied to talks
    6-10 (and the other ten), as the answer rules were chosen (``understanding_scores.half``)."""
    lines = [
        "| scorer | candidates | right first | within 3 | absent | spoken / slide first "
        "| AUC | fewest errors, one threshold (it) | near-topic at or above it "
        "| held-out errors at the chosen half's threshold |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for pool in ("all", "admissible"):
        for scorer in scorers:
            if scorer.endswith("minilm-rules") and pool == "all":
                continue
            ranks = {r["id"]: r["ranks"][pool].get(scorer) for r in rows}
            answerable = [r for r in rows if r["kind"] in ANSWERABLE]
            first = {
                k: sum(1 for r in answerable if r["kind"] == k and ranks[r["id"]] == 1)
                for k in ANSWERABLE
            }
            within = sum(1 for r in answerable if (ranks[r["id"]] or 99) <= 3)
            absent = sum(1 for r in answerable if ranks[r["id"]] is None)
            auc, errors, threshold = separation(*_scores(rows, pool, scorer))
            near = sum(
                1
                for r in rows
                if r["kind"] == "near_topic" and r["best_score"][pool][scorer] >= threshold
            )
            _, _, chosen = separation(
                *_scores([r for r in rows if r["half"] == "chosen"], pool, scorer)
            )
            right, wrong = _scores([r for r in rows if r["half"] == "held_out"], pool, scorer)
            held = sum(1 for x in right if x < chosen) + sum(1 for x in wrong if x >= chosen)
            held_of = sum(1 for r in rows if r["half"] == "held_out")
            lines.append(
                f"| {scorer} | {pool} | {sum(first.values())} | {within} | {absent} "
                f"| {first['spoken']} / {first['slide']} | {auc:.3f} "
                f"| {errors} ({threshold:.3f}) | {near}/20 | {held} of {held_of} ({chosen:.3f}) |"
            )
    return lines


def _scores(rows: list[dict[str, Any]], pool: str, scorer: str) -> tuple[list[float], list[float]]:
    """The right sentence's score for each answerable question that has one among its
    candidates (an absent one counts as below any threshold), and each unanswerable
    question's best candidate's score."""
    right = [
        -1.0 if r["right_score"][pool][scorer] is None else r["right_score"][pool][scorer]
        for r in rows
        if r["kind"] in ANSWERABLE
    ]
    wrong = [r["best_score"][pool][scorer] for r in rows if r["kind"] not in ANSWERABLE]
    return right, wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, required=True, help="a copy of the talks' library")
    parser.add_argument(
        "--bi-encoder",
        action="append",
        default=[],
        metavar="NAME=DIR",
        help="a sentence-transformers model directory to compare",
    )
    parser.add_argument("--k", type=int, default=None, help="passages per question")
    parser.add_argument("--json", type=Path, help="write every question's ranks here")
    parser.add_argument("--timed", type=int, default=20, help="questions whose cost is timed")
    parser.add_argument(
        "--threads", type=int, default=None, help="torch threads (default: VIDSCOPE_THREADS)"
    )
    args = parser.parse_args()
    settings = load_settings(home=args.home, log_level="WARNING")
    k = args.k or settings.answers.k
    threads = settings.threads if args.threads is None else args.threads
    encoders = [
        BiEncoder(n, Path(p), threads) for n, p in (s.split("=", 1) for s in args.bi_encoder)
    ]
    scorers = ["minilm", "minilm-rules"]
    for encoder in encoders:
        scorers += [encoder.name, f"{encoder.name}+minilm", f"{encoder.name}+minilm-rules"]
    questions = json.loads(QUESTIONS.read_text())
    rows: list[dict[str, Any]] = []
    with Library(settings) as library:
        titles = {v.id: v.title for v in library.local.list_videos()}
        library.local.answer("warm up")
        for encoder in encoders:
            encoder.encode(["warm up"])
        pools = []
        for n, question in enumerate(questions):
            if n % 20 == 0:
                log(f"candidates of question {n + 1} of {len(questions)}")
            pools.append(candidates(library, question["question"], k))
        for encoder in encoders:
            log(f"{encoder.name}: timing {args.timed} questions, then encoding every text once")
            for question, found in list(zip(questions, pools, strict=True))[: args.timed]:
                encoder.timed(question["question"], found)
            encoder.remember(
                [q["question"] for q in questions] + [c.text for found in pools for c in found]
            )
        for question, found in zip(questions, pools, strict=True):
            for encoder in encoders:
                encoder.score(question["question"], found)

            def right(c: Candidate, q: dict[str, Any] = question) -> bool:
                return titles.get(c.video_id) == q.get("talk") and inside(
                    c.start, c.end, q["ranges"]
                )

            row: dict[str, Any] = {
                "id": question["id"],
                "kind": question["kind"],
                "half": half(question, questions, CHOSEN_TALKS),
                "question": question["question"],
                "ranks": {},
                "right_score": {},
                "best_score": {},
            }
            for pool in ("all", "admissible"):
                mine = [c for c in found if pool == "all" or c.admissible]
                row["ranks"][pool] = {s: rank_of(mine, s, right) for s in scorers}
                row["right_score"][pool] = {
                    s: max((c.scores[s] for c in mine if right(c) and s in c.scores), default=None)
                    for s in scorers
                }
                row["best_score"][pool] = {
                    s: max((c.scores[s] for c in mine if s in c.scores), default=-1.0)
                    for s in scorers
                }
            rows.append(row)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    log(f"{COMMAND} --k {k}; {machine()}; load average {load}; {len(questions)} questions")
    for line in report(rows, scorers):
        log(line)
    for encoder in encoders:
        log(
            f"{encoder.name}: question and candidates p50 "
            f"{np.median(encoder.seconds) * 1000:.0f} ms (p95 "
            f"{np.percentile(encoder.seconds, 95) * 1000:.0f} ms); question alone p50 "
            f"{np.median(encoder.query_seconds) * 1000:.0f} ms; CPU time p50 "
            f"{np.median(encoder.cpu) * 1000:.0f} ms / {np.median(encoder.query_cpu) * 1000:.0f} ms"
        )
    spoken = [r for r in rows if r["kind"] == "spoken"]
    log("spoken questions whose right sentence MiniLM does not rank first (admissible):")
    for r in spoken:
        ranks = r["ranks"]["admissible"]
        if ranks["minilm-rules"] != 1:
            shown = ", ".join(f"{s} {ranks[s]}" for s in scorers)
            log(f"  {r['question']}: {shown}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
