"""The talk eval: what the library says about ten generated talks, per answer generator
(``python -m evals.understanding -g extractive -g local:qwen2.5-0.5b``, or ``vidscope eval -g``).

The talks (``evals.eval_talks``) are ingested once into a library kept in ``bench-work`` (made
again when a talk's file changes; ``--fresh`` forces it, e.g. after a change to ingest). Each
generator then runs in a process of its own (its peak memory is its own; a model loads once
there) on a copy of that library, with ``VIDSCOPE_ASK_GENERATOR`` and
``VIDSCOPE_LLM_LOCAL_MODEL`` set as a user would set them. It asks every question (140;
``--quick``: 35, see ``selection``), makes every talk's summary again, and reports
(``evals.understanding_scores`` says how each is scored): answers right, citations in range,
abstention precision and recall, unsupported sentences, chapter titles naming their topic,
summary topic coverage, latency p50/p95 and peak
RSS. One MLflow run per generator (experiment ``vidscope-eval``, tag ``eval=talks``, the same
metric names, each prefixed ``talks_``)."""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from evals.common import ROOT, WORK, log, machine
from evals.eval_talks import QUESTIONS, TALK_DIR
from evals.talk_bank_more import TALKS

BASE_HOME = WORK / "eval-talks-library"
QUICK_TALKS = 3
QUICK_OFF_TOPIC = 5
BOUNDARY_TOLERANCE_S = 5.0
# Answer rules are chosen on talks 1-5 (and the first half of the off-topic questions); talks
# 6-10 are held out, reported apart (understanding_scores.half).
CHOSEN_TALKS = 5
COMMAND = "python -m evals.understanding"


def parse_generator(spec: str) -> dict[str, str]:
    """``extractive`` or ``local:<model>`` -> the settings that choose it."""
    kind, _, model = spec.partition(":")
    if kind == "extractive" and not model:
        return {"VIDSCOPE_ASK_GENERATOR": "extractive"}
    if kind == "local" and model:
        return {"VIDSCOPE_ASK_GENERATOR": "local", "VIDSCOPE_LLM_LOCAL_MODEL": model}
    raise ValueError(f"unknown generator {spec!r}: use extractive or local:<model name>")


def selection(quick: bool) -> tuple[list[str], list[dict[str, Any]]]:
    """The talks whose summaries are scored, and the questions asked. Quick: three talks'
    summaries, and from every talk its first question of each kind, with five off-topic ones
    (35 questions), so the answers still range over all ten talks."""
    asked = json.loads(QUESTIONS.read_text())
    if not quick:
        return [t.stem for t in TALKS], asked
    firsts: dict[tuple[str, str], dict[str, Any]] = {}
    for q in asked:
        if q["talk"]:
            firsts.setdefault((q["talk"], q["kind"]), q)
    off_topic = [q for q in asked if q["kind"] == "off_topic"][:QUICK_OFF_TOPIC]
    return [t.stem for t in TALKS][:QUICK_TALKS], [*firsts.values(), *off_topic]


def _digest(stem: str) -> str:
    return hashlib.sha256((TALK_DIR / f"{stem}.mp4").read_bytes()).hexdigest()[:16]


def ingest_talks(stems: list[str], *, fresh: bool = False) -> Path:
    """The library holding ``stems`` (the kept one when it holds these very files; else all
    the talks are ingested again, so a quick run never leaves a smaller library behind)."""
    from pipelines.config import load_settings
    from pipelines.library import Library

    marker = BASE_HOME / "eval-talks.json"
    if not fresh and marker.exists():
        kept = json.loads(marker.read_text())
        if all(kept.get("digests", {}).get(stem) == _digest(stem) for stem in stems):
            return BASE_HOME
    shutil.rmtree(BASE_HOME, ignore_errors=True)
    settings = load_settings(home=BASE_HOME, log_level="WARNING")
    everything = [t.stem for t in TALKS]
    videos: dict[str, str] = {}
    started = time.perf_counter()
    with Library(settings) as library:
        for stem in everything:
            log(f"ingesting {stem}")
            done = library.local.ingest_file(TALK_DIR / f"{stem}.mp4")
            if done.status != "indexed":
                raise RuntimeError(f"{stem}: {done.error_code} {done.message}")
            videos[stem] = done.video_id
    elapsed = time.perf_counter() - started
    digests = {stem: _digest(stem) for stem in everything}
    marker.write_text(json.dumps({"digests": digests, "videos": videos, "ingest_s": elapsed}))
    return BASE_HOME


def measure(base: Path, stems: list[str], asked: list[dict[str, Any]]) -> dict[str, Any]:
    """In the generator's own process: ask, summarise and score on a copy of ``base``."""
    from evals import understanding_scores as scores
    from pipelines.config import load_settings
    from pipelines.library import Library
    from pipelines.public import AnswerPublic
    from pipelines.understanding.grounding import embedder

    videos: dict[str, str] = json.loads((base / "eval-talks.json").read_text())["videos"]
    scratch = Path(tempfile.mkdtemp(prefix="vidscope-talk-eval-"))
    try:
        shutil.copytree(base, scratch / "home")
        settings = load_settings(home=scratch / "home", log_level="WARNING")
        embed = embedder(
            settings.embedding.model, threads=settings.threads, cache_dir=settings.model_cache
        )
        with Library(settings) as library:
            owner = library.local
            library.embed_query("warm up")
            started = time.perf_counter()
            owner.ask("What is this library about?")  # loads the generator's model
            load_s = time.perf_counter() - started
            rows = []
            transcripts = {
                stem: [(s.start, s.end, s.text) for s in library.catalog.segments(video_id)]
                for stem, video_id in videos.items()
            }
            for n, question in enumerate(asked):
                if n % 20 == 0:
                    log(f"{library.generator.name}: question {n + 1} of {len(asked)}")
                first: list[float] = []
                started = time.perf_counter()

                def arrived(
                    piece: str, first: list[float] = first, started: float = started
                ) -> None:
                    if not first:
                        first.append(time.perf_counter() - started)

                said = owner.answer(question["question"], on_token=arrived)
                wall = time.perf_counter() - started
                answer = AnswerPublic.of(said).model_dump(mode="json")
                video_id = videos.get(question["talk"]) if question["talk"] else None
                row = scores.score_answer(question, answer, video_id)
                row["unsupported"], row["sentences"] = scores.unsupported_sentences(answer, embed)
                row["heard"] = scores.heard(question, transcripts.get(question["talk"], []))
                rows.append(
                    {**row, "id": question["id"], "kind": question["kind"], "seconds": wall}
                    | {"half": scores.half(question, asked, CHOSEN_TALKS)}
                    | {"first_text_s": first[0] if first else wall}
                    | {"answer": answer["answer"], "fell_back": answer.get("fell_back")}
                    | {"cited": [[c["start"], c["end"], c["text"]] for c in answer["citations"]]}
                )
            answers_peak_mb = peak_rss_mb()
            talks = [_score_talk(owner, videos[stem], stem, embed) for stem in stems]
            generator = library.generator.name
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    peak_mb = peak_rss_mb()
    return {
        "generator": generator,
        "metrics": _metrics(rows, talks, load_s, peak_mb) | {"answers_rss_mb": answers_peak_mb},
        "questions": rows,
        "talks": talks,
    }


def peak_rss_mb() -> float:
    """This process's peak resident memory since it started (VmHWM; getrusage's ru_maxrss
    would carry the parent's peak across fork and exec)."""
    status = Path("/proc/self/status").read_text()
    return (
        float(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")))
        / 1024
    )


def _score_talk(owner: Any, video_id: str, stem: str, embed: Any) -> dict[str, Any]:
    from evals import understanding_scores as scores

    truth = json.loads((TALK_DIR / f"{stem}.json").read_text())
    started = time.perf_counter()
    # Made again by this process's generator (a stored one may be another writer's).
    summary = owner.summary(video_id, regenerate=True).model_dump(mode="json")
    summary_s = time.perf_counter() - started
    chapters = scores.score_chapters(summary["chapters"], truth["topics"], embed)
    covered = scores.covered_topics(summary["summary"], truth["sentences"], embed)
    cuts = [c["start"] for c in summary["chapters"][1:]]
    starts = [t["start"] for t in truth["topics"][1:]]
    return {
        "talk": stem,
        "topics": len(truth["topics"]),
        "covered": len(covered),
        "chapters": chapters,
        "boundaries_found": len(cuts),
        "boundaries_true": len(starts),
        "boundaries_matched": scores.boundaries_matched(cuts, starts, BOUNDARY_TOLERANCE_S),
        "summary": summary["summary"],
        "summary_s": summary_s,
    }


def _share(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


def _metrics(
    rows: list[dict[str, Any]], talks: list[dict[str, Any]], load_s: float, peak_mb: float
) -> dict[str, float]:
    from evals.understanding_scores import halves, percentile

    answerable = [r for r in rows if r["answerable"]]
    answered = [r for r in answerable if not r["abstained"]]
    abstain = [r for r in rows if not r["answerable"]]
    abstained = [r for r in rows if r["abstained"]]
    right_abstentions = sum(r["abstained"] for r in abstain)
    wrong = sum(r["abstained"] for r in answerable) + sum(not r["abstained"] for r in abstain)
    chapters = [c for t in talks for c in t["chapters"]]
    seconds = [r["seconds"] for r in rows]
    heard = [r for r in answerable if r.get("heard", True)]
    metrics = {
        "answer_right": _share(sum(r["right"] for r in answerable), len(answerable)),
        # The answer stage's own share: of the questions whose fact the transcript holds.
        "answer_right_heard": _share(sum(r["right"] for r in heard), len(heard)),
        "facts_misheard": _share(len(answerable) - len(heard), len(answerable)),
        **{
            f"answer_right_{kind}": _share(
                sum(r["right"] for r in answerable if r["kind"] == kind),
                sum(1 for r in answerable if r["kind"] == kind),
            )
            for kind in ("spoken", "slide")
        },
        "citations_in_range": _share(
            sum(r["citations_in_range"] for r in answered), sum(r["citations"] for r in answered)
        ),
        "abstain_precision": _share(right_abstentions, len(abstained)),
        "abstain_recall": _share(right_abstentions, len(abstain)),
        "abstain_errors": _share(wrong, len(rows)),
        "false_abstentions": _share(sum(r["abstained"] for r in answerable), len(answerable)),
        "unsupported_sentences": _share(
            sum(r["unsupported"] for r in rows), sum(r["sentences"] for r in rows)
        ),
        "fell_back": _share(sum(bool(r["fell_back"]) for r in rows), len(rows)),
        **halves(rows),
        "chapter_titles_named": _share(sum(c["names"] for c in chapters), len(chapters)),
        "summary_coverage": _share(
            sum(t["covered"] for t in talks), sum(t["topics"] for t in talks)
        ),
        "chapter_precision": _share(
            sum(t["boundaries_matched"] for t in talks), sum(t["boundaries_found"] for t in talks)
        ),
        "chapter_recall": _share(
            sum(t["boundaries_matched"] for t in talks), sum(t["boundaries_true"] for t in talks)
        ),
        "answer_p50_s": percentile(seconds, 50),
        "answer_p95_s": percentile(seconds, 95),
        # What a person waits for before the answer's first words (a model's first kept
        # sentence; the whole text for the extractive answer and an abstention).
        "first_text_p50_s": percentile([r.get("first_text_s", r["seconds"]) for r in rows], 50),
        "summary_p50_s": percentile([t["summary_s"] for t in talks], 50),
        "load_s": load_s,
        "peak_rss_mb": peak_mb,
        "questions": float(len(rows)),
        "talks": float(len(talks)),
    }
    return metrics


def run_generator(spec: str, base: Path, quick: bool) -> dict[str, Any]:
    """``measure`` in a child process with the generator's settings; its report."""
    env = {**os.environ, **parse_generator(spec), "HF_HUB_OFFLINE": "1"}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        command = [sys.executable, "-m", "evals.understanding", "--child", spec]
        command += ["--base", str(base), "--out", str(out)] + (["--quick"] if quick else [])
        subprocess.run(command, env=env, cwd=ROOT, check=True)
        return dict(json.loads(out.read_text()))


def evaluate_generators(
    specs: list[str], *, quick: bool = False, fresh: bool = False, tracking_uri: str | None = None
) -> dict[str, dict[str, Any]]:
    """Every generator's report ({generator, metrics, questions, talks, run_id}), in order;
    each logged to MLflow at ``tracking_uri`` when given."""
    for spec in specs:
        parse_generator(spec)  # a typo fails before an ingest
    stems, _ = selection(quick)
    base = ingest_talks(stems, fresh=fresh)
    reports: dict[str, dict[str, Any]] = {}
    for spec in specs:
        log(f"talk eval: {spec}")
        try:
            report = run_generator(spec, base, quick)
        except subprocess.CalledProcessError as exc:  # the others still run and report
            log(f"talk eval: {spec} failed (exit {exc.returncode}); its output is above")
            continue
        report["run_id"] = None
        if tracking_uri:
            from pipelines.jobs.tracking import log_run

            report["run_id"] = log_run(
                "eval",
                uri=tracking_uri,
                name=f"talks {spec}{' quick' if quick else ''}",
                params={"eval": "talks", "generator": spec, "quick": quick, "machine": machine()},
                # Prefixed: the transcript eval's runs share the experiment, and its
                # answer_right (questions made of a sentence's own words) is another measure.
                metrics={f"talks_{k}": v for k, v in report["metrics"].items()},
                report=report,
                tags={"eval": "talks", "generator": spec},
            )
        reports[spec] = report
    return reports


ROWS = (
    ("answers right", "answer_right", "{:.1%}"),
    ("  spoken / slide", ("answer_right_spoken", "answer_right_slide"), "{:.0%}"),
    (
        "  talks 1-5 (chosen on) / 6-10 (held out)",
        ("answer_right_chosen", "answer_right_held_out"),
        "{:.1%}",
    ),
    ("  of those whose fact the transcript holds", "answer_right_heard", "{:.1%}"),
    ("answerable questions whose fact Whisper misheard", "facts_misheard", "{:.1%}"),
    ("citations in range", "citations_in_range", "{:.1%}"),
    ("abstention precision", "abstain_precision", "{:.1%}"),
    ("abstention recall", "abstain_recall", "{:.1%}"),
    ("abstention errors", "abstain_errors", "{:.1%}"),
    (
        "  talks 1-5 (chosen on) / 6-10 (held out)",
        ("abstain_errors_chosen", "abstain_errors_held_out"),
        "{:.1%}",
    ),
    ("unsupported sentences", "unsupported_sentences", "{:.1%}"),
    ("fell back to extractive", "fell_back", "{:.1%}"),
    ("chapter titles naming their topic", "chapter_titles_named", "{:.1%}"),
    ("summary topic coverage", "summary_coverage", "{:.1%}"),
    ("chapter boundaries P / R", ("chapter_precision", "chapter_recall"), "{:.2f}"),
    ("answer latency p50 / p95", ("answer_p50_s", "answer_p95_s"), "{:.2f} s"),
    ("first words of the answer p50", "first_text_p50_s", "{:.2f} s"),
    ("first answer (model load)", "load_s", "{:.1f} s"),
    ("peak RSS: answers / with summaries", ("answers_rss_mb", "peak_rss_mb"), "{:.0f} MB"),
)


def table(reports: dict[str, dict[str, Any]]) -> str:
    """The reports as one markdown table, a column per generator."""
    lines = ["| metric | " + " | ".join(reports) + " |", "| --- |" + " --- |" * len(reports)]
    for label, keys, fmt in ROWS:
        cells = []
        for report in reports.values():
            names = (keys,) if isinstance(keys, str) else keys
            cells.append(" / ".join(fmt.format(report["metrics"][n]) for n in names))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-g", "--generator", action="append", help="extractive or local:<model>")
    parser.add_argument("--quick", action="store_true", help="35 questions, 3 talks' summaries")
    parser.add_argument("--fresh", action="store_true", help="ingest the talks again")
    parser.add_argument("--no-log", action="store_true", help="no MLflow runs")
    parser.add_argument("--json", type=Path, help="write every report here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--base", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        stems, asked = selection(args.quick)
        args.out.write_text(json.dumps(measure(args.base, stems, asked)))
        return
    from pipelines.config import load_settings

    specs = args.generator or ["extractive"]
    uri = None if args.no_log else load_settings().tracking_uri
    reports = evaluate_generators(specs, quick=args.quick, fresh=args.fresh, tracking_uri=uri)
    if not reports:
        sys.exit("talk eval: no generator ran to the end (see above)")
    if args.json:
        args.json.write_text(json.dumps(reports, indent=2))
    stamp = f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
    print(f"\n{stamp} — `{COMMAND} {' '.join(sys.argv[1:])}`, {machine()}\n")  # noqa: T201
    print(table(reports))  # noqa: T201


if __name__ == "__main__":
    main()
