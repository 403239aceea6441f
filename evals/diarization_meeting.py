"""The one-hour meeting (issue 26, part 4): how well speakers are told apart past 20 minutes,
where senko clusters with UMAP + HDBSCAN instead of spectral clustering, and what telling them
apart costs the whole ingest (``python -m evals.diarization_meeting``; ``make bench`` runs it).

The meeting is generated (``evals.diarization_conversations.make_meeting``: four espeak-ng
voices taking turns for about an hour, drawn as the eval's conversations are) and kept in
``bench-work/diarization`` as a WAV and, for the ingest, as an AAC .m4a, the kind of file a
recorder gives. Every measurement runs in a fresh process of its own, so one's models, caches
and memory do not flatter the next:

1. **Accuracy**: the WAV decoded as the ingest decodes it and diarized by
   ``pipelines.speech.diarize.diarize`` with the ingest's options (1 thread, the count not
   given); DER with md-eval's 0.25 s collar and its parts, voices found, wall and CPU seconds
   per audio minute (model load not counted), peak RSS, and senko's own split of the time
   (voice activity, fbank, CAM++ embeddings, clustering).
2. **Cost to the ingest**: the .m4a ingested into fresh temporary libraries with speakers on
   and off (``load_settings(home=..., speakers_enabled=...)``, ``Library(...).local.ingest``),
   in the order on, off, off, on (``--rounds 2``) so a machine getting busier or quieter
   weighs on both; each process's wall and CPU seconds, the ingest's stages, and the ratio.
3. ``--options``: other ways to diarize it, as experiments on senko's Diarizer inside the
   child (pipelines/ unchanged): what would cut the stage (embedding windows every 1.2 s
   instead of 0.6 s; faster-whisper's Silero, the model transcription already runs, for the
   speech regions) and senko's merge of similar clusters switched off past 20 minutes as
   diarize() switches it off below (``--variants`` picks some; ``--rounds 0``: no ingests).

One MLflow run (experiment ``vidscope-eval``, tag ``eval=diarization_meeting``) and a section
appended to docs/benchmarks.md."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from evals.common import ROOT, WORK, log, machine
from evals.diarization_conversations import Conversation, make_meeting
from evals.diarization_meeting_child import WIDER_SHIFT_S
from evals.diarization_meeting_report import BITRATE, markdown
from evals.diarization_scores import diarization_error, turns_heard_right

COMMAND = "python -m evals.diarization_meeting"
MINUTES, VOICES = 60.0, 4  # the "one-hour one-channel meeting"
RUNS = WORK / "diarization" / "meeting-runs"
VARIANTS = (
    "ingest options",
    f"windows every {WIDER_SHIFT_S} s",
    "faster-whisper's Silero",
    "no merge at 0.875 past 20 min",
)


def encoded(meeting: Conversation) -> Path:
    """The meeting as mono AAC in an .m4a beside its WAV, made once."""
    from pipelines.media.ffmpeg import ffmpeg_executable

    target = meeting.wav.with_suffix(".m4a")
    if not target.exists():
        partial = target.with_suffix(".part.m4a")
        subprocess.run(
            [ffmpeg_executable(), "-nostdin", "-loglevel", "error", "-y", "-i", str(meeting.wav)]
            + ["-ac", "1", "-c:a", "aac", "-b:a", BITRATE, str(partial)],
            check=True,
        )
        partial.replace(target)
    return target


def child(arguments: list[str], name: str) -> dict[str, Any]:
    """Runs ``python -m evals.diarization_meeting <arguments>`` and returns what it wrote, with
    the process's wall and CPU seconds, peak RSS (MB) and the load average before and after.
    Its output goes to ``RUNS/<name>.log``."""
    RUNS.mkdir(parents=True, exist_ok=True)
    out = RUNS / f"{name}.json"
    out.unlink(missing_ok=True)
    command = [sys.executable, "-m", "evals.diarization_meeting", *arguments, "--out", str(out)]
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    with (RUNS / f"{name}.log").open("w") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, cwd=ROOT)
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        raise RuntimeError(f"{name} failed (status {status}): see {RUNS / f'{name}.log'}")
    written: dict[str, Any] = json.loads(out.read_text())
    return written | {
        "process_s": wall,
        "process_cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
    }


def accuracy(meeting: Conversation, audio: Path, variant: int = 0) -> dict[str, Any]:
    """The meeting diarized in a fresh process (``VARIANTS[variant]``) and scored; the first
    also times decoding ``audio`` (what the ingest's speakers stage decodes)."""
    arguments = ["--diarize", str(meeting.wav), "--variant", str(variant)]
    if variant == 0:
        arguments += ["--decode", str(audio)]
    row = child(arguments, f"diarize-{variant}")
    hypothesis = [(float(s), float(e), str(who)) for s, e, who in row.pop("turns")]
    error = diarization_error(meeting.truth, hypothesis)
    right = turns_heard_right(meeting.truth, hypothesis, error.mapping)
    short = [r for r, line in zip(right, meeting.lines, strict=True) if line.interjection]
    minutes = meeting.duration / 60
    row |= {
        "variant": VARIANTS[variant],
        "found": len({who for _, _, who in hypothesis}),
        "der": error.der,
        "missed": error.missed,
        "false_alarm": error.false_alarm,
        "confusion": error.confusion,
        "turns_right": sum(right) / len(right),
        "interjections_right": sum(short) / max(1, len(short)),
        "s_per_audio_min": row["diarize_s"] / minutes,
        "cpu_s_per_audio_min": row["diarize_cpu_s"] / minutes,
    }
    log(
        f"{VARIANTS[variant]}: DER {error.der:.1%}, {row['found']} voices of {meeting.speakers}, "
        f"{row['diarize_s']:.0f} s ({row['s_per_audio_min']:.2f} s per audio minute)"
    )
    return row


def ingest_costs(audio: Path, rounds: int) -> list[dict[str, Any]]:
    """Each ingest of ``audio`` into a fresh library, speakers on and off in turn (on, off,
    off, on, ...), each a process of its own."""
    order = [on for n in range(rounds) for on in ((True, False) if n % 2 == 0 else (False, True))]
    runs = []
    for n, on in enumerate(order):
        with tempfile.TemporaryDirectory(prefix="vidscope-meeting-") as home:
            label = "on" if on else "off"
            row = child(
                ["--ingest", str(audio), "--home", home, "--speakers", label], f"ingest-{n}"
            )
        runs.append(row | {"speakers_enabled": on})
        log(f"ingest {n + 1}/{len(order)}, speakers {label}: {row['process_s']:.0f} s")
    return runs


def summary(runs: list[dict[str, Any]], minutes: float) -> dict[str, float]:
    on = [r for r in runs if r["speakers_enabled"]]
    off = [r for r in runs if not r["speakers_enabled"]]

    def mean(rows: list[dict[str, Any]], key: str) -> float:
        return float(sum(r[key] for r in rows) / len(rows))

    return {
        "ingest_on_s": mean(on, "process_s"),
        "ingest_off_s": mean(off, "process_s"),
        "ratio": mean(on, "process_s") / mean(off, "process_s"),
        "cpu_ratio": mean(on, "process_cpu_s") / mean(off, "process_cpu_s"),
        "ingest_on_s_per_audio_min": mean(on, "process_s") / minutes,
        "ingest_off_s_per_audio_min": mean(off, "process_s") / minutes,
        "speakers_stage_s": mean(on, "speakers_s"),
        "peak_rss_on_mb": max(r["peak_rss_mb"] for r in on),
        "peak_rss_off_mb": max(r["peak_rss_mb"] for r in off),
    }


def code_state() -> str:
    """The commit measured, and pipelines/ files changed since it (the checkout is shared)."""

    def git(*words: str) -> str:
        done = subprocess.run(["git", *words], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.rstrip()

    changed = git("status", "--porcelain", "--", "pipelines").splitlines()
    dirty = f" + uncommitted {', '.join(line[3:] for line in changed)}" if changed else ""
    return git("rev-parse", "--short", "HEAD") + dirty


def evaluate(
    *, minutes: float, rounds: int, variants: list[int], tracking_uri: str | None
) -> dict[str, Any]:
    """The report {metrics, diarization, ingests, ...}; logged to MLflow at ``tracking_uri``
    and appended to docs/benchmarks.md when given (a trial run without it writes neither)."""
    code = code_state()  # before the hours of measuring: others commit meanwhile
    meeting = make_meeting(minutes, VOICES)
    audio = encoded(meeting)
    log(f"{meeting.name}: {meeting.duration / 60:.1f} min, {len(meeting.lines)} lines")
    diarized = [accuracy(meeting, audio, v) for v in variants]
    ingests = ingest_costs(audio, rounds)
    report: dict[str, Any] = {
        "stamp": f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        "command": " ".join([COMMAND, *sys.argv[1:]]),
        "meeting": {"wav": meeting.wav.name, "m4a": audio.name, "seconds": meeting.duration},
        "code": code,
        "diarization": diarized,
        "ingests": ingests,
        "run_id": None,
    }
    # Unprefixed: diarize() as the ingest runs it (or the first variant run); v<n>_: each.
    report["metrics"] = (summary(ingests, meeting.duration / 60) if ingests else {}) | {
        f"{prefix}{key}": float(row[key])
        for n, row in zip(variants, diarized, strict=True)
        for prefix in ((f"v{n}_", "") if row is diarized[0] else (f"v{n}_",))
        for key in ("der", "missed", "false_alarm", "confusion", "found", "s_per_audio_min")
        + ("cpu_s_per_audio_min", "peak_rss_mb", "turns_right", "interjections_right")
    }
    if tracking_uri:
        from pipelines.jobs.tracking import log_run

        report["run_id"] = log_run(
            "eval",
            uri=tracking_uri,
            name="diarization meeting",
            params={"eval": "diarization_meeting", "minutes": minutes, "voices": VOICES}
            | {"rounds": rounds, "variants": variants, "audio": audio.name, "machine": machine()},
            metrics={f"meeting_{k}": v for k, v in report["metrics"].items()},
            report=report,
            tags={"eval": "diarization_meeting"},
        )
        with (ROOT / "docs" / "benchmarks.md").open("a", encoding="utf-8") as handle:
            handle.write(markdown(meeting, audio, report))
    else:
        print(markdown(meeting, audio, report))  # noqa: T201
    return report


def main() -> None:
    parser = argparse.ArgumentParser(
        description="The one-hour meeting: diarization past 20 minutes and its cost to the ingest."
    )
    parser.add_argument("--minutes", type=float, default=MINUTES, help="the meeting's length")
    parser.add_argument("--rounds", type=int, default=2, help="pairs of ingests, on and off")
    parser.add_argument(
        "--variants",
        default="0",
        help="ways to diarize, comma-separated: "
        + ", ".join(f"{n} {way}" for n, way in enumerate(VARIANTS)),
    )
    parser.add_argument("--options", action="store_true", help="every way (--variants 0,1,2,3)")
    parser.add_argument(
        "--no-log", action="store_true", help="no MLflow run, no docs/benchmarks.md section"
    )
    # A child process: one measurement (evals.diarization_meeting_child).
    parser.add_argument("--diarize", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--variant", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--decode", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--ingest", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--speakers", choices=("on", "off"), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.diarize or args.ingest:
        from evals.diarization_meeting_child import diarize_once, ingest_once

        if args.diarize:
            written = diarize_once(args.diarize, args.variant, args.decode)
        else:
            written = ingest_once(args.ingest, args.home, args.speakers == "on")
        args.out.write_text(json.dumps(written))
        return
    from pipelines.config import load_settings

    report = evaluate(
        minutes=args.minutes,
        rounds=args.rounds,
        variants=list(range(len(VARIANTS)))
        if args.options
        else [int(v) for v in args.variants.split(",")],
        tracking_uri=None if args.no_log else load_settings().tracking_uri,
    )
    print(json.dumps(report["metrics"], indent=1))  # noqa: T201


if __name__ == "__main__":
    main()
