"""Calibrates when an answer abstains and which evidence leads it (``python -m evals.abstention
[--home DIR]``): the ten eval talks (``evals/data/eval-talks``, ingested into DIR once, or into
a temporary library) and their 140 questions (50 paraphrases of spoken facts, 50 slide figures,
20 near-topic and 20 off-topic). For each question it prints what the answer rests on:

- whether search ranks first a passage inside a range the answer must cite (then the answer
  must not abstain),
- the question's similarity to the best sentence of the first hit, and to the best sentence
  of all hits (what ``gather_evidence`` compares with VIDSCOPE_ASK_MIN_SIMILARITY),

then the abstention errors for each floor, and the answers (the library's own, extractive) whose
first citation is in the right range and of the right source (spoken or screen)."""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from evals.common import ROOT, log
from pipelines.config import load_settings
from pipelines.library import Library

TALKS = ROOT / "evals" / "data" / "eval-talks"
QUESTIONS = ROOT / "evals" / "data" / "eval-questions.json"
COMMAND = "python -m evals.abstention"


def inside(start: float, end: float, ranges: list[list[float]]) -> bool:
    return any(min(end, b) - max(start, a) > 0 for a, b in ranges)


def measure(library: Library, question: dict[str, Any], titles: dict[str, str]) -> dict[str, Any]:
    owner = library.local
    text = question["question"]
    hits = owner.search(text, k=library.settings.answers.k)
    passages = owner._catalog.passages(h.chunk_id for h in hits)
    vector = library.embed_query(text)
    best = [
        max((float(s.vector @ vector) for s in passages[h.chunk_id].sentences), default=0.0)
        for h in hits
        if h.chunk_id in passages
    ]
    right_talk = question.get("talk")
    first_right = bool(hits) and (
        titles.get(hits[0].video_id) == right_talk
        and inside(hits[0].passage_start, hits[0].passage_end, question["ranges"])
    )
    started = time.perf_counter()
    answer = owner.answer(text)
    seconds = time.perf_counter() - started
    lead = answer.citations[0] if answer.citations else None
    want = "screen" if question["kind"] == "slide" else "speech"
    lead_right = lead is not None and (
        titles.get(lead.video_id) == right_talk and inside(lead.start, lead.end, question["ranges"])
    )
    lead_source = lead.source if lead is not None else None
    return {
        "kind": question["kind"],
        "first_right": first_right,
        "first_similarity": best[0] if best else 0.0,
        "best_similarity": max(best, default=0.0),
        "abstained": answer.abstained,
        "lead_right": lead_right,
        "lead_source_right": lead_source == want,
        "seconds": seconds,
        "question": text,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", type=Path, default=None)
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="vidscope-abstention-"))
    settings = load_settings(home=home, log_level="WARNING")
    questions = json.loads(QUESTIONS.read_text())
    with Library(settings) as library:
        if not library.local.list_videos():
            log(f"ingesting the eval talks into {home}")
            list(library.local.ingest(sorted(TALKS.glob("*.mp4"))))
        titles = {v.id: v.title for v in library.local.list_videos()}
        library.local.answer("warm up")
        rows = [measure(library, q, titles) for q in questions]
    answerable = np.array([r["kind"] in ("spoken", "slide") for r in rows])
    first_right = np.array([r["first_right"] for r in rows])
    best = np.array([r["best_similarity"] for r in rows])
    first = np.array([r["first_similarity"] for r in rows])
    log(f"{len(rows)} questions; search ranks the right passage first for {first_right.sum()}")
    log("floor  abstain(best): wrong-abstain right-answered  |  abstain(first hit)")
    for floor in np.arange(0.20, 0.56, 0.025):
        cells = []
        for score in (best, first):
            abstains = score < floor
            cells.append(
                f"{int((abstains & answerable).sum()):3d} ({int((abstains & first_right).sum())} "
                f"ranked first) {int((~abstains & ~answerable).sum()):3d}"
            )
        log(f"  {floor:.3f}  {cells[0]}  |  {cells[1]}")
    abstained = np.array([r["abstained"] for r in rows])
    log(
        f"the library's answers: abstained on {int((abstained & answerable).sum())} answerable "
        f"({int((abstained & first_right).sum())} ranked first), answered "
        f"{int((~abstained & ~answerable).sum())} of {int((~answerable).sum())} unanswerable"
    )
    for kind in ("spoken", "slide"):
        mine = [r for r in rows if r["kind"] == kind]
        log(
            f"{kind}: first citation in range {sum(r['lead_right'] for r in mine)}/{len(mine)}, "
            f"of the right source {sum(r['lead_source_right'] for r in mine)}/{len(mine)}"
        )
    seconds = sorted(r["seconds"] for r in rows)
    log(
        f"answer p50 {seconds[len(seconds) // 2]:.3f} s, "
        f"p95 {seconds[int(len(seconds) * 0.95)]:.3f} s"
    )
    for r in rows:
        if r["abstained"] == (r["kind"] in ("spoken", "slide")):
            log(f"  abstention error: {r['kind']} {r['best_similarity']:.2f} {r['question']}")


if __name__ == "__main__":
    main()
