"""What answering costs (``python -m evals.answers``, part of ``make bench``): the time to
answer a question with the extractive generator and with the local model (SmolLM2-135M-Instruct
on this CPU: its load once, then each answer), on the two sample videos, in the same run."""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

from evals.common import ROOT, log, machine
from pipelines.config import load_settings
from pipelines.jobs.tracking import log_run
from pipelines.library import Library
from pipelines.understanding.answers import compose_answer
from pipelines.understanding.evidence import gather_evidence
from pipelines.understanding.generators import ExtractiveGenerator, Generator
from pipelines.understanding.grounding import embedder
from pipelines.understanding.local_model import local_generator

COMMAND = "python -m evals.answers"
QUESTIONS = (
    "when do the interviews happen",
    "how much power do the solar panels produce",
    "what do candidates do instead of a whiteboard puzzle",
    "how long until the installation pays for itself",
    "where should referrals be sent",
)


def timed_answers(library: Library, generator: Generator) -> tuple[list[float], int]:
    """Seconds per question (retrieval included), and how many answers cited something."""
    owner = library.local
    walls, cited = [], 0
    for question in QUESTIONS:
        started = time.perf_counter()
        hits = owner.search(question, k=8)
        passages = owner._catalog.passages(h.chunk_id for h in hits)
        evidence = gather_evidence(
            library.embed_query(question),
            [passages[h.chunk_id] for h in hits if h.chunk_id in passages],
            min_similarity=library.settings.answers.min_similarity,
            limit=6,
        )
        settings = library.settings
        embed = embedder(settings.embedding.model, threads=settings.threads)
        answer = compose_answer(question, evidence, generator, embed=embed)
        walls.append(time.perf_counter() - started)
        cited += bool(answer.citations)
    return walls, cited


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="vidscope-answers-"))
    settings = load_settings(home=home, log_level="WARNING")
    results: dict[str, float] = {}
    with Library(settings) as library:
        list(library.local.ingest([ROOT / "data" / "samples"]))
        library.embed_query("warm up")  # the embedder loads once, outside the figures
        log("extractive answers")
        walls, cited = timed_answers(library, ExtractiveGenerator())
        results["extractive_answer_s"] = statistics.median(walls)
        results["extractive_cited"] = cited
        log("local model: load")
        local = local_generator(settings.answers.local_model, threads=settings.threads)
        started = time.perf_counter()
        local.model  # noqa: B018 - loads it
        results["local_load_s"] = time.perf_counter() - started
        log("local model answers")
        walls, cited = timed_answers(library, local)
        results["local_answer_s"] = statistics.median(walls)
        results["local_answer_max_s"] = max(walls)
        results["local_cited"] = cited
    results["local_vs_extractive"] = results["local_answer_s"] / results["extractive_answer_s"]
    lines = [
        f"\n## {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC — `{COMMAND}` (in `make bench`)\n",
        f"Machine: {machine()}. The two sample videos; {len(QUESTIONS)} questions, each timed "
        "from the question to the cited answer (retrieval included), median.\n",
        "| generator | per answer | answers with citations |",
        "| --- | --- | --- |",
        f"| extractive (default) | {results['extractive_answer_s'] * 1000:.0f} ms | "
        f"{results['extractive_cited']:.0f} of {len(QUESTIONS)} |",
        f"| local: {settings.answers.local_model} GGUF via llama.cpp | "
        f"{results['local_answer_s']:.2f} s (slowest {results['local_answer_max_s']:.2f} s; "
        f"**{results['local_vs_extractive']:.0f}×** the extractive) | "
        f"{results['local_cited']:.0f} of {len(QUESTIONS)} |",
        f"\nThe local model loads once per process in {results['local_load_s']:.1f} s.\n",
    ]
    with (ROOT / "docs" / "benchmarks.md").open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines))
    log_run(
        "bench",
        uri=load_settings().tracking_uri,
        name=f"answers {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M}",
        params={"command": COMMAND, "machine": machine()},
        metrics=results,
    )
    for key, value in results.items():
        log(f"{key} = {value:.3f}")


if __name__ == "__main__":
    main()
